"""A small write asked during a national cycle's write waits for one chunk, not the cycle.

A national cycle is written in transactions of `WRITE_CHUNK` polls. A write transaction of
another component of the process (the alert engine's, right after a re-probe confirmed an
outage), or the re-probe's result itself, asked while one chunk is being written, commits
before the next chunk: the store's writes, and on SQLite every write transaction of the
process, take turns in arrival order (`metrics.store.write_turns`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from bench.store_write import synthetic_batch
from config.registry import all_centres
from metrics.results import ProbeResult, Reason
from metrics.store import WRITE_CHUNK, Store, dialects
from metrics.store.schema import meta


def _commits_around(database, small: Callable[[Store], None]) -> tuple[list[str], int]:
    """Who committed, in order ("cycle" or "small"), when `small` writes while the second
    chunk of a steady-state national cycle holds the write lock; and how many chunks."""
    fleet = list(all_centres())
    ids = [c.id for c in fleet]
    chunks = -(-len(ids) // WRITE_CHUNK)
    with database.open() as store:
        store.sync_centres(fleet)
        t0 = time.time() - 60
        store.write(synthetic_batch(ids, t0, 0))  # the series exist: a steady-state cycle
        commits: list[str] = []
        begun: list[int] = []
        second_chunk = threading.Event()  # its transaction holds the write lock

        def on_begin(_conn) -> None:
            if threading.current_thread().name == "cycle":
                begun.append(1)
                if len(begun) == 2:
                    second_chunk.set()

        def on_commit(_conn) -> None:
            commits.append(threading.current_thread().name)

        sa.event.listen(store.engine, "begin", on_begin)
        sa.event.listen(store.engine, "commit", on_commit)
        cycle = threading.Thread(target=store.write, args=(synthetic_batch(ids, t0 + 5, 1),),
                                 name="cycle")
        cycle.start()
        assert second_chunk.wait(60)
        threading.current_thread().name, previous = "small", threading.current_thread().name
        try:
            small(store)
        finally:
            threading.current_thread().name = previous
        cycle.join(60)
        sa.event.remove(store.engine, "commit", on_commit)
        sa.event.remove(store.engine, "begin", on_begin)
    return commits, chunks


def _transaction(store: Store) -> None:
    with dialects.write_transaction(store.engine) as conn:
        conn.execute(meta.insert().values(key="turn-test", value="1"))


def test_a_write_asked_during_a_cycle_write_commits_before_its_next_chunk(database):
    commits, chunks = _commits_around(database, _transaction)
    assert chunks >= 5
    cycle_commits = [i for i, who in enumerate(commits) if who == "cycle"]
    assert len(cycle_commits) == chunks
    # Asked while the second chunk held the lock: in before the third.
    assert commits.index("small") < cycle_commits[2], commits


def test_a_re_probe_result_written_during_a_cycle_write_commits_before_its_next_chunk(
        database):
    centre = all_centres()[0].id
    commits, chunks = _commits_around(database, lambda store: store.write([ProbeResult(
        centre_id=centre, ts=time.time(), ok=False, duration_s=0.1, reason=Reason.REFUSED)]))
    cycle_commits = [i for i, who in enumerate(commits) if who == "cycle"]
    assert len(cycle_commits) == chunks
    assert commits.index("small") < cycle_commits[2], commits
