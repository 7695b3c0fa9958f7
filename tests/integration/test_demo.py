"""`ioc demo` end to end: history, live polls, a dashboard that answers, a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from bench.procstat import descendants, running
from collectors.simulator.background import free_port
from metrics.store import Store

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


ROOT = Path(__file__).resolve().parents[2]


def demo_env(tmp_path: Path, db: Path) -> dict[str, str]:
    """The demo run from `tmp_path` (its data/ folder: demo accounts, inbox file) on the
    repository's code and configuration, with no alert webhook URL of the caller's."""
    env = dict(os.environ, IOC_DB_URL=f"sqlite:///{db}", IOC_COLLECTOR__INTERVAL_S="5",
               IOC_CONFIG=str(ROOT / "config" / "ioc.yaml"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("ALERT_WEBHOOK_URL", None)
    return env


def test_demo_runs_whole_product_on_its_ports_and_stops_every_child_when_interrupted(tmp_path):
    """Every port given is the one its process listens on; the recent history is written with
    a progress bar, the rest behind the live data; the printed kiosk link opens the wall; an
    alert lands in the inbox; no channel complains of a missing URL; Ctrl-C stops it all."""
    from playwright.sync_api import sync_playwright

    from metrics.access import kiosk
    from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS

    db = tmp_path / "demo.db"
    port, sim_port, metrics_port, inbox_port = (free_port() for _ in range(4))
    log = tmp_path / "demo.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectors.cli", "demo", "--port", str(port),
         "--sim-port", str(sim_port), "--metrics-port", str(metrics_port),
         "--inbox-port", str(inbox_port), "--days", "0.25"],
        cwd=tmp_path, env=demo_env(tmp_path, db), stdout=log.open("w"),
        stderr=subprocess.STDOUT, text=True,
    )
    try:
        def link() -> str | None:
            if proc.poll() is not None:
                pytest.fail(log.read_text())
            m = re.search(r"kiosk link \(no sign-in\): (http://\S+)", log.read_text())
            return m and m.group(1)

        kiosk_url = wait_for(link, 180, "the kiosk link")
        started = datetime.now(UTC)
        # Each process on the port it was given.
        assert kiosk_url.startswith(f"http://localhost:{port}/?kiosk=")
        assert requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).ok
        assert requests.get(f"http://127.0.0.1:{sim_port}/healthz", timeout=5).ok
        wait_for(lambda: requests.get(f"http://127.0.0.1:{metrics_port}/metrics",
                                      timeout=5).ok, 60, "the collector's /metrics")
        assert requests.get(f"http://127.0.0.1:{inbox_port}/healthz", timeout=5).ok
        # The link answers and its token is one the kiosk gate accepts.
        assert requests.get(kiosk_url, timeout=10).status_code == 200
        token = kiosk_url.split("?kiosk=", 1)[1]
        with Store.open(f"sqlite:///{db}") as store:
            assert kiosk.lookup(store, token) is not None
            centre = store.centres().row(0, named=True)
            # Live: the collector writes polls newer than the start of the dashboard.
            wait_for(lambda: store.newest_ts() and store.newest_ts() > started, 60,
                     "a live poll")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(kiosk_url)
                page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
                wall = page.inner_text("body")
            finally:
                browser.close()
        assert "Trung tâm hoạt động" in wall, wall

        # An injected outage reaches the inbox, which shows it on its page.
        answer = requests.post(f"http://127.0.0.1:{sim_port}/control/faults", json={
            "centres": [centre["id"]], "fault": "refuse", "duration_s": 60}, timeout=5)
        assert answer.status_code == 201, answer.text
        inbox_file = tmp_path / "data" / "demo-inbox.jsonl"

        def notice() -> bool:
            return inbox_file.exists() and any(
                a["labels"].get("centre") == centre["id"]
                and a["labels"].get("alertname") == "centre_down"
                for line in inbox_file.read_text(encoding="utf-8").splitlines()
                for a in json.loads(line)["payload"]["alerts"])

        wait_for(notice, 120, "the outage's notice in the inbox")
        inbox_page = requests.get(f"http://127.0.0.1:{inbox_port}/", timeout=5)
        assert inbox_page.status_code == 200
        assert "Hộp thư cảnh báo" in inbox_page.text and centre["name"] in inbox_page.text

        with Store.open(f"sqlite:///{db}") as store:
            # History: six hours of polls for the 40 centres of Huế, the older ones filled
            # behind the live data.
            wait_for(lambda: "backfilled 0.25 days of history" in log.read_text(), 180,
                     "the rest of the history")
            polls = store.polls(started - timedelta(hours=7), started)
            assert polls["centre_id"].n_unique() == 40
            assert polls["ts"].min() < started - timedelta(hours=5)
        children = descendants(proc.pid)
        assert len(children) >= 3  # simulator, collector, dashboard (and their children)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    # The recent history's progress bar (plain lines: the output is not a terminal).
    assert re.search(r"recent history \[█+\] 100 % 24/24", out), out
    assert f"inbox http://127.0.0.1:{inbox_port}/" in out
    assert "is not set" not in out, out
    # Helpers such as multiprocessing's resource tracker leave when their pipe closes.
    deadline = time.monotonic() + 10
    while (leftovers := {p for p in children if running(p)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not leftovers, f"processes still running after Ctrl-C: {leftovers}\n{out}"


def test_demo_refuses_a_taken_port_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "collectors.cli", "demo", "--port", str(free_port()),
             "--sim-port", str(busy), "--metrics-port", str(free_port()),
             "--inbox-port", str(free_port())],
            cwd=tmp_path, env=demo_env(tmp_path, tmp_path / "demo.db"), capture_output=True,
            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {busy} for the simulator" in lines[0], result.stderr
    assert "--sim-port" in lines[0] and "SIM_PORT" in lines[0]
    assert not (tmp_path / "demo.db").exists()  # refused before touching anything
