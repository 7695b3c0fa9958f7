"""The alerts page through AppTest, over alert rows written as the engine writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.views import fmt
from dashboard.widgets.components import md_text
from metrics.store import Store, from_ms
from metrics.store import schema as t
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert, add_failed_notification

ALERTS = "app_pages/alerts.py"


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
                               acked_by="Lan", rule="sync_lag_high"),
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


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_alerts_page_lists_active_acknowledged_history_recovery_and_failures(alert_store,
                                                                               page):
    url, _ids, centres = alert_store
    at = page(url, ALERTS, role="leader")
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
    at = page(alert_store[0], ALERTS, role="leader")
    assert not at.exception
    assert not at.button
    assert any("chỉ được xem" in c.value for c in at.caption)


def _acked_row(url: str, alert_id: int) -> tuple:
    with Store.open(url) as db, db.engine.connect() as conn:
        return tuple(conn.execute(sa.select(t.alerts.c.acked_by, t.alerts.c.ack_note)
                                  .where(t.alerts.c.id == alert_id)).one())


def test_alerts_page_asks_before_acknowledging_a_critical_alert_then_clears_the_form(
        alert_store, page):
    """Acknowledging a critical alert names its centre and waits for a second click; once
    done the note is empty, the same alert is still selected and its row says who."""
    url, ids, centres = alert_store
    at = page(url, ALERTS, role="tech")
    assert not at.exception
    ack = at.button(key="alerts-ack")
    assert not ack.disabled and not at.button(key="alerts-silence").disabled
    assert at.selectbox(key="alerts-act-pick").value is None  # nothing preselected
    at.selectbox(key="alerts-act-pick").set_value(ids["critical"])
    at.text_input(key="alerts-act-user").input("Minh")
    at.text_input(key="alerts-act-note").input("đã gọi VNPT")
    ack.click().run()
    assert not at.exception
    asked = [w.value for w in at.warning if "NGHIÊM TRỌNG" in w.value]
    assert len(asked) == 1 and centres[0].name in asked[0]
    assert _acked_row(url, ids["critical"]) == (None, None)  # not yet: only asked
    at.button(key="alerts-confirm-yes").click().run()
    assert not at.exception
    assert any(f"#{ids['critical']}" in s.value and centres[0].name in s.value
               for s in at.success)
    assert _acked_row(url, ids["critical"]) == ("Minh", "đã gọi VNPT")
    assert "Đang kích hoạt (0)" in [s.value for s in at.subheader]
    assert at.selectbox(key="alerts-act-pick").value == ids["critical"]  # selection kept
    assert at.text_input(key="alerts-act-note").value == ""  # the form is cleared
    assert at.text_input(key="alerts-act-user").value == "Minh"  # who acts is kept
    assert not [b for b in at.button if b.key == "alerts-confirm-yes"]
    acked = _frames(at)[0]  # the active list is empty: the first table is the acked one
    handled = dict(zip(acked["Mã"], acked["Xử lý"], strict=True))
    assert handled[str(ids["critical"])] == "Đã xác nhận bởi Minh: đã gọi VNPT"


def test_alerts_page_cancelling_the_confirmation_leaves_the_critical_alert_alone(
        alert_store, page):
    url, ids, _ = alert_store
    at = page(url, ALERTS, role="tech")
    at.selectbox(key="alerts-act-pick").set_value(ids["critical"])
    at.text_input(key="alerts-act-user").input("Minh")
    at.button(key="alerts-silence").click().run()
    assert any("Tạm im lặng 1 giờ" in w.value for w in at.warning)
    at.button(key="alerts-confirm-no").click().run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "alerts-confirm-yes"]
    with Store.open(url) as db, db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.silences)).scalar() == 0


def test_alerts_page_silences_a_warning_at_once_and_shows_until_when_and_by_whom(
        alert_store, page):
    """A warning needs no confirmation; the silence shows in the acknowledged list with its
    end time and author, and the wall's alert list shows the same."""
    url, ids, _ = alert_store
    at = page(url, ALERTS, role="tech")
    at.selectbox(key="alerts-act-pick").set_value(ids["acked"])
    at.text_input(key="alerts-act-user").input("Hùng")
    at.text_input(key="alerts-act-note").input("bảo trì đường truyền")
    at.selectbox(key="alerts-act-hours").set_value(4)
    at.button(key="alerts-silence").click().run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "alerts-confirm-yes"]  # not asked
    assert any("trong 4 giờ" in s.value for s in at.success), [
        e.value for e in (*at.error, *at.warning, *at.success)]
    assert at.selectbox(key="alerts-act-pick").value == ids["acked"]
    assert at.text_input(key="alerts-act-note").value == ""
    assert at.selectbox(key="alerts-act-hours").value == 1  # back to the first choice
    with Store.open(url) as db, db.engine.connect() as conn:
        ends = conn.execute(sa.select(t.silences.c.ends_at, t.silences.c.created_by)).one()
    assert ends.created_by == "Hùng"
    ends_at = from_ms(ends.ends_at)  # HH:MM today; with the date past local midnight
    until = (fmt.clock(ends_at) if fmt.date(ends_at) == fmt.date(datetime.now(UTC))
             else fmt.date_time(ends_at))
    acked = _frames(at)[1]
    handled = dict(zip(acked["Mã"], acked["Xử lý"], strict=True))
    assert handled[str(ids["acked"])] == (
        f"Đã xác nhận bởi Lan: đang xử lý · Tắt tiếng đến {until} bởi Hùng")
    at.switch_page("app_pages/wall.py").run()
    assert not at.exception
    board = at.table[0].value  # Markdown-escaped cells (st.table renders Markdown)
    assert dict(zip(board["Trung tâm"], board["Xử lý"], strict=True)) == {
        md_text(_name(ids, url)): md_text(
            f"Đã xác nhận bởi Lan: đang xử lý · Tắt tiếng đến {until} bởi Hùng"),
        md_text(_name(ids, url, "critical")): "Chưa ai xử lý"}


