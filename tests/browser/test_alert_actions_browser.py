"""Acknowledging a critical alert in a real headless Chromium, as a technician would: pick
it, write a note, press the button, confirm in the box that names the centre; then the
form is cleared, the same alert is still selected, and the wall's alert list says who
acknowledged it and why. Saves artifacts/alert-confirm.png and artifacts/wall-acked.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from metrics.store import Store
from metrics.store import schema as t
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert
from tests.fixtures.personas import seed
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
CENTRE = hue_centres()[3]


@pytest.fixture
def dashboard(tmp_path) -> Iterator[tuple[str, str, int]]:
    """`ioc dashboard` (role tech, no sign-in) over a store seeded up to now with one
    critical alert firing at CENTRE; (its URL, the store URL, the alert's id)."""
    url = f"sqlite:///{tmp_path / 'act.db'}"
    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=2, step_s=300, end=now)
        alert_id = add_alert(db, centre_id=CENTRE.id, province_code=46, severity="critical",
                             state="firing", start=now - timedelta(minutes=30))
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900)),
                           "IOC_DASHBOARD__ROLE": "tech"}) as base:
        yield base, url, alert_id


def test_acknowledging_a_critical_alert_confirms_clears_the_form_and_shows_on_the_wall(
        dashboard):
    base, url, alert_id = dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(base + "alerts")
            page.wait_for_selector('text="Xử lý cảnh báo"', timeout=60_000)
            pick = page.locator('[data-testid="stSelectbox"]').filter(has_text="Cảnh báo").first
            pick.click()
            page.get_by_role("option", name=re.compile(rf"^#{alert_id} ·")).click()
            page.get_by_label("Người xử lý").fill("Minh")
            page.get_by_label("Ghi chú", exact=True).fill("đã gọi VNPT")
            page.get_by_role("button", name="Xác nhận đã tiếp nhận").click()
            yes = page.get_by_role("button", name=f"Có, xác nhận cảnh báo tại {CENTRE.name}")
            yes.wait_for(timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "alert-confirm.png"), full_page=True)
            asked = page.locator('[data-testid="stAlertContentWarning"]').inner_text()
            with Store.open(url) as db, db.engine.connect() as conn:
                before = conn.execute(sa.select(t.alerts.c.acked_by)).scalar()
            yes.click()
            page.wait_for_selector(f'text="Đã xác nhận cảnh báo #{alert_id} ({CENTRE.name})."',
                                   timeout=30_000)
            note = page.get_by_label("Ghi chú", exact=True).input_value()
            box = pick.locator("input")
            chosen = " ".join((pick.inner_text(), box.input_value() if box.count() else ""))
            errors = page.locator('[data-testid="stException"], '
                                  '[data-testid="stAlertContentError"]').count()

            page.goto(base)
            page.wait_for_selector('[data-testid="stTable"]', timeout=60_000)
            page.wait_for_selector('text="Đã xác nhận bởi Minh: đã gọi VNPT"', timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "wall-acked.png"))
            wall = page.inner_text("body")
        finally:
            browser.close()
    assert "NGHIÊM TRỌNG" in asked and CENTRE.name in asked
    assert before is None  # asking changed nothing
    with Store.open(url) as db, db.engine.connect() as conn:
        row = conn.execute(sa.select(t.alerts.c.acked_by, t.alerts.c.ack_note)).one()
    assert tuple(row) == ("Minh", "đã gọi VNPT")
    assert errors == 0
    assert note == ""  # the form is cleared
    assert f"#{alert_id} ·" in chosen and CENTRE.name in chosen  # the same alert stays chosen
    assert "Đã xác nhận bởi Minh: đã gọi VNPT" in wall
