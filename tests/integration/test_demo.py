"""`ioc demo` end to end: history, live polls, a dashboard that answers, a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from metrics.store import Store

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process whose ancestry leads to `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_demo_runs_whole_product_and_stops_every_child_when_interrupted(tmp_path):
    db = tmp_path / "demo.db"
    port, sim_port = free_port(), free_port()
    # A free /metrics port: a taken one (another test's collector) refuses the collector's start.
    env = dict(os.environ, IOC_DB_URL=f"sqlite:///{db}", IOC_COLLECTOR__INTERVAL_S="5",
               IOC_COLLECTOR__METRICS_PORT=str(free_port()))
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectors.cli", "demo", "--port", str(port),
         "--sim-port", str(sim_port), "--days", "0.25"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        def dashboard_up() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/_stcore/health",
                                    timeout=1).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None and pytest.fail(proc.stdout.read())

        wait_for(dashboard_up, 120, "the dashboard")
        started = datetime.now(UTC)
        with Store.open(f"sqlite:///{db}") as store:
            # History: six hours of backfilled polls for the 40 centres of Huế.
            polls = store.polls(started - timedelta(hours=7), started)
            assert polls["centre_id"].n_unique() == 40
            assert polls["ts"].min() < started - timedelta(hours=5)
            # Live: the collector writes polls newer than the start of the dashboard.
            wait_for(lambda: store.newest_ts() and store.newest_ts() > started, 60,
                     "a live poll")
        children = descendants(proc.pid)
        assert len(children) >= 3  # simulator, collector, dashboard (and their children)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "backfilled" in out
    # Helpers such as multiprocessing's resource tracker leave when their pipe closes.
    deadline = time.monotonic() + 10
    while (leftovers := {p for p in children if running(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not leftovers, f"processes still running after Ctrl-C: {leftovers}\n{out}"
