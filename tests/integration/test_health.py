"""Health and readiness over real loopback HTTP: `ioc collect`, `ioc simulate` and
`ioc dashboard` as child processes, probed with requests and with `ioc health`.

The database outage is real: the collector's SQLite folder is deleted under it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from bench.procstat import listening_addresses
from collectors.simulator.background import free_port
from metrics.store import Store
from tests.faults.procs import stop_group

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "w")  # noqa: SIM115 (closed when the child is stopped)
    proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                            stdout=out, stderr=out, start_new_session=True)
    proc.log_file = out  # type: ignore[attr-defined]
    return proc


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        stop_group(proc, 30)
    proc.log_file.close()  # type: ignore[attr-defined]
    return proc.returncode


def wait_for(what: str, test: Callable[[], object], proc: subprocess.Popen, log: Path,
             timeout_s: float = 60.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the child exited {proc.returncode} while waiting for {what}:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        try:
            value = test()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"waited {timeout_s} s for {what}:\n{log.read_text(errors='replace')[-3000:]}")


def ioc_health(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collectors.cli", "health", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


def test_collector_health_goes_503_with_the_reason_when_its_database_disappears(
        simulator, tmp_path):
    db_dir = tmp_path / "db"
    port = free_port()
    log = tmp_path / "collector.log"
    env = {"IOC_DB_URL": f"sqlite:///{db_dir / 'ioc.db'}",
           "IOC_SIMULATOR__PORT": str(simulator.port),
           "IOC_COLLECTOR__INTERVAL_S": "1", "IOC_COLLECTOR__TIMEOUT_S": "0.5",
           "IOC_COLLECTOR__CONNECT_TIMEOUT_S": "0.3", "IOC_COLLECTOR__WORKERS": "1",
           "IOC_COLLECTOR__METRICS_PORT": str(port),
           "IOC_COLLECTOR__SPOOL_DIR": str(tmp_path / "spool"),
           "IOC_LOGGING__FORMAT": "json"}
    base = f"http://127.0.0.1:{port}"
    proc = spawn(["collect"], env, log)
    try:
        ready = wait_for("/readyz 200", lambda: requests.get(base + "/readyz", timeout=5)
                         .status_code == 200, proc, log)
        assert ready
        assert listening_addresses(port) == {"127.0.0.1"}  # loopback unless configured
        live = requests.get(base + "/healthz", timeout=5)
        assert live.status_code == 200 and live.json()["status"] == "ok"
        body = requests.get(base + "/readyz", timeout=5).json()
        assert body["checks"]["database"]["schema_version"] == body["checks"]["database"][
            "code_version"]
        assert "ioc_collector_cycles_total" in requests.get(base + "/metrics", timeout=5).text
        healthy = ioc_health("collector", "--url", base)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert healthy.stdout.startswith("collector ok: ")

        shutil.rmtree(db_dir)
        answer = requests.get(base + "/readyz", timeout=10)
        assert answer.status_code == 503
        assert answer.json()["status"] == "not ready"
        assert any("database unreachable" in r and "ioc.db" in r
                   for r in answer.json()["reasons"])
        assert requests.get(base + "/healthz", timeout=5).status_code == 200  # still polling
        failed = ioc_health("collector", "--url", base)
        assert failed.returncode == 1
        [line] = failed.stdout.splitlines()
        assert line.startswith("collector FAILED: /readyz 503: database unreachable")
        assert ioc_health("collector", "--url", base, "--live").returncode == 0
    finally:
        assert stop(proc) == 0

    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    cycles = [r for r in records if r.get("event") == "collect_cycle"]
    assert len(cycles) >= 2
    assert [c["cycle"] for c in cycles] == list(range(1, len(cycles) + 1))
    assert all(c["ts"].endswith("+07:00") and c["level"] == "INFO" and
               c["logger"] == "ioc.collector" and c["duration_ms"] >= 0 for c in cycles)


def test_health_of_a_collector_that_is_not_running_fails_with_one_line():
    done = ioc_health("collector", "--url", f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert done.returncode == 1
    assert done.stdout.startswith("collector FAILED: no answer from http://127.0.0.1:")


def test_store_health_version_and_migrate_from_the_command_line(tmp_path):
    env = {"IOC_DB_URL": f"sqlite:///{tmp_path / 'ioc.db'}"}
    missing = ioc_health("store", env=env)
    assert missing.returncode == 1 and "no SQLite file at" in missing.stdout

    def store(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "collectors.cli", "store", *args],
                              cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                              text=True, timeout=60)

    assert store("version").returncode == 1
    migrated = store("migrate")
    assert migrated.returncode == 0, migrated.stderr
    result = json.loads(migrated.stdout)
    assert result["from"] == 0 and result["to"] == result["code_version"]
    version = store("version")
    assert version.returncode == 0 and json.loads(version.stdout)["ok"] is True
    ok = ioc_health("store", env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("store ok: database answers")


@pytest.mark.parametrize(("mode", "fault_status", "api"), [("production", 404, "off"),
                                                           ("demo", 201, "on")])
def test_simulate_runs_the_fault_api_only_in_demo_mode(tmp_path, mode, fault_status, api):
    port = free_port()
    log = tmp_path / "simulator.log"
    fmt = "json" if mode == "production" else "text"
    proc = spawn(["simulate", "--port", str(port)],
                 {"IOC_DEPLOYMENT__MODE": mode, "IOC_LOGGING__FORMAT": fmt}, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("/healthz", lambda: requests.get(base + "/healthz", timeout=2).ok, proc, log)
        assert requests.get(base + "/healthz", timeout=5).json()["faults_api"] is (api == "on")
        answer = requests.post(base + "/control/faults", timeout=5, json={
            "centres": "all", "fault": "hang", "duration_s": 5})
        assert answer.status_code == fault_status
        done = ioc_health("simulator", "--url", base)
        assert done.returncode == 0
        assert done.stdout.strip() == f"simulator ok: 40 centres listening, fault API {api}"
    finally:
        stop(proc)
    text = log.read_text()
    if mode == "production":  # JSON lines only, from the one logging set-up
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert {r["logger"] for r in records} == {"ioc.simulator"}
        assert any("production mode" in r["message"] for r in records)
        assert any(r["message"].endswith("fault API off") for r in records)
    else:
        assert f"simulator: 40 centres on http://127.0.0.1:{port} (seed 7), fault API on" in text


def test_dashboard_health_needs_streamlit_and_its_store(tmp_path):
    db = tmp_path / "ioc.db"
    Store.open(f"sqlite:///{db}").close()
    port = free_port()
    log = tmp_path / "dashboard.log"
    env = {"IOC_DB_URL": f"sqlite:///{db}", "IOC_DASHBOARD__AUTH": "none"}
    proc = spawn(["dashboard", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("/_stcore/health", lambda: requests.get(base + "/_stcore/health", timeout=2).ok,
                 proc, log, timeout_s=120)
        ok = ioc_health("dashboard", "--url", base, env=env)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert ok.stdout.startswith("dashboard ok: Streamlit answers; database answers")
        db.unlink()
        failed = ioc_health("dashboard", "--url", base, env=env)
        assert failed.returncode == 1
        assert failed.stdout.startswith("dashboard FAILED: Streamlit answers, but its store "
                                        "does not: database unreachable")
    finally:
        stop(proc)


def test_health_without_a_target_probes_collector_dashboard_and_store(tmp_path):
    env = {"IOC_DB_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "IOC_COLLECTOR__METRICS_PORT": str(free_port()),
           "IOC_DASHBOARD__PORT": str(free_port())}
    done = ioc_health("--timeout", "2", env=env)
    assert done.returncode == 1
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == [
        "collector FAILED", "dashboard FAILED", "store FAILED"]

