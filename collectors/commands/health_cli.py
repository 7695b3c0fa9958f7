"""`ioc health [collector|dashboard|simulator|store]`: probe a process, exit 0 or 1.

One line per target: `<target> ok: <reason>` or `<target> FAILED: <reason>`, so it fits a
systemd `ExecStartPost=`/timer, a cron job or a monitoring agent's exec check. Without a
target it probes the production processes: collector, dashboard and store.

- collector: `GET /healthz` and `GET /readyz` on `collector.metrics_host:metrics_port`
  (with `--live`, /healthz only);
- dashboard: Streamlit's `GET /_stcore/health`, then the store the dashboard reads;
- simulator: `GET /healthz` on `simulator.host:port`;
- store: one connection to `store.url`: it answers, at this code's schema version.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

import requests

from config.settings import Settings
from metrics.store.check import check_store

TARGETS = ("collector", "dashboard", "simulator", "store")
DEFAULT_TARGETS = ("collector", "dashboard", "store")


@dataclass(frozen=True, slots=True)
class Outcome:
    target: str
    ok: bool
    reason: str

    def line(self) -> str:
        return f"{self.target} {'ok' if self.ok else 'FAILED'}: {self.reason}"


def _loopback(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)


def default_url(target: str, settings: Settings) -> str:
    c, s, d = settings.collector, settings.simulator, settings.dashboard
    if target == "collector":
        return f"http://{_loopback(c.metrics_host)}:{c.metrics_port}"
    if target == "dashboard":
        return f"http://127.0.0.1:{d.port}"
    return f"http://{_loopback(s.host)}:{s.port}"


def _get(url: str, timeout_s: float) -> tuple[int | None, str]:
    """(status, body text) or (None, why it did not answer)."""
    try:
        answer = requests.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        return None, f"no answer from {url} ({type(exc).__name__})"
    return answer.status_code, answer.text


def _json_reasons(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    reasons = data.get("reasons") if isinstance(data, dict) else None
    return "; ".join(map(str, reasons)) if reasons else body.strip()[:200]


def probe_collector(base: str, timeout_s: float, live_only: bool = False) -> tuple[bool, str]:
    paths = ("/healthz",) if live_only else ("/healthz", "/readyz")
    said = []
    for path in paths:
        status, body = _get(base + path, timeout_s)
        if status is None:
            return False, body
        if status != 200:
            return False, f"{path} {status}: {_json_reasons(body)}"
        said.append(_json_reasons(body))
    return True, "; ".join(said)


def probe_dashboard(base: str, timeout_s: float, store_url: str) -> tuple[bool, str]:
    status, body = _get(base + "/_stcore/health", timeout_s)
    if status is None:
        return False, body
    if status != 200:
        return False, f"/_stcore/health {status}: {body.strip()[:200]}"
    store = check_store(store_url, timeout_s)
    if not store.ok:
        return False, f"Streamlit answers, but its store does not: {store.reason}"
    return True, f"Streamlit answers; {store.reason}"


def probe_simulator(base: str, timeout_s: float) -> tuple[bool, str]:
    status, body = _get(base + "/healthz", timeout_s)
    if status is None:
        return False, body
    if status != 200:
        return False, f"/healthz {status}: {body.strip()[:200]}"
    try:
        data = json.loads(body)
        return True, (f"{data['centres']} centres listening, fault API "
                      f"{'on' if data['faults_api'] else 'off'}")
    except (ValueError, KeyError, TypeError):
        return True, body.strip()[:200]


def probe(target: str, settings: Settings, url: str | None, timeout_s: float,
          live_only: bool = False) -> Outcome:
    """Probe one target; never raises for a process that is down."""
    base = (url or default_url(target, settings)).rstrip("/")
    checks: dict[str, Callable[[], tuple[bool, str]]] = {
        "collector": lambda: probe_collector(base, timeout_s, live_only),
        "dashboard": lambda: probe_dashboard(base, timeout_s, settings.store.url),
        "simulator": lambda: probe_simulator(base, timeout_s),
        "store": lambda: _store(settings.store.url, timeout_s),
    }
    if target == "collector" and settings.collector.metrics_port == 0 and url is None:
        return Outcome(target, False, "collector.metrics_port is 0: no health endpoint to ask")
    ok, reason = checks[target]()
    return Outcome(target, ok, reason)


def _store(url: str, timeout_s: float) -> tuple[bool, str]:
    result = check_store(url, timeout_s)
    return result.ok, result.reason


def add_parser(sub: argparse._SubParsersAction) -> None:
    h = sub.add_parser("health", help="probe a process (exit 0 healthy, 1 not) for "
                       "systemd and monitoring")
    h.add_argument("target", nargs="?", choices=TARGETS,
                   help="default: collector, dashboard and store")
    h.add_argument("--url", help="the process's base URL (default: from the settings)")
    h.add_argument("--live", action="store_true",
                   help="collector: liveness only (/healthz), not readiness (/readyz)")
    h.add_argument("--timeout", type=float, default=5.0, help="seconds per request")


def run(args: argparse.Namespace, settings: Settings) -> int:
    targets = (args.target,) if args.target else DEFAULT_TARGETS
    if args.url and len(targets) > 1:
        print("ioc health: --url needs a target", file=sys.stderr)
        return 2
    outcomes = [probe(t, settings, args.url, args.timeout, args.live) for t in targets]
    for o in outcomes:
        print(o.line(), flush=True)
    return 0 if all(o.ok for o in outcomes) else 1
