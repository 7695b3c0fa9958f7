"""The store contract: one suite, run on SQLite and on PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from collectors.writing.spool import Spool
from metrics.results import ProbeResult, Reason, Sample
from metrics.store import Store
from metrics.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaTooNewError,
    current_version,
    migrate,
)
from metrics.store.schema import meta, metadata
from tests.conftest import hue_centres
from tests.fixtures.personas import (
    BRIEFING_END,
    HEALTHY,
    LAGGING,
    UNREACHABLE,
    healthy_ward,
    seed,
    unreachable_mountain_commune,
)

T0 = BRIEFING_END - timedelta(hours=1)  # 09:00 in Huế: working hours
WARD = "19753"  # Phường Phú Xuân
COMMUNE = "19867"  # Xã Quảng Điền
TS_TYPE = pl.Datetime("ms", "UTC")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def result(centre_id: str, minutes: float, **values: float) -> ProbeResult:
    """An answered poll with the given metric values (plus up and duration)."""
    samples = [Sample("up", 1.0), Sample("probe_duration_seconds", 0.2)]
    samples += [Sample(m, v) for m, v in values.items()]
    return ProbeResult(
        centre_id,
        at(minutes).timestamp(),
        ok=True,
        duration_s=0.2,
        http_status=200,
        samples=samples,
    )


@pytest.fixture
def hue(store: Store):
    centres = hue_centres()
    store.sync_centres(centres)
    return centres


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


# -- schema and migrations ----------------------------------------------------------


def test_store_creates_current_schema_when_database_is_empty(database):
    with database.open():
        pass
    engine = database.engine()
    try:
        with engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
            inspector = sa.inspect(conn)
            for table in metadata.tables.values():
                reflected = {c["name"] for c in inspector.get_columns(table.name)}
                assert reflected == set(table.columns.keys()), table.name
            assert "ix_polls_ts" in {i["name"] for i in inspector.get_indexes("polls")}
        assert migrate(engine) == SCHEMA_VERSION  # a second run changes nothing
    finally:
        engine.dispose()


def test_migrate_upgrades_and_keeps_rows_when_database_is_at_version_1(database):
    engine = database.engine()
    try:
        assert migrate(engine, target=1) == 1
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO centres (id, name, kind, province_code, province_name, "
                    "coords_approximate) VALUES ('19753', 'Phường Phú Xuân', 'phường', 46, "
                    "'Thành phố Huế', false)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO polls (centre_id, ts, ok, reason, detail, duration_s, rejected) "
                    f"VALUES ('19753', {at(0).timestamp() * 1000:.0f}, false, 'timeout', "
                    "'no answer', 3.0, 0)"
                )
            )
    finally:
        engine.dispose()
    with database.open() as store:
        polls = store.polls(at(0), at(0))
        assert polls.select("centre_id", "reason", "rejected", "rejected_detail").rows() == [
            ("19753", "timeout", 0, "")
        ]
        assert store.centres()["name"].to_list() == ["Phường Phú Xuân"]
        with store.engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION


def test_store_refuses_to_open_when_database_schema_is_newer(database):
    with database.open() as store, store.engine.begin() as conn:
        conn.execute(meta.update().values(value=str(SCHEMA_VERSION + 1)))
    with pytest.raises(SchemaTooNewError, match="newer"):
        database.open()


# -- writes ------------------------------------------------------------------------


def test_store_round_trips_every_sample_when_written_and_read(store, hue):
    polled = healthy_ward(WARD, at(0).timestamp())
    assert store.write([polled]) == len(polled.samples)
    names = sorted({s.metric for s in polled.samples})
    got = store.samples(names, at(0), at(0))
    assert got.schema["ts"] == TS_TYPE
    assert sorted(got.select("metric", "label", "value").rows()) == sorted(
        (s.metric, s.label, s.value) for s in polled.samples
    )
    assert set(got["ts"].to_list()) == {at(0)}
    assert set(got["centre_id"].to_list()) == {WARD}


def test_store_write_ignores_replay_when_a_batch_is_written_twice(store, hue):
    batch = [
        healthy_ward(WARD, at(0).timestamp()),
        unreachable_mountain_commune(COMMUNE, at(0).timestamp()),
    ]
    first = store.write(batch)
    assert first == sum(len(r.samples) for r in batch)
    assert store.write(batch) == 0
    assert (count(store, "polls"), count(store, "samples")) == (2, first)
    # A batch mixing a replayed poll and a new one stores only the new one.
    later = unreachable_mountain_commune(COMMUNE, at(1).timestamp())
    assert store.write([batch[1], later]) == len(later.samples)
    assert count(store, "polls") == 3


def test_store_write_refuses_value_when_it_is_not_finite(store, hue):
    for bad in (math.nan, math.inf, -math.inf):
        polled = result(WARD, 0, sync_lag_seconds=bad)
        with pytest.raises(ValueError, match=f"{WARD}.*sync_lag_seconds"):
            store.write([healthy_ward(COMMUNE, at(0).timestamp()), polled])
    assert count(store, "polls") == count(store, "samples") == 0


def test_store_write_refuses_centre_when_it_was_never_synced(store, hue):
    with pytest.raises(ValueError, match=r"99999.*sync_centres"):
        store.write([result("99999", 0, system_state=2)])
    assert count(store, "polls") == 0


def test_store_reuses_series_when_another_store_wrote_them(database, store, hue):
    store.write([result(WARD, 0, system_state=2)])
    with database.open() as other:
        other.write([result(WARD, 1, system_state=1)])
    assert count(store, "series") == 3
    assert store.samples("system_state", at(0), at(1))["value"].to_list() == [2.0, 1.0]


def test_store_newest_ts_follows_polls_when_written(store, hue):
    assert store.newest_ts() is None
    store.write([result(WARD, 3), result(COMMUNE, 1)])
    assert store.newest_ts() == at(3)


def test_store_poll_times_lists_each_stored_time_once_within_the_span(store, hue):
    store.write([result(WARD, 1), result(COMMUNE, 1), result(WARD, 3), result(COMMUNE, 5)])
    ms = [int(at(m).timestamp() * 1000) for m in (1, 3, 5)]
    assert sorted(store.poll_times(ms[0], ms[1])) == ms[:2]  # two centres at 1: one time
    assert sorted(store.poll_times(ms[0] - 1, ms[2])) == ms
    assert store.poll_times(ms[2] + 1, ms[2] + 60_000) == []


def test_store_sync_centres_updates_rows_when_synced_again(store, hue):
    moved = next(c for c in hue if c.id == WARD)
    assert store.sync_centres([replace(moved, lat=16.5, lon=107.6, coords_approximate=False)]) == 1
    centres = store.centres()
    assert centres.height == len(hue) == 40
    row = centres.filter(pl.col("id") == WARD).row(0, named=True)
    assert (row["lat"], row["lon"], row["coords_approximate"]) == (16.5, 107.6, False)


def test_store_round_trips_vietnamese_text_when_it_is_not_ascii(store, hue):
    detail = "Mất điện lưới — đang dùng ắc quy; mạng yếu"
    store.write(
        [
            ProbeResult(
                COMMUNE,
                at(0).timestamp(),
                ok=False,
                duration_s=1.0,
                reason=Reason.BAD_PAYLOAD,
                detail=detail,
                http_status=200,
                samples=[
                    Sample("up", 0.0),
                    Sample("probe_duration_seconds", 1.0),
                    Sample("dossiers_received_by_procedure_total", 3.0, "chứng_thực_bản_sao"),
                ],
                rejected=["otp_p95_seconds: âm (negative)"],
            )
        ]
    )
    centres = store.centres()
    expected = {c.id: (c.name, c.province_name) for c in hue}
    assert {
        r[0]: (r[1], r[2]) for r in centres.select("id", "name", "province_name").rows()
    } == expected
    assert expected[COMMUNE] == ("Xã Quảng Điền", "Thành phố Huế")
    poll = store.polls(at(0), at(0)).row(0, named=True)
    assert (poll["detail"], poll["rejected"], poll["rejected_detail"]) == (
        detail,
        1,
        "otp_p95_seconds: âm (negative)",
    )
    labels = store.samples(["dossiers_received_by_procedure_total"], at(0), at(0))["label"]
    assert labels.to_list() == ["chứng_thực_bản_sao"]


# -- reads -------------------------------------------------------------------------


def test_store_latest_returns_newest_sample_per_series_when_at_is_given(store, hue):
    for minute, lag in ((0, 10.0), (5, 20.0), (10, 30.0)):
        store.write(
            [
                ProbeResult(
                    WARD,
                    at(minute).timestamp(),
                    ok=True,
                    duration_s=0.1,
                    samples=[
                        Sample("sync_lag_seconds", lag),
                        Sample("dossiers_received_by_procedure_total", minute, "certified_copy"),
                        Sample(
                            "dossiers_received_by_procedure_total", minute + 1, "birth_registration"
                        ),
                    ],
                )
            ]
        )
    latest = store.latest(at=at(7))
    assert latest.schema["ts"] == TS_TYPE
    assert latest.select("metric", "label", "ts", "value").rows() == [
        ("dossiers_received_by_procedure_total", "birth_registration", at(5), 6.0),
        ("dossiers_received_by_procedure_total", "certified_copy", at(5), 5.0),
        ("sync_lag_seconds", "", at(5), 20.0),
    ]
    assert store.latest(at=at(10), metrics=["sync_lag_seconds"])["value"].to_list() == [30.0]
    # Only samples within the lookback count; before the first poll there is nothing.
    assert store.latest(at=at(9), lookback=timedelta(minutes=3)).is_empty()
    assert store.latest(at=at(-1)).is_empty()


def test_store_latest_uses_clock_when_at_is_not_given(database, hue, store):
    store.write([result(WARD, 0, system_state=2), result(WARD, 10, system_state=1)])
    with database.open(clock=lambda: at(5)) as clocked:
        assert clocked.latest(metrics=["system_state"])["value"].to_list() == [2.0]
        assert clocked.latest_polls()["ts"].to_list() == [at(0)]


def test_store_latest_filters_centres_and_metrics_when_given(store, hue):
    ids = [c.id for c in hue[:5]]
    store.write([result(cid, 0, system_state=2, sync_lag_seconds=i) for i, cid in enumerate(ids)])
    got = store.latest(centre_ids=ids[1:3], metrics=["sync_lag_seconds", "up"], at=at(0))
    assert got.select("centre_id", "metric", "value").rows() == [
        (ids[1], "sync_lag_seconds", 1.0),
        (ids[1], "up", 1.0),
        (ids[2], "sync_lag_seconds", 2.0),
        (ids[2], "up", 1.0),
    ]
    assert store.latest(centre_ids=[], at=at(0)).is_empty()


# -- the current state (series_latest): live `latest` -------------------------------


def current_rows(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT series_id, ts, value FROM series_latest ORDER BY series_id"))]


def newest_samples(store: Store) -> list[tuple]:
    """What the current-state table must hold: each series' newest stored sample."""
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT s.series_id, s.ts, s.value FROM samples s WHERE s.ts = "
            "(SELECT max(x.ts) FROM samples x WHERE x.series_id = s.series_id) "
            "ORDER BY s.series_id"))]


