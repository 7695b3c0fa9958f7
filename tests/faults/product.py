"""The running product for the fault suite: configuration files, processes and the receiver.

`Product(tmp, db_url, knobs)` writes an `ioc.yaml` and an `alerts.yaml` (rules that can
fire within seconds, one webhook channel to a loopback `HttpSink`) into `tmp`, and starts
`ioc simulate`, `ioc collect` and `ioc dashboard` as real child processes reading them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from collectors.simulator.background import free_port
from config.loader import CONFIG_DIR
from config.settings import DeploymentSettings
from metrics.alerts.sink import HttpSink
from tests.faults.checks import events
from tests.faults.procs import Proc, http_ok, wait_until


@dataclass(frozen=True)
class Knobs:
    """Short intervals so that a minute holds many cycles, outages and recoveries."""

    interval_s: float = 2.0
    timeout_s: float = 0.5
    connect_timeout_s: float = 0.3
    refresh_s: float = 10.0  # the dashboard's refresh: "back within one refresh"
    stale_after_s: float = 6.0  # at most: the rules' default is two intervals (4 s)
    spool_cycles: float = 3.5  # spool_max_bytes = this many cycles of the fleet
    cycle_bytes: int = 105_000  # one Huế cycle spooled (measured: 100–110 KB)


def alert_rules(sink_url: str) -> dict[str, Any]:
    """Rules that fire within a few cycles, for every kind of injected fault."""
    return {
        "rules": [
            {"name": "centre_down", "condition": {"kind": "failed_polls", "count": 2,
                                                  "recover_after": 1, "window_s": 60},
             "severity": "critical", "labels": {"team": "tech"},
             "summary": "{centre_name} không phản hồi: {cause}"},
            {"name": "otp_p95_high", "condition": {"kind": "threshold",
                                                   "metric": "otp_p95_seconds", "op": ">",
                                                   "value": 30, "window_s": 30},
             "severity": "warning", "labels": {"team": "ioc"},
             "summary": "{centre_name}: mã OTP đến chậm (p95 {value:.0f} s)"},
            {"name": "sync_stalled", "condition": {"kind": "growth",
                                                   "metric": "sync_lag_seconds",
                                                   "window_s": 8, "min_increase": 6},
             "severity": "warning", "labels": {"team": "ioc"},
             "summary": "{centre_name}: đồng bộ Cổng DVC ngừng (trễ tăng {increase:.0f} s)"},
        ],
        "channels": {"hook": {"type": "webhook", "url": sink_url, "timeout_s": 2,
                              "backoff_s": 0.2, "backoff_max_s": 1}},
        "routes": [{"channels": ["hook"]}],
        "grouping": {"wait_s": 0, "interval_s": 0, "repeat_s": 86_400},
        "delivery": {"lease_s": 5},
    }


class Product:
    """`collector` settings override the knobs' (e.g. workers, timeouts, spool);
    `collector_db_url` is where the collector alone finds the database (e.g. through a
    proxy); without `dashboard` only the simulator and the collector run; `rules` makes the
    alerts.yaml from the receiver's URL."""

    def __init__(self, tmp: Path, db_url: str, knobs: Knobs = Knobs(), *,
                 collector: dict[str, Any] | None = None, collector_db_url: str | None = None,
                 dashboard: bool = True,
                 rules: Callable[[str], dict[str, Any]] = alert_rules):
        self.tmp, self.db_url, self.knobs = tmp, db_url, knobs
        self.with_dashboard = dashboard
        self.sim_port, self.dash_port = free_port(), free_port()
        self.sink = HttpSink().start()
        self.spool_dir = tmp / "spool"
        self.config = tmp / "ioc.yaml"
        settings = {
            "deployment": {"name": "IOC faults", "scope": "province", "province": 46,
                           "site_file": str(CONFIG_DIR / "sites" / "hue.yaml"),
                           # a deployment with a mode serves the fault API only in demo
                           **({"mode": "demo"} if "mode" in DeploymentSettings.model_fields
                              else {})},
            "collector": {"interval_s": knobs.interval_s, "timeout_s": knobs.timeout_s,
                          "connect_timeout_s": knobs.connect_timeout_s, "workers": 1,
                          "concurrency": 64, "metrics_port": 0,
                          "spool_dir": str(self.spool_dir),
                          "spool_max_bytes": int(knobs.spool_cycles * knobs.cycle_bytes),
                          **(collector or {})},
            "simulator": {"port": self.sim_port, "natural_faults": False},
            # Stale after two intervals (no staleness rule below: the rules' default).
            "dashboard": {"refresh_s": knobs.refresh_s, "auth": "none", "role": "ioc_staff"},
        }
        self.config.write_text(yaml.safe_dump(settings, allow_unicode=True))
        (tmp / "alerts.yaml").write_text(yaml.safe_dump(rules(self.sink.url),
                                                        allow_unicode=True))
        env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        env |= {"IOC_CONFIG": str(self.config), "IOC_DB_URL": db_url, "PYTHONUNBUFFERED": "1"}
        self.simulator = Proc("simulator", ["simulate", "--port", str(self.sim_port)], env,
                              tmp / "simulator.log")
        self.collector = Proc("collector", ["collect"],
                              {**env, "IOC_DB_URL": collector_db_url or db_url},
                              tmp / "collector.log")
        self.dashboard = Proc("dashboard", ["dashboard", "--port", str(self.dash_port)], env,
                              tmp / "dashboard.log")

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}/control/faults"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dash_port}/"

    @property
    def health_url(self) -> str:
        return f"{self.dashboard_url}_stcore/health"

    def start(self) -> None:
        self.simulator.start()
        wait_until("the simulator", lambda: http_ok(
            f"http://127.0.0.1:{self.sim_port}/healthz"), 30, self.simulator)
        self.collector.start()
        if self.with_dashboard:
            self.dashboard.start()
            wait_until("the dashboard's health", lambda: http_ok(self.health_url), 60,
                       self.dashboard)
        wait_until("two written cycles", lambda: sum(
            "spooled" not in c for c in self.cycles()) >= 2, 60, self.collector)

    def inject(self, centres: list[str], fault: str, duration_s: float,
               **params: float) -> None:
        r = requests.post(self.control, json={"centres": centres, "fault": fault,
                                              "duration_s": duration_s, "params": params},
                          timeout=5)
        r.raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self.control, timeout=5).raise_for_status()

    def cycles(self) -> list[dict[str, Any]]:
        """The collector's cycle log lines, across its restarts."""
        return events(self.collector.text(), "collect_cycle")

    def stop(self) -> None:
        for p in (self.dashboard, self.collector, self.simulator):
            p.stop()
        self.sink.stop()


def settle(product: Product, timeout_s: float = 60) -> None:
    """Collector up, spool empty, the last two cycles written straight to the store."""
    def quiet() -> bool:
        last = product.cycles()[-2:]
        return (len(last) == 2 and not list(product.spool_dir.glob("cycle-*"))
                and all(not {"spooled", "replayed", "dropped"} & c.keys() for c in last))

    wait_until("the collector to settle", quiet, timeout_s, product.collector)
