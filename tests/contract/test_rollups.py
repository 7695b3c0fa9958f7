"""Roll-ups, retention and resolution selection on SQLite and PostgreSQL (real databases)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from config.settings import RetentionSettings
from metrics.queries import increase
from metrics.resolutions import DAY_MS, FIVE_MIN_MS, HOUR_MS
from metrics.results import ProbeResult, Sample
from metrics.store import Store, dialects
from metrics.store.migrations import migrate
from metrics.store.records import to_ms
from metrics.store.retention import Pruner, RetentionObserver, keep
from metrics.store.rollups import BUCKET_COLUMNS, aggregate_rows
from metrics.store.schema import rollup_1d, rollup_1h, rollup_5m, samples, series_latest
from tests.conftest import hue_centres
from tests.fixtures.personas import BRIEFING_END

T0 = BRIEFING_END - timedelta(hours=3)  # 07:00 in Huế, on an hour boundary
MIDNIGHT = 17 * 3600  # seconds after T0: 00:00 in Huế, 17:00 UTC
WARD, COMMUNE = "19753", "19867"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def poll(centre: str, seconds: float, **values: float) -> ProbeResult:
    return ProbeResult(centre, at(seconds).timestamp(), True, 0.1, None, "", 200,
                       [Sample(m, v) for m, v in values.items()])


@pytest.fixture
def hue(store: Store) -> Store:
    store.sync_centres(hue_centres())
    return store


def stored(store: Store, table: sa.Table) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(*(table.c[c] for c in BUCKET_COLUMNS)).order_by(table.c.series_id,
                                                                      table.c.ts))]


def from_raw(store: Store, width: int) -> list[tuple]:
    """What the roll-up must hold: the pure aggregate of every raw sample."""
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(
            sa.select(samples.c.series_id, samples.c.ts, samples.c.value)
            .order_by(samples.c.series_id, samples.c.ts))]
    return aggregate_rows(rows, width)


def assert_rollups_match_raw(store: Store) -> None:
    for table, width in ((rollup_5m, FIVE_MIN_MS), (rollup_1h, HOUR_MS), (rollup_1d, DAY_MS)):
        got, want = stored(store, table), from_raw(store, width)
        assert len(got) == len(want), table.name
        for g, w in zip(got, want, strict=True):
            assert g[:3] == w[:3] and g[4:] == pytest.approx(w[4:]), table.name
            assert g[3] == pytest.approx(w[3]), table.name


def counter_history(seed: int, polls: int = 160, start: float = 0.0) -> list[ProbeResult]:
    """Two centres, a counter with resets and a gauge, every 15 s, with gaps."""
    rnd = random.Random(seed)
    out, value, t = [], 0.0, start
    for _ in range(polls):
        t += rnd.choice([15, 15, 15, 15, 90, 900])  # a missed poll, a long gap
        value = 0.0 if rnd.random() < 0.05 else value + rnd.randint(0, 4)
        out.append(poll(WARD, t, otp_sent_total=value, sync_lag_seconds=float(rnd.randint(0, 99))))
        out.append(poll(COMMUNE, t, otp_sent_total=value * 2))
    return out


def test_rollups_match_raw_when_written_in_several_batches_into_same_bucket(hue):
    history = counter_history(1)
    for i in range(0, len(history), 6):  # three polls of each centre per batch
        hue.write(history[i:i + 6])
    assert_rollups_match_raw(hue)
    assert len(stored(hue, rollup_1h)) < len(stored(hue, rollup_5m)) < len(from_raw(hue, 1))


def test_rollups_match_raw_when_batches_are_replayed_or_overlap(hue):
    history = counter_history(2)
    first = hue.write(history[:100])
    assert hue.write(history[:100]) == 0  # a replay adds nothing …
    assert first > 0
    # … an overlapping batch stores only its new samples, and counts nothing twice.
    assert hue.write(history[50:150]) == sum(len(r.samples) for r in history[100:150])
    assert_rollups_match_raw(hue)
    before = stored(hue, rollup_5m)
    hue.write(history[:150])
    assert stored(hue, rollup_5m) == before


def test_rollups_match_raw_when_samples_arrive_out_of_order(hue):
    history = counter_history(3)
    evens, odds = history[0::4] + history[1::4], history[2::4] + history[3::4]
    hue.write(odds[len(odds) // 2:])  # the newest half first, then the rest, interleaved
    hue.write(evens)
    hue.write(odds[: len(odds) // 2])
    assert_rollups_match_raw(hue)


def test_rollups_and_current_state_match_raw_when_each_write_is_one_cycle(hue):
    """One poll per centre per write (a live cycle: the staged path), in order, replayed,
    and late into buckets already holding newer samples (left unmerged, recomputed)."""
    history = counter_history(4)
    cycles = [history[i:i + 2] for i in range(0, len(history), 2)]
    late = cycles[10::7]
    for i, cycle in enumerate(cycles):
        if cycle in late:
            continue
        assert hue.write(cycle) == sum(len(r.samples) for r in cycle)
        if i % 5 == 0:
            assert hue.write(cycle) == 0  # a replayed cycle adds nothing
    for cycle in late:
        assert hue.write(cycle) == sum(len(r.samples) for r in cycle)
    assert_rollups_match_raw(hue)
    with hue.engine.connect() as conn:  # the current state: each series' newest sample
        current = sorted(tuple(r) for r in conn.execute(sa.select(series_latest)))
        newest = {}
        for sid, ts, value in conn.execute(
                sa.select(samples.c.series_id, samples.c.ts, samples.c.value)
                .order_by(samples.c.series_id, samples.c.ts)):
            newest[sid] = (sid, ts, value)
    assert current == sorted(newest.values()) and len(current) == 3


def test_series_rollup_increase_equals_raw_increase_when_counter_resets_and_gaps(hue):
    hue.write(counter_history(4, polls=300))
    start, end = at(1800), at(30 * 3600)
    for resolution in ("5m", "1h"):
        got, used = hue.series(["otp_sent_total", "sync_lag_seconds"], start, end,
                               [WARD], resolution=resolution)
        assert used == resolution
        counters = got.filter(got["metric"] == "otp_sent_total")
        # Buckets start at the one holding `start`; the raw increase counts from there.
        first = counters["ts"].min()
        raw = hue.samples("otp_sent_total", first - timedelta(days=1), end, [WARD])
        expected = increase(raw, first - timedelta(milliseconds=1))["increase"][0]
        assert counters["increase"].sum() == pytest.approx(expected)
        gauges = got.filter(got["metric"] == "sync_lag_seconds")
        assert gauges["increase"].null_count() == gauges.height > 0
        raw_gauge = hue.samples("sync_lag_seconds", first, end, [WARD])
        assert gauges["count"].sum() == raw_gauge.height
        assert gauges["max"].max() == raw_gauge["value"].max()
        assert gauges["min"].min() == raw_gauge["value"].min()


def test_series_picks_resolution_and_says_which_when_range_grows_or_ages(database):
    with database.open(clock=lambda: T0 + timedelta(days=1)) as store:
        store.sync_centres(hue_centres())
        store.write([poll(WARD, s, up=1.0) for s in range(0, 86_400, 300)])
        raw, used = store.series("up", at(0), at(3600))
        assert used == "raw" and raw.height == 13  # both ends included
        fives, used = store.series("up", at(0), at(86_399))
        assert used == "5m" and fives["count"].to_list() == [1] * 288
        hours, used = store.series("up", at(0), at(86_399), resolution="1h")
        assert used == "1h" and hours["count"].to_list() == [12] * 24
        assert hours["mean"].to_list() == [1.0] * 24
    # Later, the same hour is answered from what its retention still keeps.
    # (Nothing was pruned here, so the counts show which table answered: 13 five-minute
    # buckets from 07:00 to 08:00, or the 07:00 and 08:00 hours of 12 samples each.)
    for days, expected, samples_counted in ((20, "5m", 13), (100, "1h", 24)):
        with database.open(clock=lambda d=days: T0 + timedelta(days=d)) as store:
            got, used = store.series("up", at(0), at(3600))
            assert (used, got["count"].sum()) == (expected, samples_counted)


# -- daily roll-ups (local days in Huế) ---------------------------------------------------


def across_midnights(seed: int, polls: int, hours_before: int = 3) -> list[ProbeResult]:
    """`counter_history` starting `hours_before` local midnight (17:00 UTC)."""
    return counter_history(seed, polls, start=MIDNIGHT - hours_before * 3600)


def test_daily_rollup_matches_raw_across_local_midnight_when_batches_replay_or_interleave(hue):
    history = across_midnights(6, polls=220)
    for i in range(0, 120, 6):  # in time order, three polls of each centre per batch
        hue.write(history[i:i + 6])
    assert hue.write(history[60:180]) > 0  # an overlap: stored and new samples mixed
    rest = history[180:]  # then newer samples out of order, interleaving in their buckets
    hue.write(rest[2::4] + rest[3::4])
    hue.write(rest[0::4] + rest[1::4])
    assert_rollups_match_raw(hue)
    assert {r[1] for r in stored(hue, rollup_1d)} == {to_ms(at(MIDNIGHT)) - DAY_MS,
                                                      to_ms(at(MIDNIGHT))}


def test_daily_buckets_split_at_17_utc_which_is_local_midnight(hue):
    hue.write([poll(WARD, MIDNIGHT - 1, otp_sent_total=5.0)])  # 23:59:59 in Huế
    hue.write([poll(WARD, MIDNIGHT, otp_sent_total=7.0)])  # 00:00:00 the next day
    days = [(r[1], r[2], r[7]) for r in stored(hue, rollup_1d)]  # ts, n, first_value
    assert days == [(to_ms(at(MIDNIGHT)) - DAY_MS, 1, 5.0), (to_ms(at(MIDNIGHT)), 1, 7.0)]
    for resolution in ("1h", "1d"):  # the day before is the baseline: 5 → 7
        got = hue.increases(["otp_sent_total"], at(MIDNIGHT), at(MIDNIGHT + 60),
                            resolution=resolution, zero_start=True)
        assert got["increase"].to_list() == [2.0]


def _by_series(frame) -> dict:
    """{(centre, metric, label, column): value} of a one-row-per-series frame."""
    return {(*row[:3], i): v for row in frame.iter_rows() for i, v in enumerate(row[3:])}


@pytest.mark.parametrize("zero_start", [False, True])
def test_daily_increases_and_totals_equal_hourly_and_raw_over_whole_local_days(hue, zero_start):
    history = across_midnights(7, polls=1500, hours_before=6)  # about three days
    second = MIDNIGHT + 86_400
    # No sample in the two hours before the second midnight: no baseline for that day.
    hue.write([r for r in history if not at(second - 7200) <= datetime.fromtimestamp(
        r.ts, at(0).tzinfo) < at(second)])
    names = ["otp_sent_total", "sync_lag_seconds"]
    periods = [(MIDNIGHT, second), (second, second + 86_400), (MIDNIGHT, second + 86_400)]
    for lo, hi in periods:
        start, end = at(lo), at(hi) - timedelta(milliseconds=1)
        daily = hue.increases(names[:1], start, end, resolution="1d", zero_start=zero_start)
        hourly = hue.increases(names[:1], start, end, resolution="1h", zero_start=zero_start)
        raw = increase(hue.samples(names[:1], start - timedelta(hours=1), end),
                       start - timedelta(milliseconds=1), zero_start=zero_start)
        assert daily.height == 2
        assert _by_series(daily) == pytest.approx(_by_series(hourly))
        assert _by_series(daily) == pytest.approx(_by_series(raw))
        totals = {res: hue.totals(names, start, end, resolution=res) for res in ("1h", "1d")}
        assert totals["1d"].height == 3
        assert _by_series(totals["1d"]) == pytest.approx(_by_series(totals["1h"]))
    days, used = hue.series(names, at(MIDNIGHT), at(second + 86_399), [WARD], resolution="1d")
    raw = hue.samples("sync_lag_seconds", at(MIDNIGHT), at(second) - timedelta(milliseconds=1),
                      [WARD])
    assert used == "1d" and days.filter(days["metric"] == "sync_lag_seconds")[
        "count"].to_list()[0] == raw.height


# -- retention --------------------------------------------------------------------------


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("polls", "samples", "rollup_5m", "rollup_1h", "rollup_1d")}


def test_prune_deletes_before_cutoff_and_keeps_row_exactly_at_it(hue):
    # Days are kept 3 days 7 hours: the cut-off falls on a local midnight (17:00 UTC).
    retention = RetentionSettings(raw_days=1, rollup_5m_days=2, rollup_1h_days=3,
                                  rollup_1d_days=3 + 7 / 24, batch_rows=100)
    hue.write([poll(c, s, up=1.0) for s in range(0, 4 * 86_400, 1800) for c in (WARD, COMMUNE)])
    now = at(4 * 86_400)
    Pruner(hue.engine, retention, clock=now.timestamp).run()
    with hue.engine.connect() as conn:
        def oldest(table: str) -> int:
            return conn.execute(sa.text(f"SELECT min(ts) FROM {table}")).scalar_one()
        assert oldest("polls") == oldest("samples") == to_ms(now - timedelta(days=1))
        assert oldest("rollup_5m") == to_ms(now - timedelta(days=2))  # roll-ups outlive raw
        assert oldest("rollup_1h") == to_ms(now - timedelta(days=3))
        assert oldest("rollup_1d") == to_ms(at(MIDNIGHT)) == to_ms(
            now - timedelta(days=3, hours=7))
    got = counts(hue)
    assert got["polls"] == 2 * 48 and got["samples"] == 2 * 48  # 24 h, ends inclusive
    assert got["rollup_5m"] == 2 * 96 and got["rollup_1h"] == 2 * 72
    assert got["rollup_1d"] == 2 * 4  # the local day at the cut-off and the three after it
    # Nothing left to delete: a second pass is a no-op.
    again = Pruner(hue.engine, retention, clock=now.timestamp).run()
    assert again == {"polls": 0, "samples": 0, "series_latest": 0, "rollup_5m": 0,
                     "rollup_1h": 0, "rollup_1d": 0, "complete": True}


def test_prune_drops_current_row_with_its_last_raw_sample_so_live_latest_stays_exact(database):
    now = at(4 * 86_400)
    with database.open(clock=lambda: now) as store:
        store.sync_centres(hue_centres())
        store.write([poll(WARD, s, up=1.0) for s in range(0, 4 * 86_400, 1800)])
        store.write([poll(COMMUNE, s, up=0.0) for s in range(0, 3600, 900)])  # then silent
        Pruner(store.engine, RetentionSettings(raw_days=1), clock=now.timestamp).run()
        with store.engine.connect() as conn:
            current = conn.execute(sa.text(
                "SELECT c.centre_id, l.ts FROM series_latest l JOIN series c "
                "ON c.id = l.series_id")).all()
        assert [tuple(r) for r in current] == [(WARD, to_ms(now) - 1_800_000)]
        week = timedelta(days=7)
        live = store.latest(lookback=week)
        assert live.equals(store.latest(at=now, lookback=week))
        assert live["centre_id"].to_list() == [WARD]


def test_prune_resumes_when_budget_runs_out(hue):
    retention = RetentionSettings(raw_days=1, batch_rows=100)
    hue.write([poll(c.id, s, up=1.0) for s in range(0, 3 * 86_400, 900) for c in hue_centres()])
    pruner = Pruner(hue.engine, retention, clock=at(3 * 86_400).timestamp)
    first = pruner.run(budget_s=0)  # stops after one batch of at most 100 rows
    assert first["complete"] is False and first["polls"] == 100
    total = {k: v for k, v in first.items() if k != "complete"}
    while not (step := pruner.run(budget_s=0))["complete"]:
        for k in total:
            total[k] += step[k]
    for k in total:
        total[k] += step[k]
    expired = 40 * 2 * 96  # two days of polls before the cut-off, every 15 min
    assert total["polls"] == total["samples"] == expired
    assert counts(hue)["polls"] == counts(hue)["samples"] == 40 * 96


def test_retention_observer_prunes_at_most_every_interval(database):
    with database.open() as store:
        store.sync_centres(hue_centres())
        store.write([poll(WARD, s, up=1.0) for s in range(0, 86_400, 3600)])  # long ago
    minutes = [0.0]
    observer = RetentionObserver(database.url, RetentionSettings(every_minutes=10),
                                 clock=lambda: minutes[0] * 60, schema=database.schema)
    observer.after_cycle(None, {}, 0.0)
    assert observer.last_result is not None and observer.last_result["polls"] == 24
    for minutes[0], runs in ((5.0, False), (10.0, True)):
        observer.last_result = None
        observer.after_cycle(None, {}, 0.0)
        assert (observer.last_result is not None) is runs
    assert observer.last_result == {"polls": 0, "samples": 0, "series_latest": 0,
                                    "rollup_5m": 0, "rollup_1h": 0, "rollup_1d": 0,
                                    "complete": True}


def test_retention_keep_follows_settings():
    got = keep(RetentionSettings(raw_days=2, rollup_5m_days=30, rollup_1h_days=400,
                                 rollup_1d_days=800))
    assert got == {"raw": timedelta(days=2), "5m": timedelta(days=30),
                   "1h": timedelta(days=400), "1d": timedelta(days=800)}
    assert keep(RetentionSettings())["1d"] == timedelta(days=1825)
    with pytest.raises(ValueError, match="raw_days <= rollup_5m_days"):
        RetentionSettings(raw_days=100)
    with pytest.raises(ValueError, match="rollup_1h_days <= rollup_1d_days"):
        RetentionSettings(rollup_1d_days=700)  # shorter than the hourly 730
    with pytest.raises(ValueError, match="greater than 0"):
        RetentionSettings(rollup_1d_days=0)


# -- schema and ingest -------------------------------------------------------------------


def test_migration_fills_rollups_from_existing_samples_when_upgrading(database):
    from metrics.store.migrations import SCHEMA_VERSION
    from metrics.store.records import centre_rows
    from metrics.store.schema import centres, series

    engine = database.engine()
    try:
        assert migrate(engine, target=3) == 3
        rows = sorted({(sid, round(r.ts * 1000), s.value)
                       for r in counter_history(5)
                       for sid, s in ((1 if r.centre_id == WARD else 2, x) for x in r.samples
                                      if x.metric == "otp_sent_total")})
        with engine.begin() as conn:  # version 3: raw rows only, written as its code did
            conn.execute(centres.insert(), centre_rows(hue_centres()))
            conn.execute(series.insert(), [
                {"id": 1, "centre_id": WARD, "metric": "otp_sent_total", "label": ""},
                {"id": 2, "centre_id": COMMUNE, "metric": "otp_sent_total", "label": ""}])
            conn.execute(samples.insert(),
                         [{"series_id": a, "ts": b, "value": c} for a, b, c in rows])
        assert migrate(engine) == SCHEMA_VERSION
    finally:
        engine.dispose()
    with database.open() as store:
        assert len(stored(store, rollup_5m)) > len(stored(store, rollup_1h)) > 0
        assert_rollups_match_raw(store)


def _answers(store: Store, start: datetime, days: int) -> dict:
    """What the dashboard reads from the two version-7 tables, as comparable values."""
    end = start + timedelta(days=days) - timedelta(milliseconds=1)
    week = timedelta(days=7)
    return {
        "latest": store.latest(lookback=week).rows(),
        "latest_at": store.latest(at=start + timedelta(days=days), lookback=week).rows(),
        "increases": store.increases(["otp_sent_total"], start, end, resolution="1d",
                                     zero_start=True).rows(),
        "totals": store.totals(["otp_sent_total", "sync_lag_seconds"], start, end,
                               resolution="1d").rows(),
    }


def test_migration_to_7_fills_daily_and_current_state_as_fresh_writes_would(database,
                                                                           monkeypatch,
                                                                           tmp_path):
    from metrics.store.migrations import SCHEMA_VERSION, current_version, v07_daily_and_current
    from metrics.store.schema import meta, metadata, series_latest

    monkeypatch.setattr(v07_daily_and_current, "V7_SERIES_CHUNK", 2)  # the 3 series in two chunks
    now = at(5 * 86_400)
    history = across_midnights(8, polls=1500, hours_before=6)  # three days, resets, gaps
    with database.open(clock=lambda: now) as store:
        store.sync_centres(hue_centres())
        store.write(history[:1800])
        store.write(history[1200:])  # an overlap: the replay path
        fresh = {"1d": stored(store, rollup_1d), "answers": _answers(store, at(MIDNIGHT), 3)}
        with store.engine.connect() as conn:
            fresh["latest"] = [tuple(r) for r in conn.execute(
                sa.select(series_latest).order_by(series_latest.c.series_id))]
    assert len(fresh["1d"]) == 3 * 4 and len(fresh["latest"]) == 3
    # Back to version 6: drop every table a version-6 database does not have.
    old = dialects.create_engine(f"sqlite:///{tmp_path / 'v6.db'}")
    try:
        migrate(old, target=6)
        v6_tables = set(sa.inspect(old).get_table_names())
    finally:
        old.dispose()
    assert {"rollup_1h", "samples"} <= v6_tables and "rollup_1d" not in v6_tables
    engine = database.engine()
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name not in v6_tables:
                    table.drop(conn)
            conn.execute(meta.update().values(value="6"))
        with engine.connect() as conn:
            assert current_version(conn) == 6
            assert not sa.inspect(conn).has_table("series_latest")
    finally:
        engine.dispose()
    with database.open(clock=lambda: now) as store:  # migrates on open
        with store.engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION
            latest = [tuple(r) for r in conn.execute(
                sa.select(series_latest).order_by(series_latest.c.series_id))]
        assert latest == fresh["latest"]
        migrated = stored(store, rollup_1d)
        assert [r[:3] + r[4:10] for r in migrated] == [  # all but the sums: exactly
            r[:3] + r[4:10] for r in fresh["1d"]]
        assert migrated == [pytest.approx(r) for r in fresh["1d"]]  # sums up to rounding
        answers = _answers(store, at(MIDNIGHT), 3)
        assert answers["latest"] == fresh["answers"]["latest"]
        assert answers["latest_at"] == fresh["answers"]["latest_at"]
        for key in ("increases", "totals"):
            assert answers[key] == [pytest.approx(r) for r in fresh["answers"][key]]
        assert_rollups_match_raw(store)
        # … and it goes on as a fresh store would: later writes merge into migrated days.
        store.write(counter_history(9, polls=40, start=4 * 86_400))
        assert_rollups_match_raw(store)


def test_bulk_insert_copy_path_equals_plain_insert_when_rows_repeat(database):
    cols = ("series_id", "ts", "value")
    rows = [(1, 1000 + i, float(i % 7)) for i in range(500)]
    results = []
    for path in ("bulk", "plain"):
        with database.open() as store:
            store.sync_centres(hue_centres())
            store.write([poll(WARD, 0, up=1.0)])  # series 1 exists
            with store.engine.begin() as conn:
                conn.execute(samples.delete())
                if path == "bulk":  # PostgreSQL: COPY + INSERT … SELECT … ON CONFLICT
                    new = (dialects.bulk_insert_ignore(conn, samples, cols, rows[:300]),
                           dialects.bulk_insert_ignore(conn, samples, cols, rows[200:]))
                    assert new == (300, 200)
                else:  # SQLAlchemy's own executemany of INSERT … ON CONFLICT DO NOTHING
                    stmt = dialects.insert_ignore(store.dialect, samples)
                    for part in (rows[:300], rows[200:]):
                        conn.execute(stmt, [dict(zip(cols, r, strict=True)) for r in part])
                results.append(
                    [tuple(r) for r in conn.execute(sa.select(samples).order_by(samples.c.ts))])
    assert results[0] == results[1] == rows


def test_gauge_means_equal_the_series_read_bucket_for_bucket(database):
    """The narrow read for comparing centres gives each bucket's count and mean exactly as
    `Store.series` does."""
    from datetime import UTC, datetime, timedelta

    from metrics.results import ProbeResult, Sample

    end = datetime(2026, 11, 20, 10, tzinfo=UTC)
    results = [ProbeResult(cid, (end - timedelta(minutes=5 * i)).timestamp(), True, 0.1, None,
                           "", 200, [Sample("up", float(i % 3 != 0)),
                                     Sample("probe_duration_seconds", 0.1 * (i % 7))])
               for i in range(60) for cid in ("19753", "19774")]
    with database.open() as store:
        from tests.conftest import hue_centres
        store.sync_centres(hue_centres())
        store.write(results)
        start = end - timedelta(hours=4)
        for res in ("5m", "1h"):
            wide, used = store.series(["up", "probe_duration_seconds"], start, end,
                                      centre_ids=["19753", "19774"], resolution=res)
            narrow = store.gauge_means(["up", "probe_duration_seconds"], start, end,
                                       centre_ids=["19753", "19774"], resolution=res)
            key = ["centre_id", "metric", "ts"]
            assert used == res and narrow.height == wide.height > 0
            joined = wide.select(*key, "count", "mean").join(narrow, on=key, suffix="_n")
            assert joined.height == wide.height
            assert (joined["count"] == joined["count_n"]).all()
            assert ((joined["mean"] - joined["mean_n"]).abs() < 1e-9).all()
            one = store.gauge_means(["up"], start, end, centre_ids=["19753"], resolution=res)
            assert set(one["centre_id"]) == {"19753"} and set(one["metric"]) == {"up"}
