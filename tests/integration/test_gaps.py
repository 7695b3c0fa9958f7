"""Cycles dropped at the spool's bound become one `collection_gaps` row each stretch, once.

In process, on SQLite and on PostgreSQL: the collector's own writer (`SpoolingWriter`, the
real `Spool` and `Store`) starts while its database is really unreachable — a SQLite file
that cannot be opened (a directory stands where it should be), a PostgreSQL reached through
a TCP proxy that refuses — overflows the spool, and then the database comes back at the
same URL. And a real `ioc collect` process, SIGKILLed while it drops cycles, records them
after its restart.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from collectors.service import _store_opener
from collectors.writing.droplog import NAME
from collectors.writing.spool import Spool, encode
from collectors.writing.writer import SpoolingWriter
from config.registry import fleet
from metrics.results import ProbeResult, Sample
from metrics.store import Store, gaps
from tests.conftest import PG_URL
from tests.integration.test_collectors_shared import Proxy, url_for

ROOT = Path(__file__).resolve().parents[2]
HUE = fleet("hue")
IDS = sorted(c.id for c in HUE)
T0 = 1_782_000_000.0  # 2026-06-21, a moment within no retention window's reach


def cycle(k: int) -> list[ProbeResult]:
    """Huế's 40 polls of cycle k (2 s apart), 10 ms after one another."""
    return [ProbeResult(cid, T0 + 2 * k + 0.01 * i, True, 0.05, None, "", 200,
                        [Sample("up", 1.0)], [], False) for i, cid in enumerate(IDS)]


def ms(t: float) -> int:
    return round(t * 1000)


def at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


@contextmanager
def outage(database, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """(a store URL that refuses for now, what brings the database back at that URL)."""
    if database.backend == "sqlite":
        path = tmp_path / "db" / "ioc.db"
        path.mkdir(parents=True)  # a directory where the file should be: cannot open
        yield f"sqlite:///{path}", path.rmdir
        return
    pg = make_url(PG_URL)
    proxy = Proxy((pg.host or "127.0.0.1", pg.port or 5432))  # not listening yet: refused
    try:
        yield url_for(database, proxy.port), proxy.open
    finally:
        proxy.close()


def gap_rows(url: str) -> list[dict]:
    with Store.open(url) as store, store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT collector, start_ts, end_ts, cycles, centres, reason, detail "
            "FROM collection_gaps ORDER BY start_ts")).mappings()]


def poll_times(url: str) -> set[int]:
    with Store.open(url) as store, store.engine.connect() as conn:
        return {ts for (ts,) in conn.execute(sa.text("SELECT DISTINCT ts FROM polls"))}


def test_an_overflowed_outage_is_one_gap_with_the_dropped_cycles_bounds_recorded_once(
        database, tmp_path):
    bound = int(len(encode(cycle(0))) * 2.5)  # two cycles fit, the third does not
    with outage(database, tmp_path) as (url, restore):
        spool = Spool(tmp_path / "spool", bound)
        writer = SpoolingWriter(_store_opener(url, HUE), spool, name="shard-1of1-p46")
        try:
            for k in range(6):  # 0 and 1 spooled; 2, 3, 4 and 5 dropped
                writer.write(cycle(k))
                assert ("spooled" in writer.last) == (k < 2), (k, writer.last)
            assert (tmp_path / "spool" / NAME).exists() and len(spool) == 2
            with pytest.raises(sa.exc.OperationalError):
                Store.open(url).close()  # still down: the gap waits on disk

            restore()
            writer.write(cycle(6))
            assert writer.last["gaps"] == 1 and writer.last["replayed"] == 2
            writer.write(cycle(7))  # written straight away; nothing recorded again
            assert "gaps" not in writer.last
        finally:
            spool.close()
            if writer.store is not None:
                writer.store.close()
        [gap] = gap_rows(url)
        times = poll_times(url)

    assert gap["collector"] == "shard-1of1-p46" and gap["reason"] == gaps.SPOOL_FULL
    assert (gap["start_ts"], gap["end_ts"]) == (ms(cycle(2)[0].ts), ms(cycle(5)[-1].ts))
    assert gap["cycles"] == 4 and gap["centres"].split(",") == IDS
    detail = json.loads(gap["detail"])
    assert detail["polls"] == 160 and detail["max_bytes"] == bound
    assert 0 < detail["spool_bytes"] <= bound
    assert not (tmp_path / "spool" / NAME).exists()
    kept = {ms(r.ts) for k in (0, 1, 6, 7) for r in cycle(k)}
    assert times == kept  # the dropped cycles are the gap, not the store's


