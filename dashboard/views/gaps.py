"""Collection gaps in words: the wall's lines and the commune timeline's rows.

Pure wording (`line`, `detail`, `timeline_rows`) apart from the one render helper. A gap's
reason is a code the dashboard words itself; its numbers come from the gap's detail. The
stored text of a gap (an unknown reason code, the collector's name) is untrusted: escaped
on the wall, a plain dataframe cell on the commune page.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import fmt
from dashboard.widgets.components import md_text
from metrics.drilldown import TIMELINE_SCHEMA

WALL_LINES = 3  # what a wall shows before "and N more"
_UNITS = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


def size(n: int | None, lang: str) -> str:
    """Bytes in their largest binary unit: 361 KiB, 1,5 MiB (vi) / 1.5 MiB (en)."""
    if n is None:
        return fmt.DASH
    for unit, name in _UNITS:
        if n >= unit:
            return f"{fmt.number(n / unit, lang, 0 if unit == 1 << 10 else 1)} {name}"
    return f"{fmt.number(n, lang)} B"


def reason(code: str | None, tr: Tr, escape: bool = False) -> str:
    """The gap's reason in words; an unknown code is quoted (escaped for markdown)."""
    if code and f"gaps.reason.{code}" in i18n.VI:
        return tr(f"gaps.reason.{code}")
    shown = str(code or "")
    return tr("gaps.reason.other", code=md_text(shown) if escape else shown)


def _when(ts: datetime, now: datetime, tz: str) -> str:
    """HH:MM on `now`'s local day, HH:MM dd/mm/yyyy otherwise."""
    same_day = fmt.date(ts, tz) == fmt.date(now, tz)
    return fmt.clock(ts, tz) if same_day else fmt.date_time(ts, tz)


def line(gap: dict, tr: Tr, now: datetime, tz: str) -> str:
    """"Thiếu dữ liệu 10:02–10:05 (3 chu kỳ): <reason>" for a `metrics.store.gaps` frame row,
    safe to render as markdown."""
    n = int(gap["cycles"])
    cycles = tr("gaps.cycle") if n == 1 else tr("gaps.cycles", n=fmt.number(n, tr.lang))
    start, end = _when(gap["start"], now, tz), _when(gap["end"], now, tz)
    why = reason(gap["reason"], tr, escape=True)
    if start == end:
        return tr("gaps.line_at", t=start, cycles=cycles, reason=why)
    return tr("gaps.line", start=start, end=end, cycles=cycles, reason=why)


def detail(gap: dict, tr: Tr) -> str:
    """What was lost and the spool's state: "120 lượt thu thập bị bỏ; bộ đệm … / giới hạn …"."""
    parts = []
    if gap["polls"] is not None:
        parts.append(tr("gaps.detail.polls", n=fmt.number(gap["polls"], tr.lang)))
    if gap["max_bytes"] is not None:
        parts.append(tr("gaps.detail.spool", used=size(gap["spool_bytes"], tr.lang),
                        bound=size(gap["max_bytes"], tr.lang)))
    if gap["collector"]:
        parts.append(tr("gaps.detail.collector", name=gap["collector"]))
    return "; ".join(parts)


def timeline_rows(found: pl.DataFrame, tr: Tr) -> pl.DataFrame:
    """Gaps as `drilldown.timeline` rows (kind "gap", words already in the page language)."""
    rows = [{"start": g["start"], "end": g["end"],
             "duration_s": ((g["end"] - g["start"]).total_seconds() or None),
             "kind": "gap", "severity": "warning", "what": reason(g["reason"], tr),
             "detail": detail(g, tr), "actor": None, "ongoing": False, "facts": None}
            for g in found.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=TIMELINE_SCHEMA)


def with_gaps(timeline: pl.DataFrame, found: pl.DataFrame, tr: Tr) -> pl.DataFrame:
    """A centre's timeline with its gaps among the entries, newest first."""
    if found.is_empty():
        return timeline
    return (pl.concat([timeline.cast(TIMELINE_SCHEMA), timeline_rows(found, tr)])
            .sort("start", descending=True, nulls_last=True))


def render_wall(found: pl.DataFrame, tr: Tr, now: datetime, tz: str) -> None:
    """One warning naming the last day's gaps (newest first), if there is any."""
    if found.is_empty():
        return
    lines = [line(g, tr, now, tz) for g in found.head(WALL_LINES).iter_rows(named=True)]
    if found.height > WALL_LINES:
        lines.append(tr("gaps.more", n=found.height - WALL_LINES))
    st.warning("  \n".join(lines))