def live_equals_seeks(database, now: datetime, **kwargs) -> pl.DataFrame:
    """`latest` live (clock at `now`: the current-state table) is the seek-per-series
    answer at `now`, row for row; returns it."""
    with database.open(clock=lambda: now) as live:
        got = live.latest(**kwargs)
        assert got.equals(live.latest(at=now, **kwargs)), now
    return got


def test_store_latest_live_equals_seeks_when_writes_replay_or_arrive_late(database, store, hue):
    def ward(minute: float, lag: float) -> ProbeResult:
        return result(WARD, minute, sync_lag_seconds=lag, system_state=minute % 3)

    store.write([ward(0, 0.0), result(COMMUNE, 0, sync_lag_seconds=7.0)])
    store.write([ward(10, 10.0)])
    store.write([ward(10, 10.0), ward(5, 5.0)])  # a replay with a late, older poll …
    store.write([ward(3, 3.0)])  # … and a late one alone: neither moves latest back
    # A replay of the newest poll with another value, beside a new poll: samples keeps the
    # first value, so must the current state.
    assert store.write([ward(10, 99.0), result(COMMUNE, 0.5, sync_lag_seconds=7.0)]) == 3
    assert current_rows(store) == newest_samples(store)
    got = live_equals_seeks(database, at(12), metrics=["sync_lag_seconds"])
    assert got.select("centre_id", "ts", "value").rows() == [(WARD, at(10), 10.0),
                                                             (COMMUNE, at(0.5), 7.0)]
    # A clock behind the data (seeks for those series), at the window's edges, filtered.
    for minute in (-1, 0, 4, 5, 9, 10, 59, 60, 69, 70, 71):
        live_equals_seeks(database, at(minute))
        live_equals_seeks(database, at(minute), centre_ids=[COMMUNE], metrics=["up"],
                          lookback=timedelta(minutes=7))
    assert live_equals_seeks(database, at(30), centre_ids=[]).is_empty()