def test_a_gap_recorded_just_before_a_kill_is_not_recorded_twice_after_the_restart(
        database, tmp_path):
    """A SIGKILL between the database's commit and the record's deletion leaves the record
    on disk: the next process records the same gap again, to the same row."""
    bound = int(len(encode(cycle(0))) * 1.5)
    folder = tmp_path / "spool"
    with outage(database, tmp_path) as (url, restore):
        spool = Spool(folder, bound)
        first = SpoolingWriter(_store_opener(url, HUE), spool)
        for k in range(4):  # 0 spooled; 1, 2 and 3 dropped
            first.write(cycle(k))
        left_by_the_kill = (folder / NAME).read_bytes()
        restore()
        first.write(cycle(4))  # commits the gap, then deletes the record
        first.store.close()
        spool.close()
        (folder / NAME).write_bytes(left_by_the_kill)  # … as if killed before the delete

        spool = Spool(folder, bound)  # the restarted collector
        again = SpoolingWriter(_store_opener(url, HUE), spool)
        try:
            again.write(cycle(5))
            assert again.last["gaps"] == 1
        finally:
            spool.close()
            again.store.close()
        rows = gap_rows(url)

    assert [(r["collector"], r["cycles"], r["start_ts"], r["end_ts"]) for r in rows] == [
        ("", 3, ms(cycle(1)[0].ts), ms(cycle(3)[-1].ts))]
    assert not (folder / NAME).exists()


def test_gaps_are_read_by_period_and_by_scope(store):
    gaps.record(store.engine, "", [
        gaps.Gap(1_000, 5_000, 3, ("19753", "19756"), detail={"polls": 6}),
        gaps.Gap(9_000, 9_000, 1, ("20000",))])

    def ids(a: float, b: float, centre_ids=None) -> list[int]:
        found = gaps.between(store.engine, at(a), at(b), centre_ids)
        return found["start"].dt.epoch("ms").to_list()

    assert ids(0, 100) == [9_000, 1_000]  # newest first
    assert ids(5, 8.999) == [1_000]  # a gap overlapping the period's start counts
    assert ids(5.001, 8.999) == [] and ids(9, 9) == [9_000]
    assert ids(0, 100, ["19756"]) == [1_000] and ids(0, 100, []) == []
    gaps.record(store.engine, "", [gaps.Gap(1_000, 7_000, 4, ("19753", "19756"))])
    assert gaps.between(store.engine, at(0), at(100))["cycles"].to_list() == [1, 4]


# --- the real collector, SIGKILLed while it drops cycles (SQLite) ---------------------------

def collector(tmp_path: Path, db: Path, sim_port: int, log: Path, bound: int
              ) -> subprocess.Popen:
    env = {**os.environ, "IOC_DB_URL": f"sqlite:///{db}", "IOC_SIMULATOR__PORT": str(sim_port),
           "IOC_COLLECTOR__INTERVAL_S": "1", "IOC_COLLECTOR__TIMEOUT_S": "0.4",
           "IOC_COLLECTOR__CONNECT_TIMEOUT_S": "0.3", "IOC_COLLECTOR__WORKERS": "1",
           "IOC_COLLECTOR__METRICS_PORT": "0", "IOC_COLLECTOR__SPOOL_DIR": str(tmp_path / "sp"),
           "IOC_COLLECTOR__SPOOL_MAX_BYTES": str(bound), "IOC_LOGGING__FORMAT": "json",
           "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "collectors.cli", "collect"], cwd=ROOT,
                                env=env, stdout=out, stderr=out)


def events(log: Path, name: str) -> list[dict]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            obj = json.loads(line)
            if obj.get("event") == name:
                found.append(obj)
    return found


def wait(what: str, test: Callable[[], bool], proc: subprocess.Popen, log: Path,
         timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"collector exited {proc.returncode}: {log.read_text()[-3000:]}")
        if test():
            return
        time.sleep(0.1)
    pytest.fail(f"waited {timeout_s} s for {what}:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_a_collector_killed_while_dropping_cycles_records_them_as_one_gap_after_restart(
        simulator, tmp_path):
    db = tmp_path / "db" / "ioc.db"
    db.mkdir(parents=True)  # the database cannot be opened: the collector spools
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    proc = collector(tmp_path, db, simulator.port, first_log, bound=150_000)  # ~1.5 cycles
    try:
        wait("three dropped cycles", lambda: sum(
            "dropped" in c for c in events(first_log, "collect_cycle")) >= 3, proc, first_log)
    finally:
        proc.kill()  # SIGKILL: no clean stop, mid-outage
        proc.wait()
    dropped = [c for c in events(first_log, "collect_cycle") if "dropped" in c]
    # One spool_full line when the refusing starts, not one per dropped cycle (issue 22).
    assert len(events(first_log, "spool_full")) == 1 and len(dropped) >= 3
    shutil.rmtree(db)  # the database is back
    proc = collector(tmp_path, db, simulator.port, second_log, bound=150_000)
    try:
        wait("the gap recorded", lambda: any(
            c.get("gaps") for c in events(second_log, "collect_cycle")), proc, second_log)
        wait("a cycle written", lambda: any(
            not {"spooled", "dropped", "replayed"} & c.keys()
            for c in events(second_log, "collect_cycle")), proc, second_log)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0

    [gap] = gap_rows(f"sqlite:///{db}")
    # Every logged drop is in it; one more only if the kill fell between record and log line.
    assert gap["cycles"] in (len(dropped), len(dropped) + 1)
    assert gap["reason"] == gaps.SPOOL_FULL and gap["centres"].split(",") == IDS
    for c in dropped:  # the line is logged after the cycle's polls, within its interval
        assert gap["start_ts"] <= c["at"] * 1000 <= gap["end_ts"] + 2_000, (c, gap)
    [logged] = events(second_log, "collection_gap")
    assert (logged["start_ms"], logged["end_ms"]) == (gap["start_ts"], gap["end_ts"])
    assert not (tmp_path / "sp" / NAME).exists()