def _name(ids: dict, url: str, which: str = "acked") -> str:
    with Store.open(url) as db, db.engine.connect() as conn:
        cid = conn.execute(sa.select(t.alerts.c.centre_id)
                           .where(t.alerts.c.id == ids[which])).scalar_one()
        return conn.execute(sa.select(t.centres.c.name).where(t.centres.c.id == cid)
                            ).scalar_one()


def test_alerts_page_filters_the_history_by_severity(alert_store, page):
    at = page(alert_store[0], ALERTS, role="leader")
    at.multiselect[0].set_value(["critical"]).run()
    history = _frames(at)[2]
    assert set(history["Mức"]) == {"NGHIÊM TRỌNG"} and len(history) == 2


def test_alerts_page_shows_no_controls_in_kiosk_mode(alert_store, page):
    at = page(alert_store[0], ALERTS, role="tech", kiosk="1")
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
    at = page(url, ALERTS, role="leader")
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


def test_alerts_page_asks_and_shows_handling_in_english(alert_store, page):
    url, ids, centres = alert_store
    at = page(url, ALERTS, role="tech", lang="en")
    assert not at.exception
    at.selectbox(key="alerts-act-pick").set_value(ids["critical"])
    at.text_input(key="alerts-act-user").input("Minh")
    at.button(key="alerts-ack").click().run()
    asked = [w.value for w in at.warning if "CRITICAL" in w.value]
    assert len(asked) == 1
    assert asked[0].startswith(f"Acknowledge the CRITICAL alert #{ids['critical']} at")
    at.button(key="alerts-confirm-yes").click().run()
    assert any(s.value == f"Alert #{ids['critical']} ({md_text(centres[0].name)}) acknowledged."
               for s in at.success)
    acked = _frames(at)[0]
    handled = dict(zip(acked["ID"], acked["Handling"], strict=True))
    assert handled[str(ids["critical"])] == "Acknowledged by Minh"
    assert handled[str(ids["acked"])] == "Acknowledged by Lan: đang xử lý"