def test_store_latest_live_equals_seeks_for_the_whole_seeded_fleet(database, hue):
    with database.open() as db:
        seeded = seed(db, hue, hours=2, step_s=600, end=at(0))
        assert current_rows(db) == newest_samples(db)
    for when in (at(0), at(-30), at(45), seeded.start + timedelta(minutes=1)):
        got = live_equals_seeks(database, when)
        assert got.height > 40 * 10 or when < at(0)


def test_store_samples_filters_time_range_inclusively_and_by_centre(store, hue):
    for minute in range(0, 30, 5):
        store.write(
            [
                result(WARD, minute, sync_lag_seconds=minute),
                result(COMMUNE, minute, sync_lag_seconds=100 + minute),
            ]
        )
    got = store.samples(["sync_lag_seconds"], at(5), at(15), centre_ids=[COMMUNE])
    assert got.select("centre_id", "ts", "value").rows() == [
        (COMMUNE, at(5), 105.0),
        (COMMUNE, at(10), 110.0),
        (COMMUNE, at(15), 115.0),
    ]
    both = store.samples(["sync_lag_seconds", "up"], at(6), at(10))
    assert both.height == 4
    assert store.samples(["otp_p95_seconds"], at(0), at(30)).is_empty()


def test_store_polls_keep_failures_with_reasons_when_centres_fail(store, hue):
    store.write(
        [
            healthy_ward(WARD, at(0).timestamp()),
            unreachable_mountain_commune(COMMUNE, at(0).timestamp()),
            ProbeResult(
                hue[2].id,
                at(0).timestamp(),
                ok=False,
                duration_s=0.3,
                reason=Reason.HTTP_STATUS,
                detail="503 Service Unavailable",
                http_status=503,
                samples=[Sample("up", 0.0), Sample("probe_duration_seconds", 0.3)],
            ),
        ]
    )
    polls = store.polls(at(0), at(0)).sort("centre_id")
    assert polls.schema["ts"] == TS_TYPE
    by_id = {r["centre_id"]: r for r in polls.iter_rows(named=True)}
    assert (by_id[WARD]["ok"], by_id[WARD]["reason"], by_id[WARD]["http_status"]) == (
        True,
        None,
        200,
    )
    assert (by_id[COMMUNE]["ok"], by_id[COMMUNE]["reason"], by_id[COMMUNE]["http_status"]) == (
        False,
        "timeout",
        None,
    )
    assert (by_id[hue[2].id]["reason"], by_id[hue[2].id]["http_status"]) == ("http_status", 503)
    assert store.polls(at(0), at(0), centre_ids=[COMMUNE]).height == 1


