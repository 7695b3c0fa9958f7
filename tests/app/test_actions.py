"""The conference's follow-up loop through AppTest: assigning a commune and an incident to a
unit, escalating an overdue assignment once to the unit's channel (a real loopback HTTP
receiver), closing it, and the briefing's list since the previous conference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from config.alerts import load_alerts
from dashboard import i18n
from dashboard.loaders import actions as data_actions
from metrics.access import audit
from metrics.alerts import assignments_store as store_api
from metrics.alerts.engine import AlertEngine
from metrics.alerts.sink import HttpSink
from metrics.store import Store, to_ms
from metrics.store import schema as t
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert
from tests.fixtures.personas import BRIEFING_END

PHU_XUAN = "19753"


@pytest.fixture
def actions_store(tmp_path):
    """Huế's centres and one critical alert firing at Phú Xuân for an hour."""
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(url) as db:
        db.sync_centres(hue_centres())
        alert_id = add_alert(db, centre_id=PHU_XUAN, province_code=46, severity="critical",
                             state="firing", start=now - timedelta(hours=1))
    return url, alert_id


def rows(url: str) -> list[dict]:
    with Store.open(url) as db, db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t.assignments)
                                              .order_by(t.assignments.c.id)).mappings()]


def audited(url: str) -> list[tuple[str, str, str]]:
    with Store.open(url) as db:
        found = audit.entries(db, actions=["assign", "assign_close", "assign_escalate"])
    return [(r["action"], r["actor"], r["target"]) for r in found.reverse().iter_rows(named=True)]


def table(at: AppTest, column: str, nth: int = 0):
    """The `nth` table on the page with a column named `column`."""
    return [d.value for d in at.dataframe if column in d.value.columns][nth]


def texts(elements) -> str:
    """The elements' text as a reader sees it (markdown escapes removed)."""
    return " | ".join(str(e.value) for e in elements).replace("\\", "")


def test_assigning_and_closing_from_the_commune_page(actions_store, page):
    url, _ = actions_store
    at = page(url, "app_pages/commune.py", centre=PHU_XUAN, role="tech")
    assert not at.exception
    assert "Giao việc" in [s.value for s in at.subheader]
    assert "Chưa có việc nào được giao" in texts(at.caption)
    at.text_input(key="commune-actions-user").input("Lan")
    at.selectbox(key="commune-actions-unit").set_value("network_carrier")
    at.text_input(key="commune-actions-note").input("kiểm tra đường truyền")
    at.button(key="commune-actions-submit").click().run()
    assert not at.exception
    assert "Đã giao việc #1 cho Nhà mạng (VNPT, Viettel)" in texts(at.success)
    (row,) = rows(url)
    assert (row["centre_id"], row["unit"], row["note"], row["created_by"]) == (
        PHU_XUAN, "network_carrier", "kiểm tra đường truyền", "Lan")
    assert row["due_at"] > row["created_at"] and row["closed_at"] is None
    assert at.text_input(key="commune-actions-note").value == ""  # the form is cleared
    lines = texts(at.markdown)
    assert "Việc đang mở (1)" in lines and "Nhà mạng (VNPT, Viettel)" in lines
    ttf = table(at, "Trung vị")
    assert list(ttf["Đơn vị"]) == ["Nhà mạng (VNPT, Viettel)"]
    assert list(ttf["Đang mở"]) == ["1"] and list(ttf["Đã xong"]) == ["0"]

    at.text_input(key="commune-actions-close-note").input("đã thay bộ định tuyến")
    at.button(key="commune-actions-close-1").click().run()
    assert not at.exception
    assert "Đã đóng việc #1" in texts(at.success)
    (row,) = rows(url)
    assert (row["closed_by"], row["close_note"]) == ("Lan", "đã thay bộ định tuyến")
    assert "Việc đang mở (0)" in texts(at.markdown)
    ttf, closed = table(at, "Trung vị"), table(at, "Kết quả")
    assert list(ttf["Đã xong"]) == ["1"] and list(ttf["Đang mở"]) == ["0"]
    assert list(closed["Kết quả"]) == ["đã thay bộ định tuyến"]
    assert audited(url) == [("assign", "Lan", "assignment 1"),
                            ("assign_close", "Lan", "assignment 1")]


def test_a_leader_sees_assignments_but_cannot_assign_or_close(actions_store, page):
    url, _ = actions_store
    now = datetime.now(UTC)
    with Store.open(url) as db:
        store_api.assign(db, load_alerts(), unit="power_company", due_at=to_ms(now) + 3_600_000,
                         note="", user="Lan", role="tech", centre_id=PHU_XUAN, now=to_ms(now))
    at = page(url, "app_pages/commune.py", role="leader", centre=PHU_XUAN)
    assert not at.exception
    assert "Việc đang mở (1)" in texts(at.markdown)
    assert not [b for b in at.button if (b.key or "").startswith("commune-actions")]
    assert "không được giao hoặc đóng việc" in texts(at.caption)


def test_assigning_an_incident_from_the_alerts_page_in_english(actions_store, page):
    url, alert_id = actions_store
    at = page(url, "app_pages/alerts.py", lang="en", role="tech")
    assert not at.exception
    assert "Assignments" in [s.value for s in at.subheader]
    at.text_input(key="alerts-actions-user").input("Minh")
    at.selectbox(key="alerts-actions-pick").set_value(alert_id)
    at.selectbox(key="alerts-actions-unit").set_value("provincial_it")
    at.button(key="alerts-actions-submit").click().run()
    assert not at.exception
    assert "Assignment #1 given to Provincial IT centre" in texts(at.success)
    (row,) = rows(url)
    assert (row["alert_id"], row["centre_id"], row["province_code"], row["unit"]) == (
        alert_id, PHU_XUAN, 46, "provincial_it")
    assert f"incident #{alert_id}" in texts(at.markdown)


