"""The follow-up loop's pure logic (metrics/alerts/assignments.py), its display text
(dashboard/views/actions.py), its notices (metrics/notifiers) and its configuration."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from config.alerts import AlertsConfig, load_alerts
from config.loader import ConfigError
from dashboard import i18n
from dashboard.views import actions as actions_view
from metrics.alerts import assignments as a
from metrics.alerts.notifiers import templates, webhook
from metrics.alerts.notifiers.base import AlertItem, Message

H = 3_600_000
T0 = 1_751_511_600_000  # 10:00 03/07/2025 in Huế (03:00 UTC)


def row(i: int, *, unit: str = "network_carrier", created: int = T0 - 2 * H,
        due: int = T0 + H, closed: int | None = None, escalated: int | None = None,
        centre: str | None = "19753", alert: int | None = None) -> dict:
    return {"id": i, "alert_id": alert, "rule": "centre_down" if alert else None,
            "centre_id": centre, "centre": "Phường Phú Xuân" if centre else None,
            "province_code": 46, "province": "Thành phố Huế", "unit": unit,
            "note": f"việc {i}", "due_at": due, "created_at": created, "created_by": "Lan",
            "closed_at": closed, "closed_by": "Minh" if closed else None,
            "close_note": "xong" if closed else None, "escalated_at": escalated}


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=a.SCHEMA, orient="row")


def test_status_is_open_until_due_overdue_from_due_and_closed_once_closed():
    f = frame(row(1, due=T0), row(2, due=T0 + 1), row(3, due=T0 - H, closed=T0 - 1))
    assert dict(zip(*a.as_of(f, T0).select("id", "status"), strict=True)) == {
        1: "overdue", 2: "open", 3: "closed"}


def test_a_moment_before_the_closing_sees_the_assignment_open_and_unseen_before_creation():
    f = frame(row(1, due=T0 - H, closed=T0 + H), row(2, created=T0 + 1))
    seen = a.as_of(f, T0)
    assert seen["id"].to_list() == [1]
    assert seen["status"][0] == "overdue" and seen["closed_by"][0] is None


def test_escalation_picks_overdue_open_not_yet_escalated_only():
    f = frame(row(1, due=T0 - H), row(2, due=T0 - H, escalated=T0 - 1),
              row(3, due=T0 - H, closed=T0 - 2), row(4, due=T0 + H), row(5, due=T0))
    assert a.to_escalate(f, T0) == [1, 5]
    assert a.to_escalate(f, T0 - H - 1) == []


def test_since_the_conference_lists_opened_closed_and_overdue():
    start = T0 - 2 * H  # the 08:00 conference
    f = frame(row(1, created=start + 1), row(2, created=start - H, closed=start + H),
              row(3, created=start - 5 * H, due=T0 - H),
              row(4, created=start - 5 * H, closed=start - 1),
              row(5, created=start, due=T0 - 1))
    got = a.since_conference(f, start, T0)
    assert got.opened["id"].to_list() == [1]  # created exactly at the conference is before it
    assert got.closed["id"].to_list() == [2]
    assert got.overdue["id"].to_list() == [3, 5]


def test_time_to_fix_per_unit_over_thirty_days_in_configured_order():
    day = a.DAY_MS
    f = frame(row(1, unit="power_company", created=T0 - 10 * H, closed=T0 - 8 * H),
              row(2, unit="power_company", created=T0 - 10 * H, due=T0 - 9 * H,
                  closed=T0 - 6 * H),
              row(3, unit="power_company", created=T0 - 40 * day, closed=T0 - 31 * day),
              row(4, unit="network_carrier", due=T0 - H),
              row(5, unit="zz_old_unit", created=T0 - H, closed=T0))
    ttf = a.time_to_fix(f, T0, ["network_carrier", "power_company"])
    assert ttf["unit"].to_list() == ["network_carrier", "power_company", "zz_old_unit"]
    nc, pc, old = ttf.iter_rows(named=True)
    assert (nc["closed"], nc["open"], nc["overdue"], nc["median_s"]) == (0, 1, 1, None)
    assert (pc["closed"], pc["late"], pc["median_s"], pc["longest_s"]) == (2, 1, 3 * 3600,
                                                                          4 * 3600)
    assert (old["closed"], old["longest_s"]) == (1, 3600)
    assert a.time_to_fix(a.empty(), T0).is_empty()


def test_display_text_in_both_languages_and_the_wall_lines():
    units = load_alerts().assignments.units
    f = frame(row(1, due=T0 - 2 * H, escalated=T0 - H), row(2, alert=7, centre=None,
                                                             unit="portal_team"))
    seen = a.as_of(f, T0)
    vi = actions_view.table(seen, i18n.text("vi"), "Asia/Ho_Chi_Minh", T0, units)
    assert vi["Trạng thái"].to_list()[0] == "QUÁ HẠN 2 giờ · đã báo 09:00 03/07/2025"
    assert vi["Nơi"].to_list() == ["Phường Phú Xuân", "toàn tỉnh Thành phố Huế"]
    assert vi["Hạn"].to_list()[0] == "08:00 03/07/2025"
    en = actions_view.table(seen, i18n.text("en"), "Asia/Ho_Chi_Minh", T0, units)
    assert en["Status"].to_list() == ["OVERDUE 2 h · reported 09:00 03/07/2025", "in progress"]
    assert en["Unit"].to_list() == ["Network carrier (VNPT, Viettel)",
                                    "Public service portal team"]
    assert en["Work"][1].startswith("incident #7: ")
    assert actions_view.overdue_lines(f, i18n.text("vi"), T0, units) == [
        "Phường Phú Xuân · Nhà mạng (VNPT, Viettel) · quá hạn 2 giờ"]


def test_a_hostile_note_stays_inert_in_the_markdown_line():
    units = load_alerts().assignments.units
    r = a.as_of(frame(row(1) | {"note": "**[x](javascript:alert(1))** <b>"}), T0).row(
        0, named=True)
    text = actions_view.line(r, i18n.text("vi"), "Asia/Ho_Chi_Minh", T0, units)
    assert "[x](" not in text and "<b>" not in text and "\\*\\*" in text


def _notice(status: str) -> Message:
    when = datetime(2025, 7, 3, 1, 0, tzinfo=UTC)
    item = AlertItem(
        fingerprint="assignment:4", rule=templates.ASSIGNMENT_RULE, severity="warning",
        centre_id="19753", centre_name="Phường Phú Xuân\n@channel", province_name="Thành phố Huế",
        summary="Nhà mạng", cause="gọi VNPT", starts_at=when,
        ends_at=datetime(2025, 7, 3, 4, 0, tzinfo=UTC) if status == "closed" else None,
        labels={"unit": "network_carrier", "unit_name": "Nhà mạng (VNPT, Viettel)",
                "assignment": "4", "due_at": "2025-07-03T03:00:00+00:00", "assigned_by": "Lan",
                "subject_rule": "centre_down", "closed_by": "Minh"},
        ack_note="đã thay thiết bị" if status == "closed" else None)
    return Message(status=status, group_key="ioc-webhook:assignment:4", alerts=(item,))


def test_overdue_and_closed_notices_in_vietnamese_and_as_alertmanager_payload():
    overdue = templates.render(_notice("overdue"))
    assert overdue.title == ("⏰ QUÁ HẠN XỬ LÝ: việc giao Nhà mạng (VNPT, Viettel) — "
                             "Phường Phú Xuân @channel (Thành phố Huế)")
    assert "• Hạn xử lý: 10:00 03/07/2025" in overdue.lines
    assert "• Giao lúc: 08:00 03/07/2025 bởi Lan" in overdue.lines
    assert "• Ghi chú: gọi VNPT" in overdue.lines
    closed = templates.render(_notice("closed"))
    assert closed.title.startswith("☑️ ĐÃ HOÀN THÀNH: việc giao Nhà mạng")
    assert "• Đã hoàn thành lúc 11:00 03/07/2025 bởi Minh" in closed.lines
    assert "• Kết quả: đã thay thiết bị" in closed.lines
    assert webhook.payload(_notice("overdue"), receiver="ioc")["status"] == "firing"
    body = webhook.payload(_notice("closed"), receiver="ioc")
    assert body["status"] == "resolved" and body["alerts"][0]["status"] == "resolved"
    assert Message.from_json(_notice("closed").to_json()) == _notice("closed")


def test_units_must_name_a_configured_channel_and_a_well_formed_key():
    base = {"rules": [{"name": "r", "condition": {"kind": "collector_silent"},
                       "severity": "warning", "summary": "x"}],
            "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1/x"}}}
    ok = AlertsConfig.model_validate(base | {"assignments": {"units": {
        "power_company": {"vi": "Điện lực", "en": "Power", "channel": "hook"}}}})
    assert ok.assignments.unit("power_company").channel == "hook"
    with pytest.raises(KeyError, match="power_company"):
        ok.assignments.unit("nobody")
    with pytest.raises(ValueError, match=r"assignments\.units\.power_company\.channel"):
        AlertsConfig.model_validate(base | {"assignments": {"units": {
            "power_company": {"vi": "Điện lực", "en": "Power", "channel": "tg"}}}})
    with pytest.raises(ValueError):
        AlertsConfig.model_validate(base | {"assignments": {"units": {
            "Power Company": {"vi": "Điện lực", "en": "Power", "channel": "hook"}}}})


def test_the_shipped_file_is_valid_and_a_bad_unit_is_reported_with_its_key(tmp_path):
    shipped = load_alerts()
    assert list(shipped.assignments.units) == ["commune_centre", "provincial_it",
                                               "network_carrier", "power_company",
                                               "portal_team"]
    assert shipped.permissions.assign == ("tech", "ioc_staff")
    bad = tmp_path / "alerts.yaml"
    bad.write_text(load_alerts.__globals__["DEFAULT_ALERTS"].read_text(encoding="utf-8")
                   .replace("channel: ioc-webhook}", "channel: nowhere}", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_alerts(bad)
    assert "commune_centre" in str(err.value) and "nowhere" in str(err.value)


def test_the_audit_page_words_an_assignment_with_its_due_time_in_local_time():
    from dashboard.views import alert_text

    detail = f"centre 19753 → power_company, due {T0}: kiểm tra UPS"
    assert alert_text.audit_detail("assign", detail, i18n.text("vi"), "Asia/Ho_Chi_Minh") == (
        "trung tâm 19753 → power_company, hạn 10:00 03/07/2025: kiểm tra UPS")
    assert alert_text.audit_detail("assign", f"alert 7 → portal_team, due {T0}: ",
                                   i18n.text("en"), "Asia/Ho_Chi_Minh") == (
        "incident #7 → portal_team, due 10:00 03/07/2025: ")
    assert alert_text.audit_action("assign_escalate", i18n.text("en")) == "Report overdue work"


def test_the_store_returns_assignments_in_the_frame_columns_order():
    from metrics.store import assignments as table

    assert tuple(a.SCHEMA) == table.COLUMNS
