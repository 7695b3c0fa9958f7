"""The alerts page through AppTest, over alert rows written as the engine writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from config.loader import DEFAULT_CONFIG
from metrics import schema as t
from metrics.store import Store
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert, add_failed_notification

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
TIMEOUT_S = 30


@pytest.fixture
def alert_store(tmp_path):
    """Huế's centres and, relative to now: one critical firing, one warning firing and
    acknowledged, two resolved (10 and 30 min to recover), one failed delivery."""
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    now = datetime.now(UTC).replace(microsecond=0)
    centres = hue_centres()
    a, b = centres[0].id, centres[1].id
    with Store.open(url) as db:
        db.sync_centres(centres)
        ids = {
            "critical": add_alert(db, centre_id=a, province_code=46, severity="critical",
                                  state="firing", start=now - timedelta(hours=1)),
            "acked": add_alert(db, centre_id=b, province_code=46, severity="warning",
                               state="firing", start=now - timedelta(hours=2),
                               acked_by="Lan", rule="sync_lag"),
        }
        add_alert(db, centre_id=a, province_code=46, severity="warning", state="resolved",
                  start=now - timedelta(hours=5), fired_after=timedelta(0),
                  resolved_after=timedelta(minutes=10))
        add_alert(db, centre_id=a, province_code=46, severity="critical", state="resolved",
                  start=now - timedelta(hours=4), fired_after=timedelta(0),
                  resolved_after=timedelta(minutes=30))
        add_failed_notification(db, created=now - timedelta(minutes=20),
                                error="HTTP 503 từ máy chủ Telegram")
    return url, ids, centres


@pytest.fixture
def page(monkeypatch):
    def make(url: str, role: str, **query: str) -> AppTest:
        monkeypatch.setenv("IOC_DB_URL", url)
        monkeypatch.setenv("IOC_CONFIG", str(DEFAULT_CONFIG))
        monkeypatch.setenv("IOC_DASHBOARD__ROLE", role)
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.query_params.update(query)
        at.run()
        at.switch_page("app_pages/alerts.py").run()
        return at
    return make


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_alerts_page_lists_active_acknowledged_history_recovery_and_failures(alert_store,
                                                                               page):
    url, _ids, centres = alert_store
    at = page(url, "leader")
    assert not at.exception
    headers = [s.value for s in at.subheader]
    assert "Đang kích hoạt (1)" in headers
    assert "Đã xác nhận, chưa khắc phục (1)" in headers
    assert "Thông báo gửi không thành công (1)" in headers
    active, acked, history, ttr, failed = _frames(at)
    assert list(active["Mức"]) == ["NGHIÊM TRỌNG"]
    assert list(active["Trung tâm"]) == [centres[0].name]
    assert active["Thời lượng"][0].startswith("58 phút")  # fired 2 min after it began
    assert list(acked["Người xác nhận"]) == ["Lan"]
    assert len(history) == 4
    assert list(ttr["Trung tâm"]) == [centres[0].name]
    assert list(ttr["Trung vị"]) == ["20 phút"] and list(ttr["Lâu nhất"]) == ["30 phút"]
    assert list(failed["Lỗi gần nhất"]) == ["HTTP 503 từ máy chủ Telegram"]


def test_alerts_page_has_no_buttons_for_the_leader_role(alert_store, page):
    at = page(alert_store[0], "leader")
    assert not at.exception
    assert not at.button
    assert any("chỉ được xem" in c.value for c in at.caption)


def test_alerts_page_acknowledges_when_the_tech_role_presses_the_button(alert_store, page):
    url, ids, _ = alert_store
    at = page(url, "tech")
    assert not at.exception
    ack = at.button(key="alerts-ack")
    assert not ack.disabled and not at.button(key="alerts-silence").disabled
    at.selectbox[0].set_value(ids["critical"])
    at.text_input[0].input("Minh")
    at.text_input[1].input("đã gọi VNPT")
    ack.click().run()
    assert not at.exception
    assert any(f"#{ids['critical']}" in s.value for s in at.success)
    with Store.open(url) as db, db.engine.connect() as conn:
        row = conn.execute(sa.select(t.alerts.c.acked_by, t.alerts.c.ack_note)
                           .where(t.alerts.c.id == ids["critical"])).one()
    assert tuple(row) == ("Minh", "đã gọi VNPT")
    assert "Đang kích hoạt (0)" in [s.value for s in at.subheader]


def test_alerts_page_filters_the_history_by_severity(alert_store, page):
    at = page(alert_store[0], "leader")
    at.multiselect[0].set_value(["critical"]).run()
    history = _frames(at)[2]
    assert set(history["Mức"]) == {"NGHIÊM TRỌNG"} and len(history) == 2


def test_alerts_page_shows_no_controls_in_kiosk_mode(alert_store, page):
    at = page(alert_store[0], "tech", kiosk="1")
    assert not at.exception
    assert not at.button and not at.sidebar.radio


def test_alerts_page_pages_a_long_history_and_starts_again_on_a_new_filter(alert_store, page):
    url, _ids, centres = alert_store
    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(url) as db:
        for i in range(130):  # 4 + 130 alerts in the last 24 h: two pages of 100
            add_alert(db, centre_id=centres[2 + i % 30].id, province_code=46,
                      severity="info", state="resolved", rule="otp_slow",
                      start=now - timedelta(hours=20, minutes=i), fired_after=timedelta(0),
                      resolved_after=timedelta(minutes=5))
    at = page(url, "leader")
    assert not at.exception
    history = _frames(at)[2]
    assert len(history) == 100 and list(history["Mức"][:2]) == ["NGHIÊM TRỌNG"] * 2
    assert any("Cảnh báo 1–100 trong 134 · 2 trang" in c.value for c in at.caption)
    assert "Đã khắc phục trong khoảng đã chọn (132)" in [c.value for c in at.caption]
    at.number_input(key="alerts-page").set_value(2).run()
    assert not at.exception
    second = _frames(at)[2]
    assert len(second) == 34 and set(second["Quy tắc"]) == {"otp_slow"}
    assert not set(second["Mã"]) & set(history["Mã"])
    assert any("Cảnh báo 101–134 trong 134" in c.value for c in at.caption)
    at.multiselect[1].set_value(["otp_slow"]).run()  # a new filter: back to the first page
    assert at.number_input(key="alerts-page").value == 1
    assert len(_frames(at)[2]) == 100
    at.multiselect[1].set_value([])
    at.multiselect[0].set_value(["critical"]).run()  # one page: no page control at all
    assert len(_frames(at)[2]) == 2 and not at.number_input
