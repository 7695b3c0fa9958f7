"""The daily briefing's arithmetic (metrics.briefing) on hand-made frames."""

from __future__ import annotations

from datetime import UTC, datetime, time

import polars as pl
import pytest

from metrics import briefing as br
from metrics import queries as q
from metrics.store.records import CENTRE_SCHEMA, POLL_SCHEMA, SAMPLE_SCHEMA, frame
from tests.fixtures import briefing_day as day

TZ = "Asia/Ho_Chi_Minh"
TIMES = (time(8, 0), time(14, 0))


def local(d: int, h: int, m: int = 0) -> datetime:
    return datetime(2025, 7, d, h - 7, m, tzinfo=UTC) if h >= 7 else \
        datetime(2025, 7, d - 1, h + 17, m, tzinfo=UTC)


@pytest.mark.parametrize(("at", "previous"), [
    (local(3, 10), local(3, 8)),
    (local(3, 14), local(3, 8)),  # a conference is "previous" only strictly before
    (local(3, 15, 30), local(3, 14)),
    (local(3, 7), local(2, 14)),  # before the morning one: yesterday afternoon's
])
def test_briefing_previous_conference_is_the_last_one_before_the_moment(at, previous):
    assert br.previous_briefing(at, TIMES, TZ) == previous


def test_briefing_times_are_checked_and_name_the_bad_entry():
    assert br.parse_times(["14:00", "07:30"]) == (time(7, 30), time(14, 0))
    with pytest.raises(ValueError, match=r"briefing_times\[1\]: 'noon'"):
        br.parse_times(["08:00", "noon"])
    with pytest.raises(ValueError, match="at least one"):
        br.parse_times([])


def test_briefing_totals_and_top_centres_match_the_huế_news_report():
    b = day.briefing()
    assert b.totals == {"received": 1283, "resolved": 382, "on_time": 379, "late": 3,
                        "returned": 0}
    assert b.top_received.select("name", "value").rows() == [
        ("Phường Phú Xuân", 151), ("Xã Quảng Điền", 151)]
    assert b.top_resolved.select("name", "value").rows() == [
        ("Xã Quảng Điền", 61), ("Phường Hương An", 36)]
    assert [p for p, _ in b.procedures] == ["certified_copy", "business_registration",
                                            "household_business_end", "death_registration",
                                            "land_use_rights"]


def test_briefing_top_keeps_ties_and_skips_zero():
    counts = pl.DataFrame({"id": list("abcde"), "name": list("ABCDE"), "kind": ["xã"] * 5,
                           "received": [151, 61, 61, 36, 0]})
    assert br.top(counts, "received", 2)["id"].to_list() == ["a", "b", "c"]
    assert br.top(counts.with_columns(received=pl.lit(0)), "received").is_empty()


def test_briefing_counts_are_null_not_zero_for_a_silent_centre():
    centres = frame([("a", "Xã A", "xã", 46, "Huế", None, None, False),
                     ("b", "Xã B", "xã", 46, "Huế", None, None, False)], CENTRE_SCHEMA)
    samples = frame([("a", "dossiers_received_total", "", day.MS, 7.0)], SAMPLE_SCHEMA)
    inc = q.increase(samples, day.DAY_START, zero_start=True)
    counts = br.centre_counts(inc, centres)
    assert counts.filter(pl.col("id") == "b")["received"][0] is None
    assert br.totals(counts)["received"] == 7 and br.totals(counts)["resolved"] is None


def test_briefing_incidents_are_runs_of_failed_polls_with_duration_and_cause():
    minute = 60_000
    start = day.MS - 60 * minute
    oks = {"a": [True, False, False, True, False], "b": [False, False, True, True, True]}
    rows = [(cid, start + i * 10 * minute, ok, None if ok else "refused",
             "" if ok else "connection refused", None, 0.1, 0, "", not ok)
            for cid, seq in oks.items() for i, ok in enumerate(seq)]
    centres = frame([(c, f"Xã {c}", "xã", 46, "Huế", None, None, False) for c in oks],
                    CENTRE_SCHEMA)
    until = day.AT
    runs = br.incidents(frame(rows, POLL_SCHEMA), centres, until)
    got = {(r["centre_id"], r["duration_s"], r["ongoing"], r["from_before"], r["polls"])
           for r in runs.iter_rows(named=True)}
    assert got == {("a", 1200.0, False, False, 2),  # 10 past to 30 past: next good poll
                   ("a", 1200.0, True, False, 1),  # 40 past, still failing at 10:00
                   ("b", 1200.0, False, True, 2)}  # failing since the window began
    assert set(runs["reason"]) == {"refused"}


def test_briefing_attention_names_down_and_incident_centres_with_reasons():
    b = day.briefing()
    assert b.attention.select("id", "why").rows() == [("20036", ["down"]),
                                                       ("19774", ["incidents"])]


def test_briefing_attention_flags_a_low_on_time_rate_only_with_enough_resolutions():
    status = pl.DataFrame({"id": ["a", "b"], "name": ["A", "B"],
                           "status": [q.OK, q.DEGRADED], "problems": [[], ["overdue_high"]],
                           "overdue": [0.0, 12.0], "sync_lag_s": [40.0, 40.0],
                           "otp_p95_s": [5.0, 5.0], "bad_components": [[], []]},
                          schema_overrides={"bad_components": pl.List(pl.String),
                                            "problems": pl.List(pl.String)})
    counts = pl.DataFrame({"id": ["a", "b"], "resolved": [20, 5], "late": [4, 4],
                           "on_time_rate": [0.8, 0.2]})
    empty = br.incidents(frame([], POLL_SCHEMA), status.select("id", "name"), day.AT)
    out = br.attention(status, counts, empty)
    # b's overdue dossiers are the overdue_high alert rule's problem (its threshold there).
    assert sorted(out.select("id", "why").rows()) == [("a", ["late"]),
                                                      ("b", ["problem:overdue_high"])]


def test_briefing_alerts_keep_only_those_that_fired():
    ts = pl.Datetime("ms", "UTC")
    alerts = pl.DataFrame({
        "centre_id": ["19753", "19753"], "severity": ["critical", "warning"],
        "rule": ["centre_down", "slow_otp"], "summary": ["Mất kết nối", "OTP chậm"],
        "cause": ["timeout", "p95 90 s"], "state": ["resolved", "pending"],
        "firing_since": [day.MS - 30 * 60_000, None], "resolved_at": [day.MS - 10 * 60_000, None],
    }).with_columns(pl.col("firing_since", "resolved_at").cast(ts))
    rows = br.alert_rows(alerts, day.frames()["centres"], day.AT)
    assert rows.select("name", "rule", "duration_s").rows() == [
        ("Phường Phú Xuân", "centre_down", 1200.0)]
    assert br.alert_rows(pl.DataFrame(), day.frames()["centres"], day.AT).is_empty()
