"""The wall in a real headless Chromium (Debian's), served by `ioc dashboard`
(collectors/commands/launch_dashboard.py).

Checks what a person in the operations room sees: Vietnamese labels, no error
box, a drawn map, and no request leaving the machine. Saves artifacts/wall.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.personas import seed
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def dashboard(tmp_path) -> Iterator[str]:
    """`ioc dashboard` on a free port over a store seeded up to now; its URL."""
    from metrics.store import Store

    url = f"sqlite:///{tmp_path / 'wall.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=6, step_s=300, end=datetime.now(UTC).replace(microsecond=0))
    # stale_after generous: the data must stay fresh while Chromium starts on a slow machine.
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900))}) as base:
        yield base


def test_wall_renders_offline_in_vietnamese_when_opened_in_chromium(dashboard):
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).scheme in (
                "http", "https", "ws", "wss") and urlsplit(r.url).hostname not in LOCAL_HOSTS
                else None)
            page.goto(dashboard)
            page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
            page.wait_for_selector(".js-plotly-plot .geo", timeout=30_000)
            page.wait_for_selector('[data-testid="stTable"]', timeout=30_000)
            page.wait_for_timeout(1500)  # let the map finish drawing its markers
            text = page.inner_text("body")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "wall.png"))
            exceptions = page.locator('[data-testid="stException"]').count()
            errors = page.locator('[data-testid="stAlertContentError"]').count()
        finally:
            browser.close()
    assert exceptions == 0 and errors == 0, text
    for label in ("Trung tâm hoạt động", "Hồ sơ tiếp nhận", "Tỉ lệ đúng hạn",
                  "OTP p95 (trung vị)", "Cần chú ý", "Ngừng hoạt động", "Cập nhật"):
        assert label in text
    assert "DỮ LIỆU CŨ" not in text
    assert not outside, f"requests left the machine: {outside[:5]}"


def test_wall_kiosk_and_alerts_page_render_in_chromium(dashboard):
    """Kiosk: no sidebar, toolbar or control; screenshot artifacts/wall-kiosk.png. Then the
    alerts page: its sections, no error box; artifacts/alerts.png."""
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).scheme in (
                "http", "https", "ws", "wss") and urlsplit(r.url).hostname not in LOCAL_HOSTS
                else None)
            page.goto(dashboard + "?kiosk=1")
            page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
            page.wait_for_selector(".js-plotly-plot .geo", timeout=30_000)
            page.wait_for_timeout(1500)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "wall-kiosk.png"))
            kiosk_text = page.inner_text("body")
            visible = {sel: page.locator(sel).first.is_visible() for sel in (
                '[data-testid="stSidebar"]', '[data-testid="stToolbar"]',
                '[data-testid="stHeader"]', '[data-testid="stSidebarCollapsedControl"]')
                if page.locator(sel).count()}
            controls = page.locator("button, input, select").evaluate_all(
                "els => els.filter(e => e.offsetParent !== null).length")
            kiosk_errors = page.locator('[data-testid="stException"], '
                                        '[data-testid="stAlertContentError"]').count()

            page.goto(dashboard + "alerts")
            page.wait_for_selector('text="Lịch sử cảnh báo"', timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
            alerts_text = page.inner_text("body")
            alerts_errors = page.locator('[data-testid="stException"], '
                                         '[data-testid="stAlertContentError"]').count()
        finally:
            browser.close()
    assert kiosk_errors == 0, kiosk_text
    assert not any(visible.values()), visible
    assert controls == 0  # nothing to press on an unattended wall
    for label in ("Trung tâm hoạt động", "Cảnh báo đang kích hoạt", "Cần chú ý", "Cập nhật"):
        assert label in kiosk_text
    assert alerts_errors == 0, alerts_text
    for label in ("Đang kích hoạt", "Thời gian khắc phục theo trung tâm",
                  "Thông báo gửi không thành công"):
        assert label in alerts_text
    assert not outside, f"requests left the machine: {outside[:5]}"