def confirmed_failure(centre_id: str, minutes: float, confirmed: bool) -> ProbeResult:
    return ProbeResult(centre_id, at(minutes).timestamp(), ok=False, duration_s=3.0,
                       reason=Reason.TIMEOUT, detail="read timeout", confirmed=confirmed,
                       samples=[Sample("up", 0.0)])


def test_store_polls_keep_the_reprobe_confirmation_when_written_or_replayed_from_the_spool(
        store, hue, tmp_path):
    store.write([confirmed_failure(WARD, 0, True), confirmed_failure(COMMUNE, 0, False),
                 healthy_ward(hue[2].id, at(0).timestamp())])
    spool = Spool(tmp_path / "spool", 10_000_000)
    assert spool.try_put([confirmed_failure(WARD, 5, True),
                          confirmed_failure(COMMUNE, 5, False)]) is not None
    assert spool.replay(store.write, budget_s=60) == (1, 2)
    got = store.polls(at(0), at(5)).select("centre_id", "ts", "ok", "confirmed")
    assert got.schema["confirmed"] == pl.Boolean
    assert sorted(got.rows()) == sorted([
        (WARD, at(0), False, True), (WARD, at(5), False, True),
        (COMMUNE, at(0), False, False), (COMMUNE, at(5), False, False),
        (hue[2].id, at(0), True, False),
    ])
    newest = store.latest_polls(centre_ids=[WARD, COMMUNE], at=at(5))
    assert sorted(newest.select("centre_id", "confirmed").rows()) == [(WARD, True),
                                                                       (COMMUNE, False)]


