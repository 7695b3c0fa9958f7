"""Markup a centre could send never renders as markup: hostile centre names, poll details and
alert summaries/causes in the store, every page opened through AppTest.

Each element that renders Markdown (markdown, caption, headings, messages, metric
label/value/delta, st.table cells, expander labels) must hold no raw payload: only its
escaped form. Plotly figures (which read a few HTML tags) must hold no `<script`/`<img`.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.widgets.components import md_text
from metrics.store import Store
from tests.fixtures.access import HOSTILE, hostile_store
from tests.fixtures.personas import BRIEFING_END, UNREACHABLE
from tests.fixtures.stale_config import stale_config

AT = "2025-07-03T10:00"
MARKDOWN_ELEMENTS = {"markdown", "caption", "title", "header", "subheader", "info",
                     "warning", "error", "success", "exception"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'h.db'}"
    with Store.open(url) as db:
        seeded = hostile_store(db, BRIEFING_END)
    return url, seeded


@pytest.fixture
def page(page, hostile, tmp_path):
    """The conftest factory over the hostile store: page `name` ("wall", "commune", …)."""
    url, _ = hostile
    config = stale_config(tmp_path, 100_000_000)

    def make(name: str, **query: str) -> AppTest:
        path = None if name == "wall" else f"app_pages/{name}.py"
        at = page(url, path, config=config, **{"at": AT, **query})
        assert not at.exception, at.exception
        return at
    return make


def rendered(at: AppTest) -> tuple[list[str], list[str]]:
    """(every string a Markdown-rendering element shows, every plotly spec)."""
    texts: list[str] = []
    specs: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind in MARKDOWN_ELEMENTS:
            texts.append(node.value if isinstance(node.value, str) else str(node.value))
        elif kind == "metric":
            texts.extend([proto.label, proto.body, proto.delta])
        elif kind == "table":
            frame = node.value
            texts.extend(str(c) for c in frame.columns)
            texts.extend(str(v) for row in frame.itertuples(index=False) for v in row)
        elif kind == "expandable" and proto is not None:
            texts.append(proto.expandable.label)
        elif kind == "plotly_chart":
            specs.append(json.dumps(json.loads(proto.spec), ensure_ascii=False))
    walk(at._tree)
    return texts, specs


def assert_inert(at: AppTest) -> list[str]:
    texts, specs = rendered(at)
    for text in texts:
        for payload in HOSTILE:
            assert payload not in text, f"raw {payload!r} in {text!r}"
    for spec in specs:
        assert "<script" not in spec and "<img" not in spec
    return texts


def test_wall_shows_hostile_names_and_summaries_as_text(page):
    texts = assert_inert(page("wall"))
    shown = " ".join(texts)
    assert md_text(HOSTILE[0]) in shown  # the payload is there, escaped (not dropped)


def test_wall_in_kiosk_mode_and_the_alert_playlist_stay_inert(page):
    assert_inert(page("wall", kiosk="1", playlist="alerts,wall", every="30"))


@pytest.mark.parametrize("name", ["finder", "alerts", "kpi", "briefing"])
def test_pages_show_hostile_centre_data_as_text(page, name):
    assert_inert(page(name))


def test_commune_page_of_a_hostile_centre_shows_its_name_as_text(page, hostile):
    _, seeded = hostile
    centre = seeded.ids(UNREACHABLE)[0]
    at = page("commune", centre=centre)
    texts = assert_inert(at)
    name = next(c.name for c in seeded.centres if c.id == centre)
    assert at.header[0].value == md_text(name)
    assert texts


@pytest.mark.parametrize("param", ["at", "province", "playlist"])
def test_hostile_url_parameters_are_echoed_as_text(page, param):
    at = page("wall", **{param: "**x** <img src=x onerror=alert(2)> [a](javascript:alert(1))"})
    assert_inert(at)
    assert at.warning  # the bad value is reported, escaped