def test_an_overdue_assignment_is_escalated_once_to_its_units_channel_and_closed(
        actions_store, page, monkeypatch):
    """Overdue → one notice to the unit's channel (a loopback receiver) however often the
    engine evaluates; marked on the pages; closing it sends the closed notice."""
    url, alert_id = actions_store
    now = datetime.now(UTC)
    cfg = load_alerts()
    with Store.open(url) as db:
        store_api.assign(db, cfg, unit="network_carrier", note="gọi VNPT", user="Lan",
                         role="tech", alert_id=alert_id, now=to_ms(now - timedelta(hours=2)),
                         due_at=to_ms(now - timedelta(hours=1)))
    with HttpSink() as sink, Store.open(url) as db:
        engine = AlertEngine(db, cfg, env={"ALERT_WEBHOOK_URL": sink.url})
        assert engine.escalate() == 1
        assert engine.escalate() == 0  # once
        engine.evaluate()  # the periodic evaluation escalates too: nothing more
        engine.dispatch()
        (got,) = [r for r in sink.snapshot() if "assignment" in r.body["groupKey"]]
        assert got.body["status"] == "firing"
        assert got.body["title"].startswith("⏰ QUÁ HẠN XỬ LÝ: việc giao Nhà mạng (VNPT, Viettel)")
        (item,) = got.body["alerts"]
        assert item["labels"]["unit"] == "network_carrier"
        assert item["annotations"]["description"].endswith("gọi VNPT")

        at = page(url, "app_pages/commune.py", centre=PHU_XUAN, role="tech")
        assert not at.exception
        assert "QUÁ HẠN 1 giờ" in texts(at.markdown) and "đã báo" in texts(at.markdown)
        assert list(table(at, "Trung vị")["Quá hạn"]) == ["1"]
        # The wall's mark (the lead renders it): the count and one line per overdue task.
        wall = data_actions.wall_overdue(url, "national", to_ms(datetime.now(UTC)),
                                         i18n.text("vi"))
        assert wall.count == 1
        assert wall.lines[0].startswith(
            "Phường Phú Xuân · Nhà mạng (VNPT, Viettel) · quá hạn 1 giờ")
        assert data_actions.wall_overdue(url, "commune:19754", to_ms(datetime.now(UTC)),
                                         i18n.text("en")).count == 0  # another centre's scope

        at.text_input(key="commune-actions-user").input("Minh")
        at.button(key="commune-actions-close-1").click().run()
        assert not at.exception
        engine.evaluate()
        engine.dispatch()
        assignment_notices = [r.body for r in sink.snapshot()
                              if "assignment" in r.body["groupKey"]]
        assert [b["status"] for b in assignment_notices] == ["firing", "resolved"]
        assert assignment_notices[1]["title"].startswith("☑️ ĐÃ HOÀN THÀNH")
    assert audited(url) == [("assign", "Lan", "assignment 1"),
                            ("assign_escalate", "engine", "assignment 1"),
                            ("assign_close", "Minh", "assignment 1")]


def test_the_briefing_lists_assignments_opened_closed_and_overdue_since_the_conference(
        seeded_store, page):
    """At 10:00 the previous conference is 08:00: one opened after it, one closed after it
    (opened the day before), one overdue; one closed before 08:00 is not listed."""
    seeded = seeded_store()
    db, cfg, end = seeded.store, load_alerts(), BRIEFING_END
    ids = seeded.ids(next(iter(set(seeded.personas.values()))))
    centre = ids[0]

    def ms(delta: timedelta) -> int:
        return to_ms(end + delta)

    def give(unit: str, at: timedelta, due: timedelta) -> int:
        return store_api.assign(db, cfg, unit=unit, due_at=ms(due), note=unit, user="Lan",
                                role="tech", centre_id=centre, now=ms(at))

    opened = give("portal_team", -timedelta(minutes=30), timedelta(hours=3))
    closed = give("power_company", -timedelta(days=1), timedelta(hours=3))
    store_api.close(db, cfg, closed, user="Minh", role="tech", now=ms(-timedelta(hours=1)))
    late = give("network_carrier", -timedelta(hours=5), -timedelta(hours=1))
    earlier = give("provincial_it", -timedelta(hours=6), timedelta(hours=3))
    store_api.close(db, cfg, earlier, user="Minh", role="tech", now=ms(-timedelta(hours=3)))
    at = page(db.engine.url.render_as_string(), "app_pages/briefing.py", at="2025-07-03T10:00",
              role="tech")
    assert not at.exception
    assert "Việc giao từ giao ban trước (08:00 03/07/2025)" in [s.value for s in at.subheader]
    words = texts(at.markdown)
    assert "Việc mới giao (1)" in words and "Việc đã hoàn thành (1)" in words
    assert "Việc quá hạn (1)" in words
    frames = [d.value for d in at.dataframe if "Đơn vị" in d.value.columns]
    new, done, overdue = frames[-3:]
    assert list(new["Mã"]) == [str(opened)] and list(new["Đơn vị"]) == [
        "Tổ vận hành Cổng Dịch vụ công"]
    assert list(done["Mã"]) == [str(closed)] and list(done["Đóng bởi"]) == ["Minh"]
    assert list(overdue["Mã"]) == [str(late)]
    assert overdue["Trạng thái"][0] == "QUÁ HẠN 1 giờ"
