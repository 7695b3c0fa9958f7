"""The commune drill-down in a real headless Chromium (Debian's), served by `ioc dashboard`.

Opens a Huế ward's drill-down by URL, waits for its charts to draw, checks
the Vietnamese labels and that no error box shows. Saves artifacts/commune.png.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_wall_browser import (
    ARTIFACTS,
    LOCAL_HOSTS,
    dashboard,  # noqa: F401 — the fixture: `ioc dashboard` over a store seeded up to now
)

pytestmark = pytest.mark.browser
LAGGING_COMMUNE = "20035"  # Xã Bình Điền: the personas make it a lagging commune


def test_commune_drilldown_draws_its_charts_when_opened_in_chromium(dashboard):  # noqa: F811
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 2400})
            page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).scheme in (
                "http", "https", "ws", "wss") and urlsplit(r.url).hostname not in LOCAL_HOSTS
                else None)
            page.goto(f"{dashboard}commune?centre={LAGGING_COMMUNE}")
            page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 9",
                timeout=60_000)
            page.wait_for_timeout(1500)  # let the last traces finish drawing
            drawn = page.locator(".js-plotly-plot .scatterlayer .trace").count()
            bars = page.locator(".js-plotly-plot .barlayer .trace").count()
            text = page.inner_text("body")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "commune.png"), full_page=True)
            exceptions = page.locator('[data-testid="stException"]').count()
            errors = page.locator('[data-testid="stAlertContentError"]').count()
        finally:
            browser.close()
    assert exceptions == 0 and errors == 0, text
    assert drawn >= 8 and bars >= 4, (drawn, bars)
    for label in ("Xã Bình Điền", "Trạng thái hiện tại", "Thời gian phản hồi", "Độ trễ đồng bộ",
                  "Hồ sơ theo giờ", "Trung vị tỉnh (40 trung tâm)", "Suy giảm"):
        assert label in text, label
    assert not outside, f"requests left the machine: {outside[:5]}"
