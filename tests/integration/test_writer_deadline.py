"""The collector's writer never waits on a stuck database past its bound, and lets a slow
one that keeps committing finish (collectors/writing/writer.py).

In process, on SQLite and on PostgreSQL, with the real `Spool` and `Store`: the database
stops answering in the middle of a run — SQLite locked by another writer, PostgreSQL behind
the test's own TCP proxy turned black hole (tests/faults/blackhole.py) — and each cycle's
write gives up at the bound and goes to the spool; when the database answers again the
spooled cycles are replayed and every poll is stored exactly once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from collectors.polling.leases import LeaseKeeper
from collectors.polling.shard import assign, parse_shard
from collectors.service import _store_opener
from collectors.writing.spool import Spool, encode
from collectors.writing.writer import UP, SpoolingWriter
from config.registry import fleet
from metrics.results import ProbeResult, Sample
from metrics.store import WRITE_CHUNK, Store
from tests.conftest import PG_URL
from tests.faults.blackhole import BlackHoleProxy
from tests.integration.test_collectors_shared import url_for

HUE = fleet("hue")
IDS = sorted(c.id for c in HUE)
T0 = 1_782_000_000.0
BOUND_S = 1.0


def cycle(k: int) -> list[ProbeResult]:
    return [ProbeResult(cid, T0 + 2 * k + 0.01 * i, True, 0.05, None, "", 200,
                        [Sample("up", 1.0)], [], False) for i, cid in enumerate(IDS)]


def replay_all(writer: SpoolingWriter, spool: Spool, k: int,
               polls: Callable[[int], list[ProbeResult]]) -> int:
    """Write `polls(k)`, `polls(k + 1)`, … until the spool is replayed and the store
    reachable (within 60 s); the next k."""
    deadline = time.monotonic() + 60
    while len(spool) or writer.state != UP or "spooled" in writer.last:
        assert time.monotonic() < deadline, f"never replayed: {writer.last}"
        time.sleep(0.3)
        writer.write(polls(k))
        k += 1
    return k


def close(writer: SpoolingWriter, spool: Spool) -> None:
    spool.close()
    if writer.store is not None:
        writer.store.close()


def stored_polls(url: str) -> list[tuple[str, int]]:
    """(centre, ts in ms) of every poll stored at `url`."""
    with Store.open(url) as store, store.engine.connect() as conn:
        return [(c, int(ts)) for c, ts in conn.execute(sa.text("SELECT centre_id, ts FROM polls"))]


@contextmanager
def stuck_database(database, tmp_path) -> Iterator[tuple[str, Callable[[], None],
                                                         Callable[[], None]]]:
    """(the store's URL, what makes the database stop answering, what brings it back)."""
    if database.backend == "sqlite":
        path = tmp_path / "store.db"
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        yield (f"sqlite:///{path}", lambda: holder.execute("BEGIN EXCLUSIVE"),
               lambda: holder.execute("ROLLBACK"))
        holder.close()
        return
    pg = make_url(PG_URL)
    proxy = BlackHoleProxy((pg.host or "127.0.0.1", pg.port or 5432))
    try:
        yield url_for(database, proxy.port), proxy.blackhole, proxy.forward
    finally:
        proxy.close()


def test_a_write_the_database_does_not_answer_is_spooled_at_the_bound_and_replayed_once(
        database, tmp_path):
    with stuck_database(database, tmp_path) as (url, stop, restart):
        spool = Spool(tmp_path / "spool", 1 << 26)
        writer = SpoolingWriter(_store_opener(url, HUE, BOUND_S), spool, bound_s=BOUND_S)
        try:
            writer.write(cycle(0))
            assert writer.last == {} and writer.state == UP
            stop()
            started = time.monotonic()
            writer.write(cycle(1))
            waited = time.monotonic() - started
            assert "spooled" in writer.last, writer.last
            assert writer.state != UP
            # Gave up at the bound (a loaded machine may add a little), not when the
            # database came back (never, here).
            assert waited < BOUND_S + 4, waited
            writer.write(cycle(2))
            assert "spooled" in writer.last
            restart()
            k = replay_all(writer, spool, 3, cycle)
        finally:
            close(writer, spool)
        stored = stored_polls(url)
    wanted = {(r.centre_id, round(r.ts * 1000)) for j in range(k) for r in cycle(j)}
    assert len(stored) == len(set(stored))  # none twice
    assert set(stored) == wanted  # none lost


SLOW_CHUNK_S = 0.3  # each write transaction made this much slower: a busy machine


def test_a_write_slower_than_its_bound_that_keeps_committing_runs_to_its_end(database,
                                                                             tmp_path):
    """A cycle whose write outlasts the bound while committing a chunk every 0.3 s is
    written, not abandoned and spooled to be written again later: the database stays
    reachable, re-probes keep being written, every poll is stored once."""
    url = database.url if database.backend == "sqlite" else url_for(database)

    def slow_store() -> Store:
        store = _store_opener(url, HUE, BOUND_S)()

        def slow(_conn, _cursor, statement: str, *_args) -> None:
            if "max(polls.ts)" in statement:  # once per write transaction
                time.sleep(SLOW_CHUNK_S)

        sa.event.listen(store.engine, "before_cursor_execute", slow)
        return store

    spool = Spool(tmp_path / "spool", 1 << 26)
    writer = SpoolingWriter(slow_store, spool, bound_s=BOUND_S, ceiling_s=60)
    chunks = 8  # of WRITE_CHUNK polls: 8 × 0.3 s, well past the 1-s bound
    batch = [r for k in range(1, 1 + chunks * WRITE_CHUNK // len(IDS)) for r in cycle(k)]
    try:
        writer.write(cycle(0))
        before = writer.store.commits
        started = time.monotonic()
        writer.write(batch)
        waited = time.monotonic() - started
        assert waited > BOUND_S, "the write was not slower than its bound: nothing tested"
        assert writer.store.commits - before >= chunks
        assert writer.last == {} and writer.state == UP and len(spool) == 0, writer.last
        assert writer.write_extra(cycle(10_000))  # a re-probe's result is written at once
        # … but not past the ceiling (the collector's interval): then it is spooled.
        writer.ceiling_s = 1.5
        later = [r for k in range(20_000, 20_000 + chunks * WRITE_CHUNK // len(IDS))
                 for r in cycle(k)]
        writer.write(later)
        assert "spooled" in writer.last, writer.last
        writer.ceiling_s = 60  # the spooled cycle can be replayed now
        end = replay_all(writer, spool, 30_000, lambda j: cycle(j)[:1])
    finally:
        close(writer, spool)
    stored = stored_polls(url)
    wanted = {(r.centre_id, round(r.ts * 1000))
              for r in [*cycle(0), *batch, *cycle(10_000), *later,
                        *(cycle(j)[0] for j in range(30_000, end))]}
    assert len(stored) == len(set(stored)) and set(stored) == wanted


def test_a_sharded_collectors_lease_work_gives_up_at_its_bound_and_resumes(database, tmp_path):
    """The lease keeper's cycle on a database that stops answering returns the cells it held
    within its bound, and takes up its leases again once the database answers."""
    with stuck_database(database, tmp_path) as (url, stop, restart):
        store = _store_opener(url, HUE, BOUND_S)()
        keeper = LeaseKeeper(assign(HUE, parse_shard("1/2")), interval_s=2.0)
        keeper.attach(store.engine)
        try:
            mine = keeper.cycle()
            assert mine and keeper.checked
            stop()
            for _ in range(3):
                started = time.monotonic()
                assert keeper.cycle() == mine  # the cells held before: nothing unpolled
                assert time.monotonic() - started < keeper.bound_s + 4
            restart()
            deadline = time.monotonic() + 30
            while not keeper.reachable:
                assert time.monotonic() < deadline, "the leases never came back"
                time.sleep(0.3)
                keeper.cycle()
            assert keeper.cycle() == mine
        finally:
            keeper.close(release=False)
            store.close()


def test_each_outage_that_overflows_the_spool_is_said_once(database, tmp_path, caplog):
    """Two outages, each past the spool's bound: one spool_full line each, not one a cycle
    and not one for both."""
    one = len(encode(cycle(0)))
    with stuck_database(database, tmp_path) as (url, stop, restart):
        spool = Spool(tmp_path / "spool", 2 * one)
        writer = SpoolingWriter(_store_opener(url, HUE, BOUND_S), spool, bound_s=BOUND_S)
        k = 0
        try:
            with caplog.at_level(logging.WARNING, "ioc.collector"):
                for _ in range(2):
                    writer.write(cycle(k))
                    k += 1
                    stop()
                    for _ in range(4):  # 2 spooled, 2 dropped
                        writer.write(cycle(k))
                        k += 1
                    restart()
                    deadline = time.monotonic() + 60
                    while len(spool) or writer.state != UP:
                        assert time.monotonic() < deadline
                        time.sleep(0.3)
                        writer.write(cycle(k))
                        k += 1
        finally:
            close(writer, spool)
    full = [r for r in caplog.records if '"event": "spool_full"' in r.getMessage()]
    assert len(full) == 2
