"""`Store.today_increases` on SQLite and PostgreSQL: a counter polled every minute, with a
reset, a gap and a sample exactly at the moment, read at every few minutes of the day as
raw samples, then after retention deleted them as 5-minute and hourly buckets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import RetentionSettings
from metrics.resolutions import FIVE_MIN, HOUR, RAW
from metrics.results import ProbeResult, Sample
from metrics.store.retention import Pruner, keep
from metrics.store.rollups import step
from tests.conftest import hue_centres

CENTRE = hue_centres()[0]
METRIC = "dossiers_received_total"
MIDNIGHT = datetime(2025, 7, 2, 17, tzinfo=UTC)  # 3 July 2025 00:00 in Asia/Ho_Chi_Minh
MINUTE = timedelta(minutes=1)


def history() -> list[tuple[datetime, float]]:
    """From 23:20 the evening before to 12:00: yesterday's count, the midnight restart, a
    reset at 09:31 (a restarted centre) and no polls from 08:10 to 09:20."""
    rng, out, value = random.Random(5), [], 640.0
    t = MIDNIGHT - 40 * MINUTE
    while t <= MIDNIGHT + timedelta(hours=12):
        if t == MIDNIGHT:
            value = 1.0
        elif t == MIDNIGHT + timedelta(hours=9, minutes=31):
            value = 2.0
        else:
            value += rng.choice((0, 0, 1, 3))
        if not MIDNIGHT + timedelta(hours=8, minutes=10) < t < MIDNIGHT + timedelta(hours=9,
                                                                                   minutes=20):
            out.append((t, value))
        t += MINUTE
    return out


def counted(rows: list[tuple[datetime, float]], before: datetime | None, at: datetime) -> float:
    """The steps of the samples in [midnight, at] (or [midnight, before) when given), the first
    from the last sample of the hour before midnight."""
    prev = next((v for t, v in reversed(rows) if MIDNIGHT - timedelta(hours=1) <= t < MIDNIGHT),
                None)
    total = 0.0
    for t, v in rows:
        if t >= MIDNIGHT and (t < before if before else t <= at):
            total += v if prev is None else step(prev, v)
            prev = v
    return total


@pytest.fixture
def seeded(store):
    store.sync_centres([CENTRE])
    rows = history()
    store.write([ProbeResult(CENTRE.id, t.timestamp(), True, 0.1, samples=[Sample(METRIC, v)])
                 for t, v in rows])
    return rows


def total(today) -> float | None:
    got = today.increases
    return None if got.is_empty() else float(got["increase"].sum())


def test_today_counts_every_sample_up_to_the_moment_while_raw_samples_are_stored(store, seeded):
    newest = seeded[-1][0]
    for minutes in range(0, 12 * 60 + 1, 7):
        at = MIDNIGHT + minutes * MINUTE + timedelta(seconds=minutes % 3 * 20)
        got = store.today_increases([METRIC], MIDNIGHT, at, newest=newest)
        assert (got.resolution, got.until_ms) == (RAW, int(at.timestamp() * 1000))
        assert total(got) == counted(seeded, None, at), at
    live = store.today_increases([METRIC], MIDNIGHT, newest, newest=newest)
    assert live.reads == (("1d", int(MIDNIGHT.timestamp() * 1000),
                           int(newest.timestamp() * 1000)),)
    assert total(live) == counted(seeded, None, newest)


def test_today_counts_whole_buckets_ending_by_the_moment_after_retention(database, seeded):
    now = MIDNIGHT + timedelta(days=3)
    with database.open(clock=lambda: now) as store:
        kept = RetentionSettings(raw_days=1, rollup_5m_days=2.95)
        Pruner(store.engine, kept, clock=lambda: now.timestamp()).run()
        assert store.samples([METRIC], MIDNIGHT - timedelta(days=1), now).is_empty()
        newest = seeded[-1][0]
        at = MIDNIGHT + timedelta(hours=10, minutes=37, seconds=30)
        got = store.today_increases([METRIC], MIDNIGHT, at, newest=newest, keep=keep(kept))
        # 5-minute buckets kept from 2.95 days before `now`: 01:12 on; the hour holding 10:37 is.
        assert got.resolution == FIVE_MIN
        until = MIDNIGHT + timedelta(hours=10, minutes=35)
        assert got.until_ms == int(until.timestamp() * 1000)
        assert total(got) == counted(seeded, until, at)
        early = MIDNIGHT + timedelta(minutes=50)  # its hour's 5-minute buckets are gone
        got = store.today_increases([METRIC], MIDNIGHT, early, newest=newest, keep=keep(kept))
        assert (got.resolution, got.until_ms) == (HOUR, int(MIDNIGHT.timestamp() * 1000))
        assert total(got) is None  # no whole hour of today before 00:50
        later = MIDNIGHT + timedelta(hours=1, minutes=50)
        got = store.today_increases([METRIC], MIDNIGHT, later, newest=newest, keep=keep(kept))
        assert got.resolution == HOUR
        assert total(got) == counted(seeded, MIDNIGHT + timedelta(hours=1), later)
