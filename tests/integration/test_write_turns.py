"""A small write asked during a national cycle's write waits for one chunk, not the cycle.

A national cycle is written in transactions of `WRITE_CHUNK` polls. A write transaction of
another component of the process (the alert engine's, right after a re-probe confirmed an
outage) that asks while one chunk is being written commits before the next chunk:
on SQLite because the process's writers take turns in arrival order
(`metrics.store.write_turns`), on PostgreSQL because writers do not wait for each other.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from bench.store_write import synthetic_batch
from config.registry import all_centres
from metrics.store import WRITE_CHUNK, dialects
from metrics.store.schema import meta


def test_a_write_asked_during_a_cycle_write_commits_before_its_next_chunk(database):
    fleet = list(all_centres())
    ids = [c.id for c in fleet]
    chunks = -(-len(ids) // WRITE_CHUNK)
    assert chunks >= 5
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
            with dialects.write_transaction(store.engine) as conn:
                conn.execute(meta.insert().values(key="turn-test", value="1"))
        finally:
            threading.current_thread().name = previous
        cycle.join(60)
        sa.event.remove(store.engine, "commit", on_commit)
        sa.event.remove(store.engine, "begin", on_begin)
    cycle_commits = [i for i, who in enumerate(commits) if who == "cycle"]
    assert len(cycle_commits) == chunks
    # Asked while the second chunk held the lock: in before the third.
    assert commits.index("small") < cycle_commits[2], commits
