"""Alerts, rules, metrics, poll details and audit rows in the reader's words (pure)."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from config import catalogue
from config.alerts import alerts_path, load_alerts
from dashboard import i18n
from dashboard.views import alert_text as at
from metrics.alerts.rules import Window, evaluate

VI, EN = i18n.text("vi"), i18n.text("en")
TZ = "Asia/Ho_Chi_Minh"
NOW = 1_751_511_600_000  # 10:00 on 3 July 2025 in Huế
CENTRES = pl.DataFrame({"id": ["19753"], "name": ["Phường Phú Xuân"], "province_code": [46],
                        "province_name": ["Thành phố Huế"]})
DOT_DECIMAL = re.compile(r"\d\.\d")


def rule(name: str):
    return load_alerts(alerts_path(None)).rule(name)


def latest(metric: str, value: float) -> pl.DataFrame:
    return pl.DataFrame({"centre_id": ["19753"], "metric": [metric], "label": [""],
                         "ts": [NOW - 1000], "value": [value]})


def stored(rule_name: str, window: Window) -> dict:
    """The alert row the engine would store for the rule's one hit (facts as JSON)."""
    (hit,) = evaluate(rule(rule_name), window, NOW).hits
    return {"rule": rule_name, "summary": hit.summary, "cause": hit.cause,
            "facts": json.dumps(dict(hit.facts))}


def test_threshold_alert_is_worded_in_vietnamese_and_english_from_its_facts():
    row = stored("otp_failure_high", Window(CENTRES, latest=latest("otp_failure_ratio", 0.35)))
    assert row["cause"] == "0,35 (trên 0,2)"  # the stored Vietnamese cause (notifications)
    assert at.summary(row, VI) == "Phường Phú Xuân: tỉ lệ OTP thất bại 35,0 %"
    assert at.cause(row, VI) == "Tỉ lệ OTP thất bại 35,0 % (trên 20,0 %)"
    assert at.summary(row, EN) == "Phường Phú Xuân: OTP failure rate 35.0%"
    assert at.cause(row, EN) == "OTP failure rate 35.0% (above 20.0%)"


def test_centre_down_says_the_collectors_detail_in_words():
    polls = pl.DataFrame({"centre_id": ["19753"] * 2, "ts": [NOW - 10_000, NOW - 5_000],
                          "ok": [False, False], "reason": ["timeout"] * 2,
                          "detail": ["read timeout"] * 2, "confirmed": [True, True]})
    row = stored("centre_down", Window(CENTRES, polls=polls))
    assert at.summary(row, VI) == ("Phường Phú Xuân (Thành phố Huế) ngừng hoạt động: hết thời "
                                   "gian chờ phản hồi; đã thăm dò lại để xác nhận")
    assert at.cause(row, EN).startswith("2 failed polls in a row — no answer (no answer in time")
    for text in (at.summary(row, VI), at.cause(row, VI), at.summary(row, EN)):
        assert "read timeout" not in text and "re-probe" not in text


def test_burn_rate_numbers_use_the_languages_decimal_mark():
    facts = {"kind": "burn_rate", "value": 15.0, "long_rate": 15.0, "short_rate": 20.26,
             "factor": 14.4, "long_min": 60, "short_min": 5, "slo": 0.995,
             "centre_name": "", "province_name": "Thành phố Huế"}
    row = {"rule": "availability_burn_page", "summary": "x", "cause": "y",
           "facts": json.dumps(facts)}
    assert at.summary(row, VI) == ("Thành phố Huế: ngân sách lỗi SLO cạn nhanh (15,0 lần trong "
                                   "1 giờ, 20,3 lần trong 5 phút)")
    assert "(limit 14.4×, SLO 99.5%)" in at.cause(row, EN)
    assert not DOT_DECIMAL.search(at.cause(row, VI))


def test_a_rule_without_its_own_words_is_worded_by_its_kind():
    facts = {"kind": "threshold", "value": 0.0, "threshold": 0.5, "metric": "system_state",
             "op": "<", "centre_name": "Xã A", "province_name": "Huế"}
    row = {"rule": "system_reports_down", "summary": "x", "cause": "y",
           "facts": json.dumps(facts)}
    assert at.summary(row, VI) == "Xã A: Trạng thái hệ thống ngừng (dưới 0,50)"
    assert at.summary(row, EN) == "Xã A: System state down (below 0.50)"
    assert at.rule_name("system_reports_down", VI) == "system_reports_down"


def test_an_alert_stored_without_facts_shows_its_stored_words():
    row = {"rule": "centre_down", "summary": "Phú Xuân: quá thời gian chờ", "cause": "c",
           "facts": None}
    assert at.summary(row, EN) == "Phú Xuân: quá thời gian chờ" and at.cause(row, EN) == "c"


def test_every_rule_has_a_phrase_for_the_stored_incident_summary():
    from metrics.alerts.notifiers.templates import RULE_PHRASES

    missing = [r.name for r in load_alerts(alerts_path(None)).rules
               if r.name not in RULE_PHRASES and "phrase" not in r.labels
               and r.name not in ("province_down", "collector_silent", "store_unreachable")
               and not r.name.startswith("availability_burn")]
    assert not missing, missing  # else the summary says "có cảnh báo <rule>"


@pytest.mark.parametrize("tr", [VI, EN], ids=["vi", "en"])
def test_every_rule_and_metric_has_a_name_in_each_language(tr):
    for r in load_alerts(alerts_path(None)).rules:
        assert at.rule_name(r.name, tr) != r.name
    for name in catalogue.METRICS:
        assert at.metric_name(name, tr) != name


def test_severities_events_and_audit_rows_carry_no_identifiers_or_epoch_times():
    assert at.severity("critical", VI) == "NGHIÊM TRỌNG"
    assert at.severity("warning", VI) == "Cảnh báo"
    assert at.event_detail("silenced", "silence 3 until 1751515200000: bảo trì", VI, TZ) == (
        "tạm tắt đến 11:00 03/07/2025: bảo trì")
    assert at.event_detail("acknowledged", "role tech", VI, TZ) == "Kỹ thuật"
    detail = '{"centre_id": "19753", "rule": "otp_p95_high"} until 1751515200000: đường truyền'
    assert at.audit_detail("silence", detail, VI, TZ) == (
        "OTP đến chậm · mã trung tâm 19753 · đến 11:00 03/07/2025: đường truyền")
    assert at.audit_action("sign_in", VI) == "Đăng nhập"
    assert at.role_name("leader", EN) == "Leader (read-only)"


def test_poll_details_keep_a_centres_own_words_and_drop_the_deadline_note():
    assert at.poll_detail("HTTP 503", VI) == "mã HTTP 503"
    assert at.poll_detail("read timeout (cut to 1.25 s by the cycle's deadline)", VI) == (
        "hết thời gian chờ phản hồi")
    assert at.poll_detail("Lỗi máy chủ nội bộ", VI) == "Lỗi máy chủ nội bộ"
