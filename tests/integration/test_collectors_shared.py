"""Several collectors on the real PostgreSQL: shards, take-over, spool and replay.

Each collector is a real `ioc collect` process polling the simulator (Huế's 40 centres, real
clock) every second into the test's own PostgreSQL schema. The database outage is real too:
the collector reaches PostgreSQL through a TCP proxy of real bytes that the test closes
(refusing new connections and cutting the open ones) and opens again.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from collectors.polling.shard import Shard, in_shard
from collectors.writing.spool import Spool
from config.registry import fleet
from metrics.store import leases as lease_table
from tests.conftest import PG_URL
from tests.fixtures.tcp_proxy import Proxy

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HUE = fleet("hue")
IDS = {c.id for c in HUE}
INTERVAL_S = 1.0
# Longer than the default ¾ interval, so a collector stalled by a busy test machine keeps
# its cells; the take-over bound below follows it.
LEASE_TTL_S = 2.0
pg = pytest.mark.parametrize("database", ["postgres"], indirect=True)


def url_for(database, port: int | None = None) -> str:
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={database.schema}"})
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    return url.render_as_string(hide_password=False)


class Collector:
    """`ioc collect` as a child process; its JSON cycle lines read back from its log file."""

    def __init__(self, tmp: Path, name: str, db_url: str, sim_port: int, *args: str):
        self.log = tmp / f"{name}.log"
        env = dict(
            os.environ,
            IOC_DB_URL=db_url,
            IOC_SIMULATOR__PORT=str(sim_port),
            IOC_COLLECTOR__INTERVAL_S=str(INTERVAL_S),
            IOC_COLLECTOR__LEASE_TTL_S=str(LEASE_TTL_S),
            IOC_COLLECTOR__TIMEOUT_S="0.4",
            IOC_COLLECTOR__CONNECT_TIMEOUT_S="0.3",
            IOC_COLLECTOR__WORKERS="1",
            IOC_COLLECTOR__CONCURRENCY="48",
            IOC_COLLECTOR__METRICS_PORT="0",
            IOC_COLLECTOR__SPOOL_DIR=str(tmp / f"spool-{name}"),
            PYTHONUNBUFFERED="1",
        )
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", "collect",
                                          *args], cwd=ROOT, env=env, stdout=out, stderr=out)

    def cycles(self) -> list[dict]:
        lines = self.log.read_text(errors="replace").splitlines()
        return [json.loads(x) for x in lines if x.startswith('{"event": "collect_cycle"')]

    def wait(self, what: str, test, timeout_s: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"collector exited {self.proc.returncode}: {self.log.read_text()}")
            cycles = self.cycles()
            if test(cycles):
                return cycles
            time.sleep(0.1)
        pytest.fail(f"waited {timeout_s} s for {what}:\n{self.log.read_text()[-3000:]}")

    def leases(self) -> str:
        """The collector's lease log lines (what it took and gave up, and when)."""
        return "\n".join(x for x in self.log.read_text(errors="replace").splitlines()
                         if "leases:" in x)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def collectors():
    started: list[Collector] = []

    def start(*args, **kw) -> Collector:
        c = Collector(*args, **kw)
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop(signal.SIGKILL)


def polls(database, since: float, until: float = 1e12) -> list[tuple[str, float]]:
    with database.open() as store, store.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT centre_id, ts FROM polls WHERE ts >= :a AND ts <= :b ORDER BY ts"),
            {"a": int(since * 1000), "b": int(until * 1000)})
        return [(c, ts / 1000) for c, ts in rows]


def failed_polls(database, since: float, until: float) -> list[tuple[str, float]]:
    with database.open() as store, store.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT centre_id, ts FROM polls WHERE ts >= :a AND ts <= :b AND NOT ok"),
            {"a": int(since * 1000), "b": int(until * 1000)})
        return [(c, ts / 1000) for c, ts in rows]


