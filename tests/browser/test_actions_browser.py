"""Assigning a lagging commune to a unit and closing it, in a real headless Chromium, as the
IOC staff do after a conference: on the commune page, type who assigns, choose the unit,
write the note, press "Giao việc"; the open list shows it; give the outcome and press
"Đóng". Saves artifacts/actions-assigned.png and artifacts/actions-closed.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from metrics.access import audit
from metrics.store import Store
from metrics.store import schema as t
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.personas import seed
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
CENTRE = hue_centres()[3]


@pytest.fixture
def dashboard(tmp_path) -> Iterator[tuple[str, str]]:
    """`ioc dashboard` (role ioc_staff, no sign-in) over a store seeded up to now; (its URL,
    the store URL)."""
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=2, step_s=300, end=datetime.now(UTC).replace(microsecond=0))
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900)),
                           "IOC_DASHBOARD__ROLE": "ioc_staff"}) as base:
        yield base, url


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`; opened again if a rerun of the page
    (the name just typed) closed its list before the option could be clicked."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    for _ in range(5):
        box.click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    pytest.fail(f"the option {option!r} of {label!r} never showed")


def test_assigning_and_closing_from_the_commune_page(dashboard):
    base, url = dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{base}commune?centre={CENTRE.id}")
            page.wait_for_selector('button:has-text("Giao việc")', timeout=60_000)
            page.get_by_label("Người giao").fill("Lan")
            page.get_by_label("Người giao").press("Enter")  # the name box reruns the page
            choose(page, "Đơn vị chịu trách nhiệm", "Công ty Điện lực")
            page.get_by_label("Ghi chú (việc cần làm)").fill("kiểm tra UPS")
            page.get_by_role("button", name="Giao việc").click()
            page.wait_for_selector('text=/Đã giao việc #1 cho Công ty Điện lực/',
                                   timeout=30_000)
            page.wait_for_selector('text="Việc đang mở (1)"', timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.get_by_text("Việc đang mở (1)").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "actions-assigned.png"))
            listed = page.locator('[data-testid="stMarkdown"]').filter(
                has_text="#1 ·").first.inner_text()
            note_after = page.get_by_label("Ghi chú (việc cần làm)").input_value()

            page.get_by_label("Kết quả (khi đóng việc)").fill("đã thay ắc quy")
            page.get_by_role("button", name="Đóng", exact=True).click()
            page.wait_for_selector('text="Đã đóng việc #1 (Công ty Điện lực)."',
                                   timeout=30_000)
            page.wait_for_selector('text="Việc đang mở (0)"', timeout=30_000)
            page.get_by_text("Việc đang mở (0)").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "actions-closed.png"))
            errors = page.locator('[data-testid="stException"], '
                                  '[data-testid="stAlertContentError"]').count()
            body = page.inner_text("body")
        finally:
            browser.close()
    assert CENTRE.name in listed and "Công ty Điện lực" in listed and "kiểm tra UPS" in listed
    assert note_after == ""  # the form is cleared after assigning
    assert errors == 0
    assert "Việc đã đóng trong 30 ngày qua (1)" in body
    with Store.open(url) as db:
        with db.engine.connect() as conn:
            row = conn.execute(sa.select(t.assignments)).mappings().one()
        log = audit.entries(db, actions=["assign", "assign_close"])
    assert (row["centre_id"], row["unit"], row["note"], row["created_by"]) == (
        CENTRE.id, "power_company", "kiểm tra UPS", "Lan")
    assert (row["closed_by"], row["close_note"]) == ("Lan", "đã thay ắc quy")
    assert sorted(log["action"].to_list()) == ["assign", "assign_close"]


def test_an_overdue_assignment_is_reported_once_shown_overdue_and_closed(dashboard):
    """Assigned two hours ago and due an hour ago: the engine reports it once to the unit's
    channel (a loopback receiver), the commune page and the briefing show it overdue and
    reported, closing it in the browser sends the closed notice."""
    from config.alerts import load_alerts
    from metrics.alerts import assignments_store
    from metrics.alerts.engine import AlertEngine
    from metrics.alerts.sink import HttpSink
    from metrics.store import to_ms

    base, url = dashboard
    now = datetime.now(UTC)
    cfg = load_alerts()
    with Store.open(url) as db:
        assignments_store.assign(db, cfg, unit="network_carrier", note="gọi VNPT",
                                 user="Lan", role="tech", centre_id=CENTRE.id,
                                 now=to_ms(now) - 2 * 3_600_000, due_at=to_ms(now) - 3_600_000)
    with HttpSink() as sink, Store.open(url) as db:
        engine = AlertEngine(db, cfg, env={"ALERT_WEBHOOK_URL": sink.url})
        assert engine.escalate() == 1 and engine.escalate() == 0
        engine.dispatch()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"{base}commune?centre={CENTRE.id}")
                line = page.locator('[data-testid="stMarkdown"]').filter(has_text="QUÁ HẠN")
                line.first.wait_for(timeout=60_000)
                shown = line.first.inner_text()
                page.goto(f"{base}briefing")
                page.wait_for_selector('text="Việc quá hạn (1)"', timeout=60_000)
                page.get_by_text("Việc quá hạn (1)").scroll_into_view_if_needed()
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "actions-briefing.png"))
                page.goto(f"{base}commune?centre={CENTRE.id}")
                page.get_by_label("Người giao").fill("Minh")
                page.locator(".st-key-commune-actions-close-1 button").click()
                page.wait_for_selector('text="Việc đang mở (0)"', timeout=30_000)
            finally:
                browser.close()
        engine.evaluate()
        engine.dispatch()
        notices = [r.body for r in sink.snapshot() if "assignment" in r.body["groupKey"]]
    assert "QUÁ HẠN 1 giờ" in shown and "đã báo" in shown and "Nhà mạng" in shown
    assert [n["status"] for n in notices] == ["firing", "resolved"]
    assert notices[0]["title"].startswith("⏰ QUÁ HẠN XỬ LÝ: việc giao Nhà mạng (VNPT, Viettel)")
