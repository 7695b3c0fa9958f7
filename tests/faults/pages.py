"""What a dashboard page shows, read over Streamlit's own protocol (bench/stclient.py).

`render(base_url, page, query)` opens one session, runs the page once and returns a
`Page`: its texts (headings, markdown, captions, alerts, metrics), the cells of every
table and dataframe (decoded from their Arrow data), its exception boxes and error boxes.
No browser: the server runs the real page script and sends what a browser would draw.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pyarrow as pa

from bench.stclient import RunResult, Session

TEXT_ELEMENTS = ("markdown", "heading", "text", "alert", "caption")


@dataclass
class Page:
    status: str
    texts: list[str] = field(default_factory=list)
    tables: list[list[dict[str, object]]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes

    @property
    def ok(self) -> bool:
        """Finished, with no exception box (an st.error box is the page's own message)."""
        return self.status == "FINISHED_SUCCESSFULLY" and not self.exceptions

    def rows(self) -> list[dict[str, object]]:
        return [row for table in self.tables for row in table]

    def everything(self) -> str:
        """Every text and cell, one per line (for asserting and for failure messages)."""
        cells = [" | ".join(str(v) for v in row.values()) for row in self.rows()]
        return "\n".join(self.texts + cells)


class _Reader(Session):
    """A Session that also keeps what each element says."""

    def __init__(self, base_url: str, page: Page, timeout_s: float):
        super().__init__(base_url, timeout_s=timeout_s)
        self.page = page

    def _element(self, el: object, run: RunResult | None) -> None:
        super()._element(el, run)
        which = el.WhichOneof("type")  # type: ignore[attr-defined]
        body = getattr(el, which) if which else None
        if which in TEXT_ELEMENTS:
            self.page.texts.append(body.body)
            if which == "alert" and body.format == body.ERROR:
                self.page.errors.append(body.body)
        elif which == "metric":
            self.page.texts.append(f"{body.label}: {body.body} {body.delta}".strip())
        elif which in ("table", "dataframe") and body.arrow_data.data:
            with pa.ipc.open_stream(body.arrow_data.data) as reader:
                self.page.tables.append(reader.read_all().to_pylist())
        elif which == "exception":
            self.page.exceptions.append(f"{body.type}: {body.message}"[:500])


async def _render(base_url: str, page: str | None, query: str, timeout_s: float) -> Page:
    out = Page(status="not run")
    session = _Reader(base_url, out, timeout_s)
    try:
        await session.open()
        result = await session.run("fault-check", page=page, query=query)
        out.status = result.status
    finally:
        await session.close()
    return out


def render(base_url: str, page: str | None = None, query: str = "",
           timeout_s: float = 30.0) -> Page:
    """Run `page` (None: the default page, the wall) once with `query`; what it showed."""
    return asyncio.run(_render(base_url, page, query, timeout_s))
