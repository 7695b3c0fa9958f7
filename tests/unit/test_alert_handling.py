"""What people did about alerts, as the pages show it: acknowledgements and silences
(`alert_stats.with_handling`, `alerts_view.handling_text`), and which alerts ask first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl

from dashboard import i18n
from dashboard.views import alerts as alerts_view
from metrics.alerts import stats as alert_stats
from metrics.alerts.lifecycle import Silence
from metrics.alerts.read import ALERT_SCHEMA

AT = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # 10:00 in Huế
MS = int(AT.timestamp() * 1000)
TZ = "Asia/Ho_Chi_Minh"


def alerts(*rows: dict) -> pl.DataFrame:
    base = dict.fromkeys(ALERT_SCHEMA)
    full = [base | {"labels": json.dumps({"centre_id": r["centre_id"]}), "state": "firing",
                    "severity": "critical", "summary": "x"} | r for r in rows]
    return pl.DataFrame(full, schema=ALERT_SCHEMA, orient="row")


def silence(sid: int, ends_in_min: int, *, by: str = "Lan", **matchers) -> Silence:
    return Silence(sid, matchers, MS - 60_000, MS + ends_in_min * 60_000, by, "bảo trì")


def test_with_handling_names_the_silence_muting_each_alert_the_longest_first():
    frame = alerts({"id": 1, "rule": "centre_down", "centre_id": "19753"},
                   {"id": 2, "rule": "otp_p95_high", "centre_id": "19753"},
                   {"id": 3, "rule": "centre_down", "centre_id": "19999"})
    found = alert_stats.with_handling(frame, [
        silence(1, 30, rule="centre_down", centre_id="19753"),
        silence(2, 90, by="Hùng", centre_id="19753"),
        Silence(3, {"rule": "centre_down"}, MS - 60_000, MS + 60_000, "X", "r",
                cancelled_at=MS - 1000),  # cancelled: not in force
    ], AT)
    assert found["silenced_by"].to_list() == ["Hùng", "Hùng", None]
    assert found["silenced_until"][0] == AT + timedelta(minutes=90)


def test_with_handling_forgets_an_acknowledgement_made_after_the_moment_replayed():
    frame = alerts({"id": 1, "rule": "centre_down", "centre_id": "1", "acked_by": "Minh",
                    "acked_at": AT - timedelta(minutes=5), "ack_note": "đã gọi"},
                   {"id": 2, "rule": "centre_down", "centre_id": "2", "acked_by": "Lan",
                    "acked_at": AT + timedelta(minutes=5), "ack_note": "sau"})
    found = alert_stats.with_handling(frame, [], AT)
    assert found["acked_by"].to_list() == ["Minh", None]
    assert found["ack_note"].to_list() == ["đã gọi", None]


def test_handling_text_says_who_acknowledged_and_until_when_silenced_in_both_languages():
    row = {"acked_by": "Minh", "ack_note": "đã gọi\nVNPT",
           "silenced_until": AT + timedelta(hours=1), "silenced_by": "Lan"}
    vi, en = i18n.text("vi"), i18n.text("en")
    assert alerts_view.handling_text(row, vi, TZ, AT) == (
        "Đã xác nhận bởi Minh: đã gọi VNPT · Tắt tiếng đến 11:00 bởi Lan")
    assert alerts_view.handling_text(row, en, TZ, AT) == (
        "Acknowledged by Minh: đã gọi VNPT · Silenced until 11:00 by Lan")
    tomorrow = AT - timedelta(days=1)  # another day: the date is named too
    assert "đến 11:00 03/07/2025 bởi Lan" in alerts_view.handling_text(row, vi, TZ, tomorrow)
    assert alerts_view.handling_text({"acked_by": None}, vi, TZ, AT) == "Chưa ai xử lý"
    assert alerts_view.handling_text({"acked_by": "Minh", "ack_note": ""}, vi, TZ, AT) == (
        "Đã xác nhận bởi Minh")


def test_only_critical_alerts_ask_for_confirmation():
    assert alert_stats.needs_confirmation("critical")
    assert not alert_stats.needs_confirmation("warning")
    assert not alert_stats.needs_confirmation("info")
