"""`ioc bench history`'s generator on SQLite and PostgreSQL (real databases): the rows
it writes follow its plan, and the roll-ups agree with the raw samples as the store's
own roll-up code would have them."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from bench import history_plan as hp
from bench.history import generate, series_keys
from config.registry import fleet
from metrics.queries import increase
from metrics.resolutions import DAY_MS, FIVE_MIN_MS, HOUR_MS, bucket_start
from metrics.store.records import from_ms
from metrics.store.rollups import BUCKET_COLUMNS, Bucket, aggregate_rows, combine
from metrics.store.schema import polls, rollup_1d, rollup_1h, rollup_5m, samples, series_latest
from tests.conftest import Database

NOW = 1_795_660_812.0  # 2026-11-26 02:40:12 UTC
COUNTERS = ["dossiers_received_total", "otp_sent_total"]
PLAN = {"raw_hours": 1, "raw_step_s": 60, "five_min_days": 0.5}


def _run(database: Database, tmp_path) -> dict:
    return generate("hue", 2, url=database.url, schema=database.schema, now=NOW,
                    centres=fleet("hue")[:3], folder=tmp_path, processes=1, **PLAN)


def _rows(engine: sa.Engine, table: sa.Table, where=None) -> list[tuple]:
    cols = [table.c[c] for c in BUCKET_COLUMNS] if table is not samples else [
        samples.c.series_id, samples.c.ts, samples.c.value]
    stmt = sa.select(*cols).order_by(cols[0], cols[1])
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt if where is None else stmt.where(where))]


def _assert_same(got: list[tuple], want: list[tuple]) -> None:
    """Equal row by row (sums of floats within rounding)."""
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a == pytest.approx(tuple(b))


def test_history_rows_follow_the_plan(database: Database, tmp_path):
    got = _run(database, tmp_path)
    plan = hp.make_plan("hue", 2, NOW, **PLAN)
    hourly, five, raw = plan.tiers
    raw_times, five_times = raw.times(inclusive_end=True), five.times()
    assert got["centres"] == 3 and got["series"] == 3 * len(series_keys())
    assert got["polls_generated"] == 3 * (len(hourly.times()) + len(five_times) + len(raw_times))
    assert got["rows"]["polls"] == 3 * (len(five_times) + len(raw_times))
    raw_window = polls.c.ts >= raw.start_s * 1000
    with database.engine().connect() as conn:
        raw_polls, raw_ok = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(sa.case((polls.c.ok, 1), else_=0)))
            .where(raw_window)).one()
        newest = conn.execute(sa.select(sa.func.max(samples.c.ts))).scalar_one()
        oldest_hour = conn.execute(sa.select(sa.func.min(rollup_1h.c.ts))).scalar_one()
        oldest_5m = conn.execute(sa.select(sa.func.min(rollup_5m.c.ts))).scalar_one()
    assert raw_polls == 3 * len(raw_times)
    # a poll that answered stores 49 samples; a centre cut off, `up` and its duration
    assert got["rows"]["samples"] == 49 * raw_ok + 2 * (raw_polls - raw_ok)
    assert got["rows"]["rollup_1h"] == 3 * 49 * (plan.now_s // 3600 - hourly.start_s // 3600
                                                 + 1) - 47 * _cut_off_hours(database)
    assert newest == plan.now_s * 1000
    assert oldest_hour == hourly.start_s * 1000
    assert oldest_5m == five.start_s * 1000


def _cut_off_hours(database: Database) -> int:
    """Hours in which a centre answered no poll at all (only `up` and its duration stored)."""
    with database.engine().connect() as conn:
        per_hour = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT s.centre_id, r.ts FROM rollup_1h r "
            "JOIN series s ON s.id = r.series_id GROUP BY s.centre_id, r.ts "
            "HAVING count(*) = 2) AS x")).scalar_one()
    return int(per_hour)


def test_history_rollups_agree_with_raw_samples_and_with_each_other(database: Database,
                                                                    tmp_path):
    got = _run(database, tmp_path)
    raw_start = got["plan"]["tiers"][-1]["start_s"] * 1000
    engine = database.engine()
    raw = _rows(engine, samples)
    # Where raw samples exist, both roll-ups are what the store's own code makes of them.
    five = _rows(engine, rollup_5m, rollup_5m.c.ts >= raw_start)
    hour = _rows(engine, rollup_1h, rollup_1h.c.ts >= raw_start)
    _assert_same(five, aggregate_rows(raw, FIVE_MIN_MS))
    _assert_same(hour, aggregate_rows(raw, HOUR_MS))
    # Every hour that has 5-minute buckets is their merge (metrics.store.rollups.combine).
    parts: dict[tuple[int, int], list[Bucket]] = defaultdict(list)
    for row in _rows(engine, rollup_5m):
        parts[(row[0], row[1] - row[1] % HOUR_MS)].append(Bucket(*row[2:]))
    hours = {(r[0], r[1]): Bucket(*r[2:]) for r in _rows(engine, rollup_1h)}
    assert parts
    for key, p in parts.items():
        assert tuple(hours[key]) == pytest.approx(tuple(combine(p)))
    # Reading through the store: the counters' increase from roll-ups equals the raw one
    # (from a bucket whose previous one is raw too, so both see the same first step).
    with database.open() as db:
        start, end = from_ms(raw_start + FIVE_MIN_MS), from_ms(int(NOW * 1000))
        frame, used = db.series(["dossiers_received_total"], start, end, resolution="5m")
        raw_inc = increase(db.samples(COUNTERS, start - timedelta(
            minutes=5), end), start - timedelta(milliseconds=1))
        summed = {res: db.increases(COUNTERS, start, end, resolution=res)
                  for res in ("5m", "1h")}
    assert used == "5m"
    by_rollup = frame.group_by("centre_id").agg(pl.col("increase").sum())
    by_raw = raw_inc.filter(pl.col("metric") == COUNTERS[0]).group_by("centre_id").agg(
        pl.col("increase").sum())
    assert dict(by_raw.iter_rows()) and dict(by_rollup.iter_rows()) == pytest.approx(
        dict(by_raw.iter_rows()))
    # Store.increases sums the same in SQL, one row per series, at either resolution
    # (from an hour boundary, where an hour's baseline is the raw hour before).
    want = {(c, m, lbl): v for c, m, lbl, v in raw_inc.iter_rows()}
    assert len(want) == 3 * 2
    got5 = {(c, m, lbl): v for c, m, lbl, v in summed["5m"].iter_rows()}
    assert got5 == pytest.approx(want)


def test_store_increases_from_hourly_rollups_equal_raw_with_zero_start(database: Database,
                                                                       tmp_path):
    got = _run(database, tmp_path)
    raw_start = got["plan"]["tiers"][-1]["start_s"] * 1000
    with database.open() as db:
        start, end = from_ms(raw_start), from_ms(int(NOW * 1000))
        hourly = db.increases(COUNTERS, start, end, resolution="1h", zero_start=True)
        # the 5-minute tier's hour before is the baseline, as raw samples of it would be
        five = db.increases(COUNTERS, start, end, resolution="5m", zero_start=True)
    assert hourly.height == 6
    assert dict(((c, m), v) for c, m, _, v in hourly.iter_rows()) == pytest.approx(
        dict(((c, m), v) for c, m, _, v in five.iter_rows()))


def test_history_daily_rollups_and_current_state_are_what_the_store_would_hold(
        database: Database, tmp_path):
    from metrics.store.migrations.v07_daily_and_current import fill_daily

    got = _run(database, tmp_path)
    engine = database.engine()
    # Every local day (from 17:00 UTC) is the merge of its hours, across chunks and tiers.
    parts: dict[tuple[int, int], list[Bucket]] = defaultdict(list)
    for row in _rows(engine, rollup_1h):
        parts[(row[0], bucket_start(row[1], DAY_MS))].append(Bucket(*row[2:]))
    stored_days = _rows(engine, rollup_1d)
    days = {(r[0], r[1]): Bucket(*r[2:]) for r in stored_days}
    assert days.keys() == parts.keys() and got["rows"]["rollup_1d"] == len(days)
    assert {ts % DAY_MS for _, ts in days} == {17 * HOUR_MS}
    assert len({ts for _, ts in days}) == 3  # two days of history hold three local days
    for key, p in parts.items():
        assert tuple(days[key]) == pytest.approx(tuple(combine(p)))
    # The version-7 migration's backfill from the hours makes the same days.
    with engine.begin() as conn:
        conn.execute(rollup_1d.delete())
        fill_daily(conn)
    _assert_same(_rows(engine, rollup_1d), stored_days)
    # Each series' current row is its newest raw sample.
    newest: dict[int, tuple[int, float]] = {}
    for sid, ts, value in _rows(engine, samples):
        newest[sid] = (ts, value)
    with engine.connect() as conn:
        current = {sid: (ts, v) for sid, ts, v in conn.execute(sa.select(series_latest))}
    assert current == newest and got["rows"]["series_latest"] == len(newest) > 0
    # Whole local days read the same from the daily roll-ups as from the hourly ones.
    midnight = max(ts for _, ts in days)
    start, end = from_ms(midnight - DAY_MS), from_ms(midnight - 1)
    with database.open() as db:
        for zero_start in (False, True):
            daily, hourly = (db.increases(COUNTERS, start, end, resolution=res,
                                          zero_start=zero_start) for res in ("1d", "1h"))
            assert daily.height == 3 * 2
            assert daily.drop("increase").equals(hourly.drop("increase"))
            assert daily["increase"].to_list() == pytest.approx(hourly["increase"].to_list())


def test_history_refuses_a_database_that_holds_data(database: Database, tmp_path):
    _run(database, tmp_path)
    try:
        _run(database, tmp_path)
    except ValueError as exc:
        assert "holds" in str(exc) and "series" in str(exc)
    else:
        raise AssertionError("a second run into the same database was not refused")
