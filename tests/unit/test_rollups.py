"""Roll-up bucket maths and resolution selection (pure: metrics/store/rollups.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from metrics import resolutions
from metrics.queries import increase
from metrics.resolutions import (
    DAY_MS,
    DEFAULT_KEEP,
    FIVE_MIN_MS,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    bucket_start,
)
from metrics.store import rollups
from metrics.store.rollups import (
    READ_SCHEMA,
    Bucket,
    aggregate,
    choose_resolution,
    combine,
    finish,
    merge,
    step,
)

T0 = 1_751_511_600_000  # 2025-07-03 03:00 UTC, on an hour boundary
NOW = datetime(2025, 7, 10, 3, 0, tzinfo=UTC)
S = 15_000  # a 15 s poll


def test_step_counts_decrease_as_reset_from_zero():
    assert step(5.0, 8.0) == 3.0
    assert step(8.0, 2.0) == 2.0
    assert step(4.0, 4.0) == 0.0


def test_aggregate_summarises_each_series_bucket_when_rows_span_buckets():
    rows = [(1, T0, 3.0), (1, T0 + S, 7.0), (1, T0 + 2 * S, 5.0),
            (1, T0 + FIVE_MIN_MS, 1.0), (2, T0 + S, 9.0)]
    got = aggregate(rows, FIVE_MIN_MS)
    assert list(got) == [(1, T0), (1, T0 + FIVE_MIN_MS), (2, T0)]
    b = got[(1, T0)]
    assert (b.n, b.total, b.lo, b.hi, b.last_value, b.last_ts) == (3, 15.0, 3.0, 7.0, 5.0,
                                                                     T0 + 2 * S)
    assert (b.first_ts, b.first_value) == (T0, 3.0)
    assert got[(1, T0 + FIVE_MIN_MS)] == Bucket(1, 1.0, 1.0, 1.0, T0 + FIVE_MIN_MS, 1.0,
                                                T0 + FIVE_MIN_MS, 1.0, 0.0)


def test_aggregate_counts_counter_reset_inside_bucket():
    rows = [(1, T0 + i * S, v) for i, v in enumerate([5.0, 8.0, 2.0, 4.0])]
    assert aggregate(rows, FIVE_MIN_MS)[(1, T0)].inc == 3.0 + 2.0 + 2.0


def test_aggregate_refuses_rows_when_out_of_order():
    with pytest.raises(ValueError, match="series 1"):
        aggregate([(1, T0 + S, 1.0), (1, T0, 2.0)], FIVE_MIN_MS)


def _random_rows(seed: int, n: int = 300) -> list[tuple[int, int, float]]:
    rnd = random.Random(seed)
    ts, value, rows = T0, 0.0, []
    for _ in range(n):
        ts += rnd.choice([S, S, S, 4 * S, 40 * S])  # gaps now and then
        value = 0.0 if rnd.random() < 0.05 else value + rnd.randint(0, 5)  # resets
        rows.append((1, ts, value))
    return rows


@pytest.mark.parametrize("seed", range(5))
def test_merge_equals_aggregate_of_union_when_parts_are_ordered(seed):
    rows = [r for r in _random_rows(seed) if r[1] < T0 + HOUR_MS]
    cut = len(rows) // 3
    whole = aggregate(rows, HOUR_MS)[(1, T0)]
    a = aggregate(rows[:cut], HOUR_MS)[(1, T0)]
    b = aggregate(rows[cut:], HOUR_MS)[(1, T0)]
    assert merge(a, b) == whole
    assert merge(b, a) == whole  # order of arrival does not matter


def test_merge_marks_increase_unknown_when_parts_interleave():
    rows = [(1, T0 + i * S, float(i)) for i in range(6)]
    a = aggregate(rows[::2], FIVE_MIN_MS)[(1, T0)]
    b = aggregate(rows[1::2], FIVE_MIN_MS)[(1, T0)]
    merged = merge(a, b)
    assert merged.inc is None
    assert (merged.n, merged.total, merged.first_value, merged.last_value) == (6, 15.0, 0.0, 5.0)


@pytest.mark.parametrize("seed", range(5))
def test_combine_of_five_minute_buckets_equals_hourly_aggregate(seed):
    rows = _random_rows(seed, 600)
    hourly = aggregate(rows, HOUR_MS)
    fives = aggregate(rows, FIVE_MIN_MS)
    for (sid, hour), expected in hourly.items():
        parts = [b for (s, ts), b in fives.items() if s == sid and hour <= ts < hour + HOUR_MS]
        got = combine(parts)
        assert got._replace(total=0, inc=0) == expected._replace(total=0, inc=0)
        assert got.total == pytest.approx(expected.total)
        assert got.inc == pytest.approx(expected.inc)


def test_day_bucket_starts_at_local_midnight_which_is_17_utc():
    midnight = int(datetime(2025, 7, 3, 17, 0, tzinfo=UTC).timestamp() * 1000)
    local = datetime.fromtimestamp(midnight / 1000, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (local.day, local.hour, local.minute) == (4, 0, 0)
    assert bucket_start(midnight, DAY_MS) == midnight
    assert bucket_start(midnight + DAY_MS - 1, DAY_MS) == midnight
    assert bucket_start(midnight - 1, DAY_MS) == midnight - DAY_MS  # 23:59:59.999 local
    # Five minutes and hours stay the UTC ones (seven hours are whole hours).
    assert bucket_start(T0 + 1234, HOUR_MS) == T0
    assert bucket_start(T0 + FIVE_MIN_MS + 1, FIVE_MIN_MS) == T0 + FIVE_MIN_MS


@pytest.mark.parametrize("year", [1976, 1990, 2000, 2025, 2040])
def test_local_offset_is_the_time_zone_database_s_for_asia_ho_chi_minh(year):
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    for month in (1, 7):  # no daylight saving: the same in winter and summer
        offset = zone.utcoffset(datetime(year, month, 15, 12))
        assert offset == timedelta(milliseconds=LOCAL_OFFSET_MS)


@pytest.mark.parametrize("seed", range(5))
def test_combine_of_hourly_buckets_equals_daily_aggregate_across_local_midnight(seed):
    rows = [(sid, ts + 15 * HOUR_MS, v) for sid, ts, v in _random_rows(seed, 900)]
    daily = aggregate(rows, DAY_MS)
    assert len(daily) >= 2  # from 18:00 UTC, past 17:00 UTC the next day
    hourly = aggregate(rows, HOUR_MS)
    for (sid, day), expected in daily.items():
        parts = [b for (s, ts), b in hourly.items() if s == sid and day <= ts < day + DAY_MS]
        got = combine(parts)
        assert got._replace(total=0, inc=0) == expected._replace(total=0, inc=0)
        assert got.total == pytest.approx(expected.total)
        assert got.inc == pytest.approx(expected.inc)


def _read_frame(buckets: dict[tuple[int, int], Bucket], metric: str) -> pl.DataFrame:
    return pl.DataFrame(
        [("19753", metric, "", ts, b.n, b.total, b.lo, b.hi, b.first_value, b.last_value, b.inc)
         for (_, ts), b in buckets.items()], schema=READ_SCHEMA, orient="row")


@pytest.mark.parametrize("seed", range(5))
def test_finish_increases_add_up_to_raw_increase_when_counter_resets_and_gaps(seed):
    rows = _random_rows(seed, 400)
    start = T0 + 2 * HOUR_MS  # a bucket boundary; the bucket before is the baseline
    done = finish(_read_frame(aggregate(rows, FIVE_MIN_MS), "otp_sent_total"), start,
                  {"otp_sent_total"})
    raw = pl.DataFrame(
        [("19753", "otp_sent_total", "", ts, v) for _, ts, v in rows],
        schema={"centre_id": pl.String, "metric": pl.String, "label": pl.String,
                "ts": pl.Int64, "value": pl.Float64}, orient="row",
    ).with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    since = datetime.fromtimestamp((start - 1) / 1000, UTC)
    assert done["ts"].min() >= datetime.fromtimestamp(start / 1000, UTC)
    assert done["increase"].sum() == pytest.approx(increase(raw, since)["increase"][0])


def test_finish_leaves_gauge_increase_null_and_gaps_absent():
    rows = [(1, T0, 2.0), (1, T0 + S, 4.0), (1, T0 + 3 * FIVE_MIN_MS, 1.0)]
    done = finish(_read_frame(aggregate(rows, FIVE_MIN_MS), "sync_lag_seconds"), T0, set())
    assert done.height == 2  # the two empty buckets between are absent, not zeros
    assert done["mean"].to_list() == [3.0, 1.0]
    assert done["increase"].null_count() == 2


@pytest.mark.parametrize(("span", "expected"), [
    (timedelta(minutes=30), "raw"),
    (timedelta(hours=6), "raw"),
    (timedelta(hours=6, minutes=1), "5m"),
    (timedelta(days=7), "5m"),
    (timedelta(days=8), "5m"),
    (timedelta(days=9), "1h"),
    (timedelta(days=365), "1h"),
])
def test_choose_resolution_by_span_when_all_retained(span, expected):
    assert choose_resolution(NOW - span, NOW, NOW) == expected


def test_choose_resolution_falls_back_when_finer_rows_expired():
    eight_days_ago = NOW - timedelta(days=8)
    assert choose_resolution(eight_days_ago, eight_days_ago + timedelta(hours=1), NOW) == "5m"
    old = NOW - timedelta(days=100)
    assert choose_resolution(old, old + timedelta(hours=1), NOW) == "1h"
    keep = {**DEFAULT_KEEP, "raw": timedelta(days=1)}
    two_days_ago = NOW - timedelta(days=2)
    assert choose_resolution(two_days_ago, two_days_ago + timedelta(hours=1), NOW, keep) == "5m"
    # Beyond every retention the coarsest is still the best answer.
    ancient = NOW - timedelta(days=3000)
    assert choose_resolution(ancient, ancient + timedelta(hours=1), NOW) == "1h"


def test_choose_resolution_takes_explicit_and_refuses_unknown():
    assert choose_resolution(NOW - timedelta(days=30), NOW, NOW, requested="raw") == "raw"
    assert choose_resolution(NOW - timedelta(days=30), NOW, NOW, requested="1d") == "1d"
    assert choose_resolution(NOW - timedelta(days=3000), NOW, NOW) == "1h"  # never 1d itself
    with pytest.raises(ValueError, match="resolution"):
        choose_resolution(NOW - timedelta(hours=1), NOW, NOW, requested="10m")
    with pytest.raises(ValueError, match="before it starts"):
        choose_resolution(NOW, NOW - timedelta(hours=1), NOW)


def test_day_answers_only_a_range_from_local_midnight_with_nothing_after_it_that_day():
    midnight = 1_795_626_000_000  # 2026-11-25 17:00 UTC = 2026-11-26 00:00 in Huế
    assert resolutions.bucket_start(midnight, resolutions.DAY_MS) == midnight
    hour = resolutions.HOUR_MS
    assert rollups.day_answers(midnight, midnight + resolutions.DAY_MS - 1, None)  # a whole day
    assert rollups.day_answers(midnight, midnight + 5 * hour, midnight + 5 * hour)  # today
    assert not rollups.day_answers(midnight, midnight + 5 * hour, midnight + 6 * hour)
    assert rollups.day_answers(midnight, midnight + 5 * hour, midnight + 5 * hour + 30_000,
                               slack_ms=60_000)
    assert not rollups.day_answers(midnight, midnight + 5 * hour, None)
    assert not rollups.day_answers(midnight + hour, midnight + 5 * hour, midnight + 5 * hour)
    assert not rollups.day_answers(midnight, midnight + 3 * resolutions.DAY_MS, None)