@pg
def test_two_shard_collectors_share_huế_with_no_overlap_and_one_takes_over_when_the_other_is_killed(
        database, start_simulator, collectors, tmp_path):
    sim = start_simulator(HUE)
    url = url_for(database)
    a = collectors(tmp_path, "a", url, sim.port, "--shard", "1/2")
    b = collectors(tmp_path, "b", url, sim.port, "--shard", "2/2")

    def settled(name):
        return lambda cs: len(cs) >= 2 and all(c["cells"] == [name] for c in cs[-2:])

    a.wait("shard 1/2 polling its own cell", settled("p46/s1of2"))
    b.wait("shard 2/2 polling its own cell", settled("p46/s2of2"))
    start = time.time()
    a.wait("four more cycles", lambda cs: sum(c["at"] > start + 4 for c in cs) >= 1)
    end = time.time()
    seen_a = [c for c in a.cycles() if start <= c["at"] <= end]
    seen_b = [c for c in b.cycles() if start <= c["at"] <= end]
    home_a = {c.id for c in in_shard(HUE, Shard(1, 2))}

    # Both polling, each only its own shard: no centre polled by both, none missed.
    assert seen_a and seen_b
    # The leases run lease_ttl_s ahead (renewed every quarter of it), not the default ¾ s.
    with database.open() as store, store.engine.connect() as conn:
        now = lease_table.db_now_ms(conn)
        ahead = {k: (until - now) / 1000 for k, (_, until) in lease_table.read(conn).items()}
    assert set(ahead) == {"p46/s1of2", "p46/s2of2"}
    assert all(0.5 * LEASE_TTL_S < s <= LEASE_TTL_S for s in ahead.values()), ahead
    odd_a = [c for c in seen_a if c["cells"] != ["p46/s1of2"] or c["centres"] != len(home_a)]
    odd_b = [c for c in seen_b
             if c["cells"] != ["p46/s2of2"] or c["centres"] != 40 - len(home_a)]
    assert not odd_a and not odd_b, (odd_a, odd_b, a.leases(), b.leases())
    window = polls(database, start + 0.5, end - 1.5)
    per_centre = Counter(cid for cid, _ in window)
    assert set(per_centre) == IDS
    times: dict[str, list[float]] = {}
    for cid, ts in window:
        times.setdefault(cid, []).append(ts)
    # A centre that failed is also re-probed between cycles (its confirmation window), by
    # the collector polling it: judged on the centres that answered every poll.
    failed = {cid for cid, _ in failed_polls(database, start + 0.5, end - 1.5)}
    gaps = [b - a for cid, ts in times.items() if cid not in failed
            for a, b in itertools.pairwise(ts)]
    assert gaps and min(gaps) > 0.5 * INTERVAL_S  # once per interval: never a second
    # collector's poll

    a.stop(signal.SIGKILL)
    killed = time.time()
    b.wait("shard 2/2 taking over shard 1/2",
           lambda cs: any(c["at"] > killed and len(c["cells"]) == 2 for c in cs))
    after = polls(database, killed)
    first = {cid: min(ts for c, ts in after if c == cid) for cid in home_a if
             any(c == cid for c, _ in after)}
    assert first.keys() == home_a
    took = max(first.values()) - killed
    print(f"take-over: every centre of the killed shard polled again {took:.2f} s after SIGKILL")
    # The lease lapses, the next cycle takes it; and scheduling slack on a busy box.
    assert took <= LEASE_TTL_S + INTERVAL_S + 0.5
    b.wait("two full cycles", lambda cs: sum(c["at"] > killed and c["centres"] == 40
                                             for c in cs) >= 2)


def snapshot(spool_dir: Path, into: Path) -> set[tuple[str, int]]:
    """(centre, ts ms) of every poll in the spool right now, read through the Spool's format."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(spool_dir, into, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    copy = Spool(into, 1 << 30)
    try:
        return {(r.centre_id, round(r.ts * 1000)) for p in copy.files() for r in copy.read(p)}
    finally:
        copy.close()


@pg
def test_a_collector_spools_through_database_outages_and_replays_every_poll_exactly_once(
        database, start_simulator, collectors, tmp_path):
    pg_url = make_url(PG_URL)
    proxy = Proxy((pg_url.host or "127.0.0.1", pg_url.port or 5432))
    sim = start_simulator(HUE)
    spool_dir = tmp_path / "spool-c"
    # 1. The database is unreachable when the collector starts: it polls and spools.
    c = collectors(tmp_path, "c", url_for(database, proxy.port), sim.port)
    try:
        c.wait("two spooled cycles", lambda cs: sum("spooled" in x for x in cs) >= 2)
        outage_1 = snapshot(spool_dir, tmp_path / "snap1")
        proxy.open()
        c.wait("the replay", lambda cs: any(x.get("replayed") for x in cs))
        up = len(c.cycles())
        c.wait("two cycles written", lambda cs: sum("spooled" not in x for x in cs[up:]) >= 2)
        # 2. The database goes away while it runs (connections cut, new ones refused).
        proxy.close()
        down = len(c.cycles())
        c.wait("three spooled cycles", lambda cs: sum("spooled" in x for x in cs[down:]) >= 3)
        outage_2 = snapshot(spool_dir, tmp_path / "snap2")
        proxy.open()
        back = len(c.cycles())
        c.wait("the replay", lambda cs: any(x.get("replayed") for x in cs[back:]))
        c.wait("two more cycles", lambda cs: len(cs) >= len(c.cycles()) and
               sum("spooled" not in x and "replayed" not in x for x in cs[back:]) >= 2)
        assert c.stop() == 0
    finally:
        proxy.close()
    cycles = c.cycles()
    assert not list(spool_dir.glob("cycle-*")) and not (spool_dir / "corrupt").exists()
    assert all("dropped" not in x for x in cycles)

    stored = polls(database, 0)
    keys = Counter((cid, round(ts * 1000)) for cid, ts in stored)
    assert len(outage_1) >= 80 and len(outage_2) >= 120
    assert (outage_1 | outage_2) <= keys.keys()  # every poll made during an outage is stored
    assert max(keys.values()) == 1  # … once
    # Every cycle the collector logged, spooled or not, is in the store, and nothing else
    # but the re-probes of failing centres between cycles (at most two per failure).
    extra = len(stored) - sum(x["centres"] for x in cycles)
    assert 0 <= extra <= 2 * len(failed_polls(database, 0, 1e12))
