"""`ioc demo`: backfill a week of history, then run simulator, collector and dashboard.

Each child runs in its own session (process group), so stopping the demo
(Ctrl-C or SIGTERM) stops every process it started, grandchildren included,
first politely (SIGTERM) and then, after a grace period, for good (SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from config.settings import Settings

GRACE_S = 10.0


class Child:
    """One `ioc` sub-command running as a child process in its own process group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", *args], env=env,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the child's whole process group (it may outlive its leader)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def stop_all(children: list[Child], grace_s: float = GRACE_S) -> None:
    """SIGTERM every child's group, wait up to `grace_s`, then SIGKILL what is left."""
    for c in reversed(children):
        c.stop()
    deadline = time.monotonic() + grace_s
    for c in children:
        try:
            c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            c.stop(signal.SIGKILL)
            c.proc.wait()
        # The group may still hold grandchildren after its leader exits.
        c.stop(signal.SIGKILL)


def wait_http(url: str, timeout_s: float, child: Child) -> bool:
    """True once `url` answers 200; False if the child dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            return False
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def child_env(config_file: str | None, sim_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["IOC_SIMULATOR__PORT"] = str(sim_port)
    if config_file:
        env["IOC_CONFIG"] = str(Path(config_file).resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_demo(settings: Settings, *, config_file: str | None, port: int, sim_port: int,
             days: float) -> int:
    """Run the whole product until interrupted; returns the exit code."""
    from collectors.backfill import backfill, scenario_env, scenario_link

    settings = settings.model_copy(update={
        "simulator": settings.simulator.model_copy(update={"port": sim_port})})
    print(f"ioc demo: {settings.deployment.name}, store {settings.store.url}", flush=True)
    if days > 0:
        started = time.monotonic()
        summary = backfill(settings, days=days, step_s=300, config_file=config_file)
        print(f"ioc demo: backfilled {days:g} days of history "
              f"({summary['samples']:,} samples) in {time.monotonic() - started:.1f} s", flush=True)

    from collectors import demo_users

    accounts_env, sign_in = demo_users.prepare(settings, config_file)
    env = {**accounts_env, **child_env(config_file, sim_port)}  # the caller's own env wins
    env.update(scenario_env(settings))
    children: list[Child] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        sim = Child("simulator", ["simulate"], env)
        children.append(sim)
        sim_url = f"http://{settings.simulator.host}:{sim_port}/healthz"
        if not wait_http(sim_url, 60, sim):
            print(f"ioc demo: the simulator did not come up at {sim_url}", file=sys.stderr)
            return 1
        children.append(Child("collector", ["collect"], env))
        children.append(Child("dashboard", ["dashboard", "--port", str(port)], env))
        print(f"ioc demo: dashboard on http://localhost:{port}  (Ctrl-C stops everything)",
              flush=True)
        print("\n".join(sign_in), flush=True)
        if settings.simulator.scenario:
            print(f"ioc demo: scenario {settings.simulator.scenario}: its moment is replayed at "
                  f"http://localhost:{port}{scenario_link(settings)}", flush=True)
        while not stopping:
            for c in children:
                if not c.alive():
                    print(f"ioc demo: the {c.name} stopped (exit {c.proc.returncode}); "
                          "stopping the rest", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("ioc demo: stopping", flush=True)
        return 0
    finally:
        stop_all(children)
        for s, h in previous.items():
            signal.signal(s, h)
