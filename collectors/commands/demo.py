"""`ioc demo`: simulator, collector, dashboard and an alert inbox, with a week of history.

Each child runs in its own session (process group), so stopping the demo
(Ctrl-C or SIGTERM) stops every process it started, grandchildren included,
first politely (SIGTERM) and then, after a grace period, for good (SIGKILL).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from config.settings import Settings

GRACE_S = 10.0
QUICK_DAYS = 2 / 24  # history written before the product starts: the wall's recent hours
INBOX_HOST = "127.0.0.1"
INBOX_PORT = 8710
INBOX_FILE = Path("data/demo-inbox.jsonl")  # beside the demo's SQLite file
INBOX_HOOK = "/hook"  # where the inbox (python -m dashboard.inbox) takes webhook notices
KIOSK_LABEL = "ioc demo: wall"


class Child:
    """One `ioc` sub-command running as a child process in its own process group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str],
                 module: str = "collectors.cli"):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], env=env,
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


def child_env(config_file: str | None, sim_port: int, metrics_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["IOC_SIMULATOR__PORT"] = str(sim_port)
    env["IOC_COLLECTOR__METRICS_PORT"] = str(metrics_port)
    if config_file:
        env["IOC_CONFIG"] = str(Path(config_file).resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def port_problem(ports: list[tuple[str, str, str, int]]) -> str | None:
    """One line saying which of the (what, option, host, port) cannot be listened on (taken
    by another program, or given twice), or None when every one is free."""
    seen: dict[int, str] = {}
    for what, option, host, port in ports:
        if port == 0:
            continue
        if port in seen:
            return (f"ioc demo: port {port} is given both to the {seen[port]} and to the "
                    f"{what}; give each its own ({option})")
        seen[port] = what
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError as exc:
                return (f"ioc demo: port {port} for the {what} is not free on {host or '*'} "
                        f"({exc.strerror or exc}); choose another with {option}")
    return None


def webhook_env(config_file: str | None, hook_url: str) -> tuple[dict[str, str], list[str]]:
    """(environment, names): every webhook channel of the alert configuration whose URL
    variable is not set is pointed at the demo's inbox; the names of those channels."""
    from config.alerts import alerts_path, load_alerts
    from config.channels import WebhookChannel

    env: dict[str, str] = {}
    names = []
    for name, channel in load_alerts(alerts_path(config_file)).channels.items():
        if isinstance(channel, WebhookChannel) and channel.url_env \
                and not os.environ.get(channel.url_env, "").strip():
            env[channel.url_env] = hook_url
            names.append(name)
    return env, names


def history_pending(settings: Settings, start: float, days: float, quick: float,
                    step_s: float = 300.0) -> None:
    """Tell the pages (and the alert engine) that the week before the recent hours is yet
    to come, until the live backfill, started once the wall is up, says how far it is."""
    from collectors.commands.backfill import steps
    from metrics.store import Store, history_fill

    end = math.floor(start / step_s) * step_s
    week, recent = steps(end, days, step_s), steps(end, quick, step_s)
    with Store.open(settings.store.url) as store:
        history_fill.record(store.engine, history_fill.Fill(
            int(week[0] * 1000), int(end * 1000), int(recent[0] * 1000), len(recent),
            len(week), int(time.time() * 1000)))


def kiosk_link(settings: Settings, base: str) -> str:
    """A new kiosk link for the demo's wall (earlier demo links are revoked: a token is shown
    once, so a new run makes a new one)."""
    from config.scope import Scope
    from metrics.access import kiosk
    from metrics.store import Store

    scope = Scope.parse("national" if settings.deployment.scope == "national"
                        else f"province:{settings.deployment.province or 46}")
    with Store.open(settings.store.url) as store:
        for r in kiosk.links(store).iter_rows(named=True):
            if r["label"] == KIOSK_LABEL and r["revoked_at"] is None:
                kiosk.revoke(store, r["id"], actor="ioc demo")
        _, token = kiosk.create(store, label=KIOSK_LABEL, scope=scope, actor="ioc demo")
    return f"{base}?kiosk={token}"


def run_demo(settings: Settings, *, config_file: str | None, port: int | None = None,
             sim_port: int | None = None, metrics_port: int | None = None,
             inbox_port: int = INBOX_PORT, days: float = 7.0) -> int:
    """Run the whole product until interrupted; returns the exit code.

    The recent hours of history are written first (a progress bar), the product is
    started, and the rest of the week is filled behind the live data, newest first, by an
    `ioc backfill --live` child; the pages say the history is loading until it is done.
    """
    from collectors.commands.backfill import backfill, scenario_env, scenario_link
    from collectors.commands.progress import Bar

    port = port or settings.dashboard.port
    sim_port = sim_port or settings.simulator.port
    metrics_port = settings.collector.metrics_port if metrics_port is None else metrics_port
    problem = port_problem([
        ("dashboard", "--port / make demo PORT=…", "", port),
        ("simulator", "--sim-port / make demo SIM_PORT=…", settings.simulator.host, sim_port),
        ("collector's /metrics", "--metrics-port / make demo METRICS_PORT=…",
         settings.collector.metrics_host, metrics_port),
        ("alert inbox", "--inbox-port / make demo INBOX_PORT=…", INBOX_HOST, inbox_port)])
    if problem:
        print(problem, file=sys.stderr)
        return 2
    settings = settings.model_copy(update={
        "simulator": settings.simulator.model_copy(update={"port": sim_port}),
        "collector": settings.collector.model_copy(update={"metrics_port": metrics_port})})
    print(f"ioc demo: {settings.deployment.name}, store {settings.store.url}", flush=True)
    start = time.time()
    quick = min(days, QUICK_DAYS)
    if quick > 0:
        bar = Bar("ioc demo: recent history")
        summary = backfill(settings, days=quick, step_s=300, config_file=config_file,
                           now=start, progress=bar)
        bar.close()
        print(f"ioc demo: wrote the last {quick * 24:g} h of history "
              f"({summary['samples']:,} samples) in {summary['seconds']:.1f} s", flush=True)
    if days > quick:
        history_pending(settings, start, days, quick)

    from collectors.commands import demo_users

    accounts_env, sign_in = demo_users.prepare(settings, config_file)
    base = f"http://localhost:{port}/"
    link = kiosk_link(settings, base)
    inbox_url = f"http://{INBOX_HOST}:{inbox_port}/"
    hooks_env, hooked = webhook_env(config_file, inbox_url.rstrip("/") + INBOX_HOOK)
    env = {**accounts_env, **hooks_env, **child_env(config_file, sim_port, metrics_port)}
    env.update(scenario_env(settings))
    children: list[Child] = []
    history: Child | None = None
    history_started = 0.0
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        inbox = Child("inbox", ["--host", INBOX_HOST, "--port", str(inbox_port), "--file",
                                str(INBOX_FILE), "--tz", settings.dashboard.timezone], env,
                      module="dashboard.inbox")
        children.append(inbox)
        if not wait_http(inbox_url + "healthz", 30, inbox):
            print(f"ioc demo: the alert inbox did not come up at {inbox_url}", file=sys.stderr)
            return 1
        sim = Child("simulator", ["simulate"], env)
        children.append(sim)
        sim_url = f"http://{settings.simulator.host}:{sim_port}/healthz"
        if not wait_http(sim_url, 60, sim):
            print(f"ioc demo: the simulator did not come up at {sim_url}", file=sys.stderr)
            return 1
        children.append(Child("collector", ["collect"], env))
        dashboard = Child("dashboard", ["dashboard", "--port", str(port)], env)
        children.append(dashboard)
        print(f"ioc demo: dashboard on {base}  (Ctrl-C stops everything)", flush=True)
        print("\n".join(sign_in), flush=True)
        if settings.simulator.scenario:
            print(f"ioc demo: scenario {settings.simulator.scenario}: its moment is replayed at "
                  f"http://localhost:{port}{scenario_link(settings)}", flush=True)
        print(f"ioc demo: alert notices go to the inbox {inbox_url} "
              f"(channel {', '.join(hooked) or 'none'}; kept in {INBOX_FILE})", flush=True)
        announced = False
        while not stopping:
            if not announced and wait_http(base + "_stcore/health", 0.5, dashboard):
                print(f"ioc demo: the wall is up; kiosk link (no sign-in): {link}", flush=True)
                announced = True
                if days > quick:  # the rest of the week, once the wall no longer waits for it
                    history = Child("history", ["backfill", "--days", f"{days:g}", "--until",
                                                f"{start:.3f}", "--live"], env)
                    history_started = time.monotonic()
            for c in children:
                if not c.alive():
                    print(f"ioc demo: the {c.name} stopped (exit {c.proc.returncode}); "
                          "stopping the rest", file=sys.stderr)
                    return 1
            if history is not None and not history.alive():
                code = history.proc.returncode
                if code == 0:
                    print(f"ioc demo: backfilled {days:g} days of history in "
                          f"{time.monotonic() - history_started:.0f} s", flush=True)
                else:
                    print(f"ioc demo: the history backfill stopped (exit {code}); the pages "
                          "say the history is incomplete", file=sys.stderr)
                history = None
            time.sleep(0.5)
        print("ioc demo: stopping", flush=True)
        return 0
    finally:
        stop_all(children + ([history] if history is not None else []))
        for s, h in previous.items():
            signal.signal(s, h)
