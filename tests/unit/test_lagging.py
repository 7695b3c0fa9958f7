"""The finder's lagging rules, pure: per-centre metrics, rule evaluation, filters."""

from __future__ import annotations

from typing import get_args

import polars as pl
import pytest

from config.settings import ALERT_THRESHOLDS, DEFAULT_LAGGING, LaggingMetric, LaggingRule
from metrics import lagging
from metrics import queries as q
from metrics.lagging import Rule

ROWS = [
    # id, name, kind, province, status, on-time, availability, sync lag, otp p95, overdue
    ("1", "Phường A", "phường", 46, q.OK, 0.95, 1.0, 40.0, 9.0, 0.0),
    ("2", "Xã B", "xã", 46, q.DEGRADED, 0.80, 0.99, 10_800.0, 140.0, 7.0),
    ("3", "Xã C", "xã", 46, q.DOWN, None, 0.0, None, None, None),
    ("4", "Đặc khu D", "đặc khu", 48, q.OK, 0.90, 0.96, 1800.0, 60.0, 5.0),
]
COLUMNS = ["id", "name", "kind", "province_code", "status", "on_time_rate_today",
           "availability_24h", "sync_lag_s", "otp_p95_s", "overdue"]
DEFAULTS = lagging.rules_from(DEFAULT_LAGGING)
TS = pl.Datetime("ms", "UTC")


def table() -> pl.DataFrame:
    return pl.DataFrame(ROWS, schema=COLUMNS, orient="row").with_columns(
        pl.lit(None, TS).alias("down_since"), pl.lit(None, TS).alias("last_poll"),
        pl.lit(None, TS).alias("problem_since"), pl.lit(None, pl.Int64).alias("problem_rank"))


def broken(rules: list[Rule]) -> dict[str, list[int]]:
    return dict(lagging.evaluate(table(), rules).select("id", "broken").iter_rows())


def test_config_metrics_are_the_finders_metrics():
    # The service-level ones are the finder's own; the others are alert rules' thresholds.
    assert set(get_args(LaggingMetric)) | set(ALERT_THRESHOLDS) == set(lagging.METRICS)


def test_evaluate_lists_each_broken_rule_when_defaults_apply():
    # 0 on-time < 0.9, 1 availability < 0.95
    assert broken(DEFAULTS) == {"1": [], "2": [0], "3": [1], "4": []}


def test_evaluate_counts_a_problem_status_as_lagging_without_any_rule():
    out = dict(lagging.evaluate(table(), []).select("id", "lagging").iter_rows())
    assert out == {"1": False, "2": True, "3": True, "4": False}


def test_evaluate_breaks_nothing_when_the_value_is_missing():
    # Centre 3 has no on-time rate and no gauges: only its measured availability counts.
    assert broken([Rule("on_time_rate_today", "below", 0.99)])["3"] == []


def test_evaluate_is_strict_at_the_threshold_when_value_equals_it():
    rules = [Rule("sync_lag_s", "above", 1800), Rule("on_time_rate_today", "below", 0.9)]
    assert broken(rules)["4"] == []


def test_evaluate_follows_changed_thresholds_when_the_user_edits_them():
    assert broken([Rule("availability_24h", "below", 0.999)]) == {
        "1": [], "2": [0], "3": [0], "4": [0]}
    assert broken([]) == {"1": [], "2": [], "3": [], "4": []}


@pytest.mark.parametrize(("kwargs", "ids"), [
    ({}, ["3", "2", "1", "4"]),  # down, degraded, then rules broken, then by name
    ({"only_lagging": True}, ["3", "2"]),
    ({"kinds": ["xã"]}, ["3", "2"]),
    ({"provinces": [48]}, ["4"]),
    ({"ids": ["1", "4"], "only_lagging": True}, []),
])
def test_select_rows_filters_and_orders_when_filters_are_set(kwargs, ids):
    rows = lagging.select_rows(lagging.evaluate(table(), DEFAULTS), **kwargs)
    assert rows["id"].to_list() == ids


def test_rule_refuses_unknown_metric_with_its_name():
    with pytest.raises(ValueError, match="unknown metric 'speed'"):
        Rule("speed", "below", 1)
    with pytest.raises(ValueError, match="comparison"):
        Rule("overdue", "equal", 1)  # type: ignore[arg-type]


def test_settings_refuse_unknown_metric_when_config_is_wrong():
    with pytest.raises(ValueError, match="metric"):
        LaggingRule(metric="speed", comparison="below", threshold=1)


def test_settings_send_an_alert_threshold_to_the_alert_rules():
    with pytest.raises(ValueError, match=r"alerts.yaml \(rule otp_p95_high\)"):
        LaggingRule(metric="otp_p95_s", comparison="above", threshold=60)  # type: ignore[arg-type]


def test_on_time_today_is_missing_when_nothing_was_resolved():
    inc = pl.DataFrame({
        "centre_id": ["a", "a", "a", "b"],
        "metric": ["dossiers_received_total", "dossiers_resolved_total",
                   "dossiers_resolved_late_total", "dossiers_received_total"],
        "label": [""] * 4, "increase": [40.0, 20.0, 3.0, 5.0]})
    out = dict(lagging.on_time_today(inc).select("centre_id", "on_time_rate_today").iter_rows())
    assert out == {"a": pytest.approx(0.85), "b": None}


def test_availability_24h_takes_the_time_weighted_figures():
    summary = pl.DataFrame({"centre_id": ["a", "b"], "up_s": [80_000.0, 0.0],
                            "down_s": [400.0, 0.0], "unknown_s": [6_000.0, 86_400.0],
                            "availability": [80_000 / 80_400, None]})
    out = lagging.availability_24h(summary)
    assert out.rows() == [("a", pytest.approx(80_000 / 80_400), 6_000.0),
                          ("b", None, 86_400.0)]


def test_centre_metrics_blank_the_gauges_of_stale_centres():
    status = pl.DataFrame({"id": ["a", "b"], "status": [q.OK, q.STALE],
                           "sync_lag_s": [40.0, 9000.0], "otp_p95_s": [9.0, 9.0],
                           "overdue": [1.0, 50.0], "unsynced": [0.0, 9.0]})
    empty_today = pl.DataFrame(schema={"centre_id": pl.String, "received_today": pl.Float64,
                                       "resolved_today": pl.Float64,
                                       "on_time_rate_today": pl.Float64})
    avail = pl.DataFrame({"centre_id": ["b"], "availability_24h": [0.5], "unknown_24h_s": [0.0]})
    out = lagging.centre_metrics(status, empty_today, avail)
    assert out.filter(pl.col("id") == "b").select("sync_lag_s", "overdue").row(0) == (None, None)
    assert out.filter(pl.col("id") == "a")["sync_lag_s"].to_list() == [40.0]
    assert out.filter(pl.col("id") == "b")["availability_24h"].to_list() == [0.5]


@pytest.mark.parametrize(("metric", "value", "shown"), [
    ("on_time_rate_today", 0.9, 90.0), ("sync_lag_s", 1800, 30.0), ("otp_p95_s", 60, 60.0)])
def test_display_units_round_trip(metric, value, shown):
    assert lagging.to_display(metric, value) == pytest.approx(shown)
    assert lagging.from_display(metric, shown) == pytest.approx(value)
