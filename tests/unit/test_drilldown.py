"""The drill-down's pure helpers: buckets, counter increases with resets, gaps, outages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import polars as pl
import pytest

from metrics import drilldown as d

TZ = "Asia/Ho_Chi_Minh"
T0 = datetime(2025, 7, 3, 1, 0, tzinfo=UTC)  # 08:00 in Huế
MIN = timedelta(minutes=1)
UTC_MS = pl.Datetime("ms", "UTC")


def samples(rows: list[tuple[str, str, str, datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"centre_id": pl.String, "metric": pl.String,
                                      "label": pl.String, "ts": UTC_MS, "value": pl.Float64},
                        orient="row")


def polls(rows: list[tuple[datetime, bool, str | None]], centre: str = "19753") -> pl.DataFrame:
    return pl.DataFrame([(centre, ts, ok, reason, "detail" if reason else None)
                         for ts, ok, reason in rows],
                        schema={"centre_id": pl.String, "ts": UTC_MS, "ok": pl.Boolean,
                                "reason": pl.String, "detail": pl.String}, orient="row")


def local(frame: pl.DataFrame, column: str = "bucket") -> list[str]:
    return [t.strftime("%d %H:%M") for t in frame[column]]


def test_bucket_increase_counts_resets_and_baseline_when_counter_restarts():
    c = "dossiers_received_total"
    df = samples([("a", c, "", T0 - 5 * MIN, 10), ("a", c, "", T0 + 10 * MIN, 14),
                  ("a", c, "", T0 + 50 * MIN, 20), ("a", c, "", T0 + 70 * MIN, 3),
                  ("a", c, "", T0 + 80 * MIN, 5)])
    out = d.bucket_increase(df, d.HOUR, TZ, start=T0)
    assert local(out) == ["03 08:00", "03 09:00"]
    # 08:00: 10→14→20 (baseline at 07:55); 09:00: reset to 3 counts 3, then +2.
    assert out["increase"].to_list() == [10.0, 5.0]


def test_bucket_increase_invents_nothing_when_collection_has_a_gap():
    c = "dossiers_received_total"
    df = samples([("a", c, "", T0, 1), ("a", c, "", T0 + 3 * 60 * MIN, 7)])
    out = d.bucket_increase(df, d.HOUR, TZ)
    # No samples 09:00–10:59: those hours are absent, and the growth lands at 11:00.
    assert local(out) == ["03 11:00"]
    assert out["increase"].to_list() == [6.0]


def test_bucket_increase_keeps_labels_apart_when_counter_has_labels():
    c = "dossiers_received_by_procedure_total"
    df = samples([("a", c, "birth", T0, 1), ("a", c, "birth", T0 + MIN, 4),
                  ("a", c, "death", T0, 0), ("a", c, "death", T0 + MIN, 1)])
    mix = d.procedure_mix(d.bucket_increase(df, d.HOUR, TZ))
    assert mix.rows() == [("birth", 3.0), ("death", 1.0)]


def test_per_day_sums_hours_into_local_days_when_crossing_midnight():
    c = "dossiers_received_total"
    midnight = datetime(2025, 7, 2, 17, 0, tzinfo=UTC)  # 00:00 on 3 July in Huế
    df = samples([("a", c, "", midnight - 20 * MIN, 5), ("a", c, "", midnight - 10 * MIN, 8),
                  ("a", c, "", midnight + 10 * MIN, 1), ("a", c, "", midnight + 70 * MIN, 4)])
    daily = d.per_day(d.bucket_increase(df, d.HOUR, TZ), TZ)
    assert [t.strftime("%d/%m %H:%M") for t in daily["bucket"]] == ["02/07 00:00", "03/07 00:00"]
    assert daily["increase"].to_list() == [3.0, 4.0]


def test_bucket_gauges_averages_each_bucket_when_several_samples_fall_in_it():
    df = samples([("a", "up", "", T0, 1), ("a", "up", "", T0 + 5 * MIN, 0),
                  ("a", "up", "", T0 + 15 * MIN, 1)])
    out = d.bucket_gauges(df, timedelta(minutes=15), TZ)
    assert local(out) == ["03 08:00", "03 08:15"]
    assert out["value"].to_list() == [0.5, 1.0]


def test_fill_gaps_adds_null_rows_when_buckets_have_no_sample():
    df = samples([("a", "up", "", T0, 1), ("a", "up", "", T0 + 45 * MIN, 1)])
    out = d.fill_gaps(d.bucket_gauges(df, timedelta(minutes=15), TZ).drop("centre_id"),
                      timedelta(minutes=15), T0, T0 + 45 * MIN, TZ, ["metric"])
    assert local(out) == ["03 08:00", "03 08:15", "03 08:30", "03 08:45"]
    assert out["value"].to_list() == [1.0, None, None, 1.0]  # a gap, never 0


def test_province_median_takes_the_middle_centre_when_centres_differ():
    df = samples([(c, "sync_lag_seconds", "", T0, v) for c, v in
                  (("a", 10), ("b", 40), ("c", 3600))])
    out = d.province_median(d.bucket_gauges(df, d.HOUR, TZ))
    assert out.select("metric", "value", "centres").rows() == [("sync_lag_seconds", 40.0, 3)]


def test_outages_finds_runs_with_reason_and_end_when_polls_fail():
    rows = [(T0, True, None), (T0 + MIN, False, "timeout"), (T0 + 2 * MIN, False, "refused"),
            (T0 + 3 * MIN, True, None), (T0 + 4 * MIN, False, "http_status")]
    out = d.outages(polls(rows))
    assert out.select("reason", "polls", "duration_s", "ongoing").rows() == [
        ("http_status", 1, 0.0, True), ("timeout", 2, 120.0, False)]
    assert out["end"][1] == T0 + 3 * MIN  # ends at the next answered poll


def test_outages_is_empty_when_there_are_no_polls():
    empty = polls([]).clear()
    assert d.outages(empty).is_empty()
    assert d.outages(polls([(T0, True, None)])).is_empty()


def state_rows(ts: datetime, values: dict[str, float]) -> pl.DataFrame:
    return samples([("a", m, "", ts, v) for m, v in values.items()])


def test_component_states_are_current_when_taken_at_a_fresh_answered_poll():
    latest = state_rows(T0, {"system_state": 2, "component_power_state": 1,
                             "component_network_state": 0})
    states = {s.component: s for s in d.component_states(
        latest, polls([(T0, True, None)]), T0 + MIN, stale_after_s=120)}
    assert (states["system"].word, states["power"].word, states["network"].word) == (
        "up", "battery", "down")
    assert states["system"].current and states["power"].current
    assert states["esign"].word == "unknown" and states["esign"].value is None


def test_component_states_are_not_current_when_the_newest_poll_failed_or_is_stale():
    latest = state_rows(T0, {"system_state": 2})
    failed = d.component_states(latest, polls([(T0, True, None), (T0 + MIN, False, "timeout")]),
                                T0 + MIN, stale_after_s=120)
    stale = d.component_states(latest, polls([(T0, True, None)]), T0 + 10 * MIN,
                               stale_after_s=120)
    assert not failed[0].current and failed[0].word == "up"  # the last known value, marked old
    assert not stale[0].current


def alerts_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"rule": pl.String, "severity": pl.String, "summary": pl.String,
              "pending_since": UTC_MS, "firing_since": UTC_MS, "resolved_at": UTC_MS,
              "acked_by": pl.String}
    return pl.DataFrame(rows, schema=schema)


def test_timeline_merges_outages_alerts_and_acks_newest_first_when_all_exist():
    runs = d.outages(polls([(T0, False, "timeout"), (T0 + 5 * MIN, True, None)]))
    alerts = alerts_frame([{"rule": "centre_down", "severity": "critical",
                            "summary": "<b>down</b>", "pending_since": T0 + MIN,
                            "firing_since": T0 + 2 * MIN, "resolved_at": None,
                            "acked_by": "lan"}])
    events = pl.DataFrame([{"ts": T0 + 3 * MIN, "kind": "acknowledged", "actor": "lan",
                            "detail": "on it", "rule": "centre_down", "severity": "critical"},
                           {"ts": T0 + 4 * MIN, "kind": "notified", "actor": "engine",
                            "detail": "", "rule": "centre_down", "severity": "critical"}],
                          schema_overrides={"ts": UTC_MS})
    out = d.timeline(runs, alerts, events)
    assert out["kind"].to_list() == ["acknowledged", "alert", "outage"]
    assert out.filter(pl.col("kind") == "alert")["ongoing"].to_list() == [True]
    assert out.filter(pl.col("kind") == "alert")["detail"].to_list() == ["<b>down</b>"]


def test_timeline_is_empty_when_alert_tables_are_empty():
    empty_alerts = pl.DataFrame(schema=["rule", "severity", "summary", "pending_since",
                                        "firing_since", "resolved_at", "acked_by"])
    out = d.timeline(d.outages(polls([]).clear()), empty_alerts, pl.DataFrame())
    assert out.is_empty() and out.columns == list(d.TIMELINE_SCHEMA)


def test_day_chunks_split_at_local_midnight_when_range_spans_days():
    start = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)  # 10:00 on 1 July, Huế
    end = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
    chunks = d.day_chunks(start, end, TZ)
    assert [(a.astimezone(UTC).strftime("%d %H"), b.astimezone(UTC).strftime("%d %H"))
            for a, b in chunks] == [("01 03", "01 17"), ("01 17", "02 17"), ("02 17", "03 03")]


def _utc_chunks(chunks):
    return [(a.astimezone(UTC).strftime("%d %H:%M"), b.astimezone(UTC).strftime("%d %H:%M"), k)
            for a, b, k in chunks]


def test_cache_chunks_split_head_closed_days_and_today_when_start_is_mid_day():
    start = datetime(2025, 6, 26, 3, 0, tzinfo=UTC)  # 10:00 on 26 June, Huế
    end = datetime(2025, 7, 3, 3, 7, tzinfo=UTC)
    assert _utc_chunks(d.cache_chunks(start, end, TZ)) == [
        ("26 03:00", "26 17:00", d.HEAD), ("26 17:00", "02 17:00", d.CLOSED),
        ("02 17:00", "03 03:07", d.LIVE)]


def test_cache_chunks_keep_the_closed_key_while_start_moves_within_its_first_day():
    end = datetime(2025, 7, 3, 3, 7, tzinfo=UTC)
    keys = {d.cache_chunks(datetime(2025, 6, 26, h, 0, tzinfo=UTC), end, TZ)[1][:2]
            for h in (0, 5, 12, 16)}
    assert len(keys) == 1


def test_cache_chunks_have_no_head_when_start_is_local_midnight():
    start = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # 00:00 on 1 July, Huế
    end = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
    assert _utc_chunks(d.cache_chunks(start, end, TZ)) == [
        ("30 17:00", "02 17:00", d.CLOSED), ("02 17:00", "03 03:00", d.LIVE)]


def test_cache_chunks_have_no_closed_days_when_range_spans_only_yesterday_and_today():
    start = datetime(2025, 7, 2, 3, 0, tzinfo=UTC)
    end = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
    assert _utc_chunks(d.cache_chunks(start, end, TZ)) == [
        ("02 03:00", "02 17:00", d.HEAD), ("02 17:00", "03 03:00", d.LIVE)]


def test_cache_chunks_are_one_live_chunk_within_one_local_day():
    start = datetime(2025, 7, 2, 18, 0, tzinfo=UTC)
    end = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
    assert d.cache_chunks(start, end, TZ) == [(start, end, d.LIVE)]


def test_cache_chunks_split_today_at_the_settled_hour():
    start = datetime(2025, 7, 2, 3, 0, tzinfo=UTC)  # 24 h: 10:00 yesterday, Huế
    end = datetime(2025, 7, 3, 13, 7, tzinfo=UTC)  # 20:07 today
    settled = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)  # 19:00
    assert _utc_chunks(d.cache_chunks(start, end, TZ, settled)) == [
        ("02 03:00", "02 17:00", d.HEAD), ("02 17:00", "03 12:00", d.SETTLED),
        ("03 12:00", "03 13:07", d.LIVE)]


def test_cache_chunks_within_one_day_cut_the_head_at_the_first_whole_hour():
    start = datetime(2025, 7, 3, 7, 5, tzinfo=UTC)  # 6 h: 14:05 today
    end = datetime(2025, 7, 3, 13, 5, tzinfo=UTC)
    settled = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
    assert _utc_chunks(d.cache_chunks(start, end, TZ, settled)) == [
        ("03 07:05", "03 08:00", d.HEAD), ("03 08:00", "03 12:00", d.SETTLED),
        ("03 12:00", "03 13:05", d.LIVE)]


def test_cache_chunks_leave_yesterday_live_until_it_is_settled():
    start = datetime(2025, 7, 2, 0, 0, tzinfo=UTC)  # 07:00 yesterday
    end = datetime(2025, 7, 3, 17, 4, tzinfo=UTC)  # 00:04 today: 23:00 is the settled hour
    settled = datetime(2025, 7, 3, 16, 0, tzinfo=UTC)
    assert _utc_chunks(d.cache_chunks(start, end, TZ, settled)) == [
        ("02 00:00", "02 17:00", d.HEAD), ("02 17:00", "03 16:00", d.SETTLED),
        ("03 16:00", "03 17:04", d.LIVE)]


def test_cache_chunks_are_one_live_chunk_when_nothing_is_settled():
    start = datetime(2025, 7, 3, 12, 30, tzinfo=UTC)
    end = datetime(2025, 7, 3, 13, 5, tzinfo=UTC)
    for settled in (datetime(2025, 7, 3, 12, 0, tzinfo=UTC),
                    datetime(2025, 7, 3, 13, 0, tzinfo=UTC)):  # start's own hour: no whole one
        assert d.cache_chunks(start, end, TZ, settled) == [(start, end, d.LIVE)]


def test_cache_chunks_cover_the_range_once_in_order():
    end = datetime(2025, 7, 3, 13, 7, tzinfo=UTC)
    for hours_back in (1, 5.5, 6, 23, 24, 30, 24 * 7, 24 * 30 + 0.25):
        start = end - timedelta(hours=hours_back)
        for settled_h in (8, 12, 13):
            chunks = d.cache_chunks(start, end, TZ, end.replace(hour=settled_h, minute=0))
            assert chunks[0][0] == start and chunks[-1][1] == end
            assert all(b == a2 for (_, b, _), (a2, _, _) in pairwise(chunks))
            assert all(a < b for a, b, _ in chunks[:-1]) and chunks[-1][2] == d.LIVE


def test_window_starts_on_a_bucket_boundary_when_preset_is_chosen():
    end = datetime(2025, 7, 3, 3, 7, 31, tzinfo=UTC)
    start, stop, every = d.window(end, "24h", TZ)
    assert every == timedelta(minutes=15)
    assert start.astimezone(UTC) == datetime(2025, 7, 2, 3, 0, tzinfo=UTC)
    assert stop == end


def test_custom_window_covers_whole_local_days_and_refuses_bad_ranges():
    now = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
    start, end, every = d.custom_window(date(2025, 7, 1), date(2025, 7, 3), now, TZ)
    assert start.strftime("%d/%m %H:%M") == "01/07 00:00"
    assert end == now and every == d.HOUR
    with pytest.raises(ValueError, match="custom range"):
        d.custom_window(date(2025, 7, 3), date(2025, 7, 1), now, TZ)
    with pytest.raises(ValueError, match="at most 31 days"):
        d.custom_window(date(2025, 5, 1), date(2025, 7, 3), now, TZ)


def test_rollup_gauges_at_the_rollups_own_width_equals_the_grouped_means():
    from datetime import UTC, datetime, timedelta

    import polars as pl

    from metrics.drilldown import province_median, rollup_gauges, rollup_gauges_at

    t0 = datetime(2026, 11, 20, 3, tzinfo=UTC)
    rolled = pl.DataFrame({
        "centre_id": ["a", "a", "b", "b", "c"],
        "metric": ["up"] * 5,
        "ts": [t0, t0 + timedelta(hours=1), t0, t0 + timedelta(hours=1), t0],
        "count": [240, 200, 240, 10, 120],
        "mean": [1.0, 0.5, 0.25, 0.0, 0.75],
    }).with_columns(pl.col("ts").dt.cast_time_unit("ms"))
    hour = timedelta(hours=1)
    tz = "Asia/Ho_Chi_Minh"
    fast = province_median(rollup_gauges_at(rolled, hour, hour, tz))
    slow = province_median(rollup_gauges(rolled, hour, tz))
    assert fast.to_dicts() == slow.to_dicts() and fast.height == 2
    # a chart bucket wider than the roll-up's still groups
    assert rollup_gauges_at(rolled, 2 * hour, hour, tz).height == 3