def test_migrate_adds_the_confirmation_in_place_when_database_is_at_version_11(database):
    day_ms = 86_400_000
    now = round(at(0).timestamp() * 1000)
    engine = database.engine()
    try:
        assert migrate(engine, target=11) == 11
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO centres (id, name, kind, province_code, province_name, "
                "coords_approximate) VALUES ('19753', 'Phường Phú Xuân', 'phường', 46, "
                "'Thành phố Huế', false)"))
            for ts, ok, detail in [
                (now - 2 * day_ms, False, "read timeout [confirmed by re-probe]"),  # old
                (now - 10_000, False, "read timeout [confirmed by re-probe]"),
                (now - 5_000, False, "read timeout"),  # not re-probed
                (now, True, ""),
            ]:
                conn.execute(sa.text(
                    "INSERT INTO polls (centre_id, ts, ok, reason, detail, duration_s, "
                    "rejected, rejected_detail) VALUES ('19753', :ts, :ok, :reason, :detail, "
                    "0.1, 0, '')"),
                    {"ts": ts, "ok": ok, "reason": None if ok else "timeout", "detail": detail})
    finally:
        engine.dispose()
    with database.open() as store:
        with store.engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION
        got = store.polls(at(0) - timedelta(days=3), at(0))
        assert got.select("ok", "detail", "confirmed").rows() == [
            (False, "read timeout [confirmed by re-probe]", False),  # beyond the last day
            (False, "read timeout [confirmed by re-probe]", True),
            (False, "read timeout", False),
            (True, "", False),
        ]
        store.write([confirmed_failure(WARD, 1, True)])  # new polls store it as given
        assert store.polls(at(1), at(1))["confirmed"].to_list() == [True]


def test_store_latest_polls_returns_newest_per_centre_when_at_is_given(store, hue):
    store.write([healthy_ward(WARD, at(0).timestamp()), healthy_ward(COMMUNE, at(0).timestamp())])
    store.write([unreachable_mountain_commune(COMMUNE, at(5).timestamp())])
    store.write([healthy_ward(WARD, at(10).timestamp())])
    got = store.latest_polls(at=at(7))
    assert got.select("centre_id", "ts", "ok", "reason").rows() == [
        (WARD, at(0), True, None),
        (COMMUNE, at(5), False, "timeout"),
    ]
    assert store.latest_polls(centre_ids=[WARD], at=at(10))["ts"].to_list() == [at(10)]
    assert store.latest_polls(at=at(-1)).is_empty()


