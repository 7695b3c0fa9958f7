"""The briefing's Word download in a real Chromium: the .docx the page serves (clicked and
saved as a person would) opens with python-docx and states the figures on the screen:
the tiles, the summary and the week's comparison. Screenshot artifacts/briefing-docx.png."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import sync_playwright

from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, served_dashboard
from tests.browser.test_wall_browser import ARTIFACTS
from tests.conftest import hue_centres
from tests.fixtures.last_week import seed_last_week
from tests.fixtures.personas import seed

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard(tmp_path) -> Iterator[str]:
    """`ioc dashboard` over 10:00 on 3 July 2025 and the week before; its URL."""
    from metrics.store import Store

    url = f"sqlite:///{tmp_path / 'briefing.db'}"
    with Store.open(url) as db:
        seed_last_week(seed(db, hue_centres(), hours=6, step_s=300), 0.8)
    with served_dashboard({"IOC_DB_URL": url}) as base:
        yield base


def test_the_downloaded_docx_states_the_figures_on_the_screen(dashboard):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000},
                                    accept_downloads=True)
            page.goto(f"{dashboard}briefing?at=2025-07-03T10:00")
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
            page.wait_for_timeout(2000)
            assert page.locator('[data-testid="stException"]').count() == 0
            tiles = dict(zip(page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                             page.locator('[data-testid="stMetricValue"]').all_inner_texts(),
                             strict=True))
            body = page.inner_text("body")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "briefing-docx.png"), full_page=True)
            with page.expect_download(timeout=60_000) as got:
                page.get_by_text("Tải báo cáo Word (.docx)").click()
            download = got.value
            assert download.suggested_filename == "giao-ban-2025-07-03-1000.docx"
            raw = Path(download.path()).read_bytes()
        finally:
            browser.close()
    doc = Document(io.BytesIO(raw))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    totals = next(t for t in tables if t[0] == ["Chỉ tiêu", "Số hồ sơ"])
    assert {label.strip(): value.strip() for label, value in tiles.items()} == dict(
        (r[0], r[1]) for r in totals[1:])
    summary = next(p.text for p in doc.paragraphs if p.text.startswith("Tính đến 10:00"))
    assert summary in body  # the page's summary, word for word
    week = next(t for t in tables if t[0][0] == "Chỉ tiêu" and len(t[0]) == 4)
    for _label, now, then, change in week[1:]:
        assert now != "—" and then != "—" and change.startswith("+")
        assert f"{then} hồ sơ ({change.replace(' (', '; ').rstrip(')')})" in summary
    assert "Huế, ngày 03 tháng 7 năm 2025" in [p.text for p in doc.paragraphs]
