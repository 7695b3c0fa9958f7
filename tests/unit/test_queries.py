"""metrics.queries: counter increases with resets and gaps, centre status, lagging order, KPIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest

from metrics import queries as q
from tests.fixtures.policy import shipped

T0 = datetime(2025, 7, 2, 17, 0, tzinfo=UTC)  # 00:00 on 3 July in Huế
NOW = T0 + timedelta(hours=10)
TS = pl.Datetime("ms", "UTC")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def samples(rows: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    """(centre, metric, minutes after T0, value) → a Store-shaped samples frame."""
    return pl.DataFrame(
        [(c, m, "", at(t), v) for c, m, t, v in rows],
        schema={"centre_id": pl.String, "metric": pl.String, "label": pl.String, "ts": TS,
                "value": pl.Float64}, orient="row")


def increases(df: pl.DataFrame) -> dict[str, float]:
    return {c: v for c, _, _, v in df.iter_rows()}


@pytest.mark.parametrize(("points", "zero_start", "expected"), [
    # monotone: the growth after the baseline at or before the start
    ([(-10, 5), (0, 7), (60, 20), (120, 31)], False, 24),
    # a reset (the centre's midnight restart or a reboot): the new value is all increase
    ([(-10, 50), (30, 4), (60, 9)], False, 9),
    ([(10, 10), (20, 15), (30, 3), (40, 8)], False, 13),
    # a gap in collection: the growth across it still counts, nothing is invented
    ([(10, 10), (300, 70)], False, 60),
    # no baseline: either the first sample is it, or the counter started at 0 at the start
    ([(10, 10), (20, 15)], False, 5),
    ([(10, 10), (20, 15)], True, 15),
    # a baseline exists: zero_start changes nothing
    ([(-5, 100), (10, 110)], True, 10),
])
def test_increase_counts_growth_when_counters_reset_or_have_gaps(points, zero_start, expected):
    df = samples([("a", "dossiers_received_total", t, v) for t, v in points])
    assert increases(q.increase(df, T0, zero_start=zero_start)) == {"a": expected}


def test_increase_leaves_series_out_when_no_sample_follows_the_start():
    df = samples([("a", "dossiers_received_total", -30, 40),
                  ("a", "dossiers_received_total", -1, 41),
                  ("b", "dossiers_received_total", 5, 2)])
    out = increases(q.increase(df, T0, zero_start=True))
    assert out == {"b": 2}  # "a" has no data today: absent, never 0


def test_increase_accepts_start_when_given_in_local_time():
    hue = timezone(timedelta(hours=7))
    df = samples([("a", "x_total", -1, 3), ("a", "x_total", 1, 5)])
    assert increases(q.increase(df, T0.astimezone(hue))) == {"a": 2}


def test_totals_sums_per_metric_when_several_centres_report():
    df = samples([("a", "r_total", 1, 4), ("b", "r_total", 1, 6), ("b", "s_total", 1, 1)])
    assert q.totals(q.increase(df, T0, zero_start=True)) == {"r_total": 10, "s_total": 1}


# -- centre status ---------------------------------------------------------------------------

CENTRES = pl.DataFrame({
    "id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"],
    "name": [f"Xã {i}" for i in range(1, 9)],
    "kind": ["xã"] * 8, "province_code": [46] * 8, "province_name": ["Huế"] * 8,
    "lat": [16.4] * 8, "lon": [107.5] * 8, "coords_approximate": [True] * 8,
})


def polls(rows: list[tuple[str, float, bool, str | None]]) -> pl.DataFrame:
    return pl.DataFrame([(c, NOW - timedelta(seconds=age), ok, reason)
                         for c, age, ok, reason in rows],
                        schema={"centre_id": pl.String, "ts": TS, "ok": pl.Boolean,
                                "reason": pl.String}, orient="row")


def latest(rows: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    """(centre, metric, seconds before NOW, value)."""
    return pl.DataFrame([(c, m, "", NOW - timedelta(seconds=age), v) for c, m, age, v in rows],
                        schema={"centre_id": pl.String, "metric": pl.String,
                                "label": pl.String, "ts": TS, "value": pl.Float64},
                        orient="row")


def status_of() -> dict[str, str]:
    p = polls([("c1", 10, True, None), ("c2", 10, True, None), ("c3", 10, False, "timeout"),
               ("c4", 10, True, None), ("c5", 10, True, None), ("c6", 10, True, None),
               ("c7", 600, True, None)])  # c8 never polled
    g = latest([
        ("c1", "system_state", 10, 2), ("c1", "component_esign_state", 10, 2),
        ("c2", "system_state", 10, 2), ("c2", "component_payment_state", 10, 0),
        ("c3", "system_state", 400, 2),  # from an older poll: not the current state
        ("c4", "system_state", 10, 0),  # soft down: answers, says its system is down
        ("c5", "system_state", 10, 2), ("c5", "sync_lag_seconds", 10, 7200),
        ("c6", "system_state", 10, 2), ("c6", "sync_lag_seconds", 400, 7200),
        ("c7", "system_state", 600, 2),
    ])
    df = q.centre_status(CENTRES, p, g, NOW, shipped(60))
    return dict(zip(df["id"], df["status"], strict=True))


@pytest.mark.parametrize(("centre", "expected"), [
    ("c1", q.OK),
    ("c2", q.DEGRADED),  # a component down (the payment_down rule)
    ("c3", q.DOWN),  # the newest poll failed, whatever older samples said
    ("c4", q.DOWN),  # soft down
    ("c5", q.DEGRADED),  # sync two hours behind the National Portal
    ("c6", q.OK),  # the lag came from an older poll, not the newest
    ("c7", q.STALE),  # newest poll ten minutes old with stale_after 60 s
    ("c8", q.NO_DATA),
])
def test_centre_status_classifies_when_polls_and_gauges_differ(centre, expected):
    assert status_of()[centre] == expected


def test_centre_status_is_stale_not_healthy_when_every_poll_is_old():
    p = polls([("c1", 3600, True, None)])
    g = latest([("c1", "system_state", 3600, 2)])
    df = q.centre_status(CENTRES.head(1), p, g, NOW, shipped(60))
    assert df["status"].to_list() == [q.STALE]
    assert q.kpis(df, {}).centres_up == 0


def test_down_since_finds_run_start_when_centre_recovered_before():
    df = samples([("a", "up", 0, 1), ("a", "up", 5, 1), ("a", "up", 10, 0), ("a", "up", 15, 0),
                  ("b", "up", 0, 0), ("b", "up", 5, 0),
                  ("c", "up", 0, 0), ("c", "up", 5, 1),
                  ("d", "up", 0, 1), ("d", "system_state", 0, 2),
                  ("d", "up", 5, 1), ("d", "system_state", 5, 0)])
    runs = {r["centre_id"]: r for r in q.down_since(df).iter_rows(named=True)}
    assert runs["a"]["down_since"] == at(10) and not runs["a"]["since_window_start"]
    assert runs["b"]["down_since"] == at(0) and runs["b"]["since_window_start"]
    assert "c" not in runs  # up again now
    assert runs["d"]["down_since"] == at(5)  # soft down counts as down


def status_frame(rows: list[dict]) -> pl.DataFrame:
    base = {"name": None, "status": q.OK, "last_poll": None, "down_since": None,
            "sync_lag_s": None, "overdue": None, "otp_p95_s": None, "problem_rank": None,
            "problem_since": None}
    return pl.DataFrame([base | r for r in rows], schema={
        "name": pl.String, "status": pl.String, "last_poll": TS, "down_since": TS,
        "sync_lag_s": pl.Float64, "overdue": pl.Float64, "otp_p95_s": pl.Float64,
        "problem_rank": pl.Int64, "problem_since": TS})


def test_lagging_orders_most_urgent_first_when_problems_mix():
    df = status_frame([
        {"name": "ok", "status": q.OK, "sync_lag_s": 99_999},
        {"name": "nodata", "status": q.NO_DATA},
        {"name": "lag1h", "status": q.DEGRADED, "sync_lag_s": 3600, "overdue": 9},
        {"name": "lag3h", "status": q.DEGRADED, "sync_lag_s": 10_800, "overdue": 1},
        {"name": "lag1h_more_overdue", "status": q.DEGRADED, "sync_lag_s": 3600, "overdue": 20},
        {"name": "stale", "status": q.STALE, "last_poll": at(500)},
        {"name": "down_late", "status": q.DOWN, "down_since": at(400)},
        {"name": "down_early", "status": q.DOWN, "down_since": at(100)},
    ])
    assert q.lagging(df)["name"].to_list() == [
        "down_early", "down_late", "stale", "lag3h", "lag1h_more_overdue", "lag1h", "nodata"]
    assert q.lagging(df, limit=2)["name"].to_list() == ["down_early", "down_late"]


def test_kpis_report_missing_figures_as_none_when_nothing_was_collected_today():
    p = polls([("c1", 10, True, None)])
    df = q.centre_status(CENTRES.head(2), p, latest([("c1", "system_state", 10, 2)]), NOW,
                         shipped(60))
    k = q.kpis(df, {})
    assert (k.centres_total, k.centres_up, k.counts[q.NO_DATA]) == (2, 1, 1)
    assert k.received is None and k.on_time_rate is None and k.otp_p95_median_s is None


def test_kpis_compute_rates_and_worst_when_centres_report():
    p = polls([("c1", 10, True, None), ("c2", 10, True, None), ("c3", 10, True, None)])
    g = latest([("c1", "otp_p95_seconds", 10, 9), ("c2", "otp_p95_seconds", 10, 140),
                ("c3", "otp_p95_seconds", 10, 12), ("c2", "sync_lag_seconds", 10, 40),
                ("c3", "sync_lag_seconds", 10, 900), ("c1", "dossiers_overdue", 10, 2),
                ("c3", "dossiers_overdue", 10, 3)])
    df = q.centre_status(CENTRES.head(3), p, g, NOW, shipped(60))
    k = q.kpis(df, {"dossiers_received_total": 1283, "dossiers_resolved_total": 382,
                    "dossiers_resolved_late_total": 19})
    assert (k.received, k.resolved, k.late, k.overdue) == (1283, 382, 19, 5)
    assert k.on_time_rate == pytest.approx(363 / 382)
    assert (k.otp_p95_median_s, k.otp_p95_worst_s, k.otp_p95_worst_centre) == (12, 140, "Xã 2")
    assert (k.sync_lag_worst_s, k.sync_lag_worst_centre) == (900, "Xã 3")
