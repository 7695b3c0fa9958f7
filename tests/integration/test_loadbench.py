"""`ioc bench load` end to end: it starts the product, drives real Streamlit sessions over
the websocket protocol for a bounded time, and reports sane JSON (behaviour, not speed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.slow

WALLS, STAFF = 3, 2


def test_load_bench_drives_walls_and_staff_and_reports():
    # Walls open a kiosk link, staff sign in with a local account (both made by the bench).
    # Walls refresh every 3 s here (10 s in the product), so each gets several updates.
    env = dict(os.environ, IOC_DASHBOARD__REFRESH_S="3", IOC_CONFIG=str(stale_config(None, 3600)))
    env.pop("IOC_DB_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "collectors.cli", "bench", "load", "--walls", str(WALLS),
         "--staff", str(STAFF), "--duration", "15", "--ramp", "2", "--days", "0.1",
         "--sample-s", "1", "--auth", "kiosk"],
        env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)

    assert out["errors"]["total"] == 0, out["errors"]
    sessions = out["sessions"]
    assert (sessions["walls"], sessions["staff"], sessions["total"]) == (WALLS, STAFF, 5)
    assert sessions["with_update"] == 5 and sessions["without_update"] == []
    assert sessions["updates_min"] >= 1

    latency = out["latency"]
    assert latency["wall_load"]["n"] >= WALLS
    assert latency["wall_refresh"]["n"] >= WALLS  # every wall reran its live fragment
    assert latency["commune"]["n"] >= STAFF
    assert latency["sign_in"]["n"] >= STAFF
    for figures in latency.values():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] \
            <= figures["max_ms"]

    server = out["server"]
    assert server["samples"] >= 5
    assert server["rss_mb"]["start"] > 0 and server["rss_mb"]["max"] > 0
    assert 0 < server["anon_mb"]["max"] <= server["rss_mb"]["max"]
    assert server["cpu_pct"]["max"] > 0
    assert out["history"]["samples"] > 0
    assert 14 <= out["duration_s"] < 60
    assert out["interrupted"] is False
    assert server["allocator"] == "glibc"  # ioc dashboard runs on glibc malloc, one arena
    assert server["malloc_settings"]["MALLOC_ARENA_MAX"] == os.environ.get("MALLOC_ARENA_MAX",
                                                                           "1")


def _sigint_as_in_a_terminal() -> None:
    """Ctrl-C's SIGINT at its default in the child, as a shell's foreground command has it:
    a test run started in the background (`make test &`) inherits it ignored, and Python
    then keeps ignoring it, as `nohup`ed jobs should."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_still_reports_what_it_measured(signum):
    # An hour's soak stopped after 40 minutes must not lose its 40 minutes of figures.
    env = dict(os.environ, IOC_DASHBOARD__REFRESH_S="3", IOC_CONFIG=str(stale_config(None, 3600)))
    env.pop("IOC_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectors.cli", "bench", "load", "--walls", "2", "--staff",
         "0", "--duration", "600", "--ramp", "1", "--days", "0.05", "--sample-s", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_sigint_as_in_a_terminal)
    try:
        seen = []
        for line in proc.stderr:  # the line printed once the product is up and load begins
            seen.append(line)
            if line.startswith("ioc bench load: 2 walls and 0 staff"):
                break
        else:
            pytest.fail("no start line on stderr: " + "".join(seen)[-3000:])
        time.sleep(8)  # a wall's first load and a refresh or two
        proc.send_signal(signum)
        out_text, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    out = json.loads(out_text)
    assert out["interrupted"] is True and out["duration_s"] < 600
    assert out["latency"]["wall_load"]["n"] == 2
    assert out["server"]["samples"] >= 3
