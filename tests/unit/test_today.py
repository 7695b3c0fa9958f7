"""Today's counters up to a moment (metrics/today.py): which resolution answers, and the
pieces added up per series equal the steps of the raw samples (pure)."""

from __future__ import annotations

import random
from datetime import timedelta

import polars as pl
import pytest

from metrics import resolutions, today
from metrics.resolutions import FIVE_MIN, FIVE_MIN_MS, HOUR, HOUR_MS, RAW
from metrics.store.rollups import aggregate, step

MIDNIGHT = 1_751_475_600_000  # 3 July 2025 00:00 in Asia/Ho_Chi_Minh (17:00 UTC)
DAY = 86_400_000
KEEP = resolutions.DEFAULT_KEEP  # raw 7 days, 5-minute 90 days
NOW = MIDNIGHT + 30 * DAY


def test_plan_reads_the_days_rollup_when_nothing_is_stored_after_the_moment():
    at = MIDNIGHT + 10 * HOUR_MS + 7 * 60_000
    for newest in (None, at, at - 1):
        got = today.plan(MIDNIGHT, at, newest, NOW, KEEP, MIDNIGHT - 5 * DAY)
        assert (got.resolution, got.until_ms, got.whole) == (RAW, at, resolutions.DAY)


def test_plan_reads_hours_five_minutes_and_raw_when_later_data_exists_and_raw_is_kept():
    at = MIDNIGHT + 10 * HOUR_MS + 37 * 60_000 + 12_000  # 10:37:12
    got = today.plan(MIDNIGHT, at, at + 60_000, NOW, KEEP, raw_from_ms=MIDNIGHT)
    assert got == today.Plan(RAW, at, None, MIDNIGHT + 10 * HOUR_MS,
                             MIDNIGHT + 10 * HOUR_MS + 35 * 60_000, True)


def test_plan_falls_back_to_the_bucket_ending_by_the_moment_beyond_raw_retention():
    at = MIDNIGHT + 10 * HOUR_MS + 37 * 60_000
    raw_from = at + DAY  # raw samples are stored only from a day later
    five = today.plan(MIDNIGHT, at, NOW, NOW, KEEP, raw_from)
    assert (five.resolution, five.until_ms, five.raw) == (
        FIVE_MIN, MIDNIGHT + 10 * HOUR_MS + 35 * 60_000, False)
    old = today.plan(MIDNIGHT, at, NOW, MIDNIGHT + 100 * DAY, KEEP, raw_from)
    assert (old.resolution, old.until_ms, old.fives_end_ms) == (
        HOUR, MIDNIGHT + 10 * HOUR_MS, MIDNIGHT + 10 * HOUR_MS)
    # Raw samples still stored (no pruning yet) count even past the configured retention.
    kept = today.plan(MIDNIGHT, at, NOW, MIDNIGHT + 100 * DAY, KEEP, MIDNIGHT - DAY)
    assert kept.resolution == RAW


def test_plan_in_the_first_hour_reads_no_closed_hour_and_refuses_another_day():
    at = MIDNIGHT + 7 * 60_000
    got = today.plan(MIDNIGHT, at, at + 1, NOW, KEEP, MIDNIGHT - DAY)
    assert (got.hours_end_ms, got.fives_end_ms) == (MIDNIGHT, MIDNIGHT + 5 * 60_000)
    for bad in (MIDNIGHT - 1, MIDNIGHT + DAY):
        with pytest.raises(ValueError, match="not in the day"):
            today.plan(MIDNIGHT, bad, NOW, NOW, KEEP, MIDNIGHT)


def counter_series(rng: random.Random) -> list[tuple[int, float]]:
    """A day counter polled at irregular times from 40 minutes before midnight, with gaps,
    a reset at midnight and one mid-morning (a restarted centre)."""
    out, value, t = [], 300.0, MIDNIGHT - 40 * 60_000
    while t < MIDNIGHT + 14 * HOUR_MS:
        if t >= MIDNIGHT and out and out[-1][0] < MIDNIGHT:
            value = float(rng.randint(0, 2))  # restarted at midnight
        if rng.random() < 0.01:
            value = 0.0  # a reset
        value += rng.choice((0, 0, 1, 2, 5))
        if rng.random() > 0.15:  # some polls lost
            out.append((t, value))
        t += rng.choice((15_000, 60_000, 300_000, 1_800_000)) if rng.random() < 0.1 else 15_000
    return out


def steps_up_to(rows: list[tuple[int, float]], at: int) -> float:
    """The increase over [MIDNIGHT, at], straight from the samples: each step from the one
    before (the hour before midnight included), the first of the day in full without one."""
    before = [v for t, v in rows if MIDNIGHT - HOUR_MS <= t < MIDNIGHT]
    prev, total = (before[-1] if before else None), 0.0
    for t, v in rows:
        if MIDNIGHT <= t <= at:
            total += v if prev is None else step(prev, v)
            prev = v
    return total


def closed_hours(rows: list[tuple[int, float]], end: int) -> tuple[float | None, float | None]:
    """(increase over the hourly buckets in [MIDNIGHT, end), last value of the newest
    hourly bucket in [MIDNIGHT - 1 h, end)), as the hourly roll-up gives them."""
    buckets = aggregate(((1, t, v) for t, v in rows), HOUR_MS)
    inc, prev, seen = 0.0, None, False
    for (_, start), b in buckets.items():
        if start >= end:
            break
        if start >= MIDNIGHT:
            seen = True
            inc += b.inc + (b.first_value if prev is None else step(prev, b.first_value))
        if start >= MIDNIGHT - HOUR_MS:
            prev = b.last_value
    return (inc if seen else None), prev


def test_chain_adds_hours_five_minutes_and_raw_up_to_what_the_samples_say():
    rng = random.Random(21)
    key = {"centre_id": "c", "metric": "dossiers_received_total", "label": ""}
    for _ in range(200):
        rows = counter_series(rng)
        at = MIDNIGHT + rng.randint(0, 14 * HOUR_MS - 1)
        p = today.plan(MIDNIGHT, at, at + 1, NOW, KEEP, MIDNIGHT - DAY)
        inc, base = closed_hours(rows, p.hours_end_ms)
        closed = pl.DataFrame([] if inc is None else [key | {"increase": inc}],
                              schema=today.INCREASES_SCHEMA)
        baseline = pl.DataFrame([] if base is None else [key | {"last_value": base}],
                                schema=today.BASELINE_SCHEMA)
        fives = aggregate(((1, t, v) for t, v in rows
                           if p.hours_end_ms <= t < p.fives_end_ms), FIVE_MIN_MS)
        pieces = [key | {"ts": s, "first_value": b.first_value, "last_value": b.last_value,
                         "inc_within": b.inc} for (_, s), b in fives.items()]
        pieces += [key | {"ts": t, "first_value": v, "last_value": v, "inc_within": 0.0}
                   for t, v in rows if p.fives_end_ms <= t <= at]
        got = today.chain(closed, baseline, pl.DataFrame(pieces, schema=today.PIECES_SCHEMA))
        want = steps_up_to(rows, at)
        has_any = any(MIDNIGHT <= t <= at for t, _ in rows)
        assert got.height == int(has_any)
        if has_any:
            assert got["increase"][0] == pytest.approx(want), (at, p)


def test_today_is_exact_only_at_raw_resolution():
    frame = today.empty()
    assert today.Today(frame, RAW, 5).exact
    assert not today.Today(frame, FIVE_MIN, 5).exact
    assert timedelta(milliseconds=today.Today(frame, HOUR, HOUR_MS).until_ms) == \
        timedelta(hours=1)