def test_store_keeps_gaps_absent_when_polls_are_missed_or_fail(store, hue):
    store.write([result(WARD, 0, system_state=2)])
    store.write([result(WARD, 10, system_state=2)])  # nothing at 5: the collector was down
    store.write([unreachable_mountain_commune(WARD, at(15).timestamp())])
    got = store.samples(["system_state", "up"], at(0), at(15))
    assert got.filter(pl.col("metric") == "system_state")["ts"].to_list() == [at(0), at(10)]
    assert got.filter(pl.col("metric") == "up")["value"].to_list() == [1.0, 1.0, 0.0]
    assert store.latest(
        metrics=["system_state"], at=at(8), lookback=timedelta(minutes=5)
    ).is_empty()


def test_store_refuses_naive_datetime_when_reading(store, hue):
    with pytest.raises(ValueError, match="naive"):
        store.polls(datetime(2025, 7, 3, 2), datetime(2025, 7, 3, 3))


# -- the shared fixture -----------------------------------------------------------


def test_seeded_store_holds_every_persona_when_seeded(seeded_store):
    seeded = seeded_store(hours=1, step_s=600)
    polls = seeded.store.polls(seeded.start, seeded.end)
    assert polls.height == 40 * 7
    assert {HEALTHY, LAGGING, UNREACHABLE} <= set(seeded.personas.values())
    failed = polls.filter(~pl.col("ok"))
    assert set(failed["centre_id"]) == set(seeded.ids(UNREACHABLE))
    assert set(failed["reason"]) == {"timeout"}
    lag = seeded.store.latest(metrics=["sync_lag_seconds"], at=seeded.end)
    slow = set(lag.filter(pl.col("value") > 3600)["centre_id"])
    assert slow == set(seeded.ids(LAGGING))
    assert seeded.store.centres()["lat"].null_count() == 0


def test_read_indexes_exist_when_created_fresh_or_migrated_from_version_9(database):
    engine = database.engine()
    try:
        assert migrate(engine, target=9) == 9
    finally:
        engine.dispose()
    with database.open() as store:
        names = {ix["name"] for table in ("rollup_1d", "alerts")
                 for ix in sa.inspect(store.engine).get_indexes(table)}
        assert "ix_alerts_centre_pending" in names
        assert ("ix_rollup_1d_cover" in names) == (store.dialect == "postgresql")
        if store.dialect == "postgresql":
            with store.engine.connect() as conn:  # JIT off on every connection
                assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"


def test_store_counts_late_writes_and_only_those(database, hue, store):
    """A write is late when its oldest sample is more than `settled.LATE_AFTER` older than
    the newest poll already stored (a spool replayed after newer polls, a backfill), by
    the data's time, whatever the clock. On-time writes and rows already stored leave the
    count alone; it survives reopening (it lives in `meta`)."""
    assert store.late_writes() == 0
    store.write([result(WARD, 10, sync_lag_seconds=30.0)])  # the first: nothing to be late for
    store.write([result(WARD, 20, sync_lag_seconds=30.0)])  # newer
    store.write([result(COMMUNE, 16, sync_lag_seconds=5.0)])  # 4 min behind the newest: on time
    store.write([result(WARD, 10, sync_lag_seconds=30.0)])  # stored already: nothing new
    assert store.late_writes() == 0
    store.write([result(COMMUNE, 14, sync_lag_seconds=9.0)])  # 6 min behind: late
    store.write([result(WARD, 29, sync_lag_seconds=5.0),
                 result(WARD, 12, sync_lag_seconds=9.0)])  # one old row is enough
    assert store.late_writes() == 2
    with database.open(clock=lambda: at(10_000)) as db:  # a clock far ahead changes nothing
        db.write([result(COMMUNE, 30, sync_lag_seconds=5.0)])
        assert db.late_writes() == 2
