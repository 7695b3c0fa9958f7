"""`ioc bench collect`: the collector against a simulated fleet on this machine.

Starts the simulator as a child process on a free port, optionally makes a
fraction of the centres hang (control API), then runs the real scheduler and
store (a temporary SQLite file) for a warm-up cycle and `cycles` measured
cycles, back to back. Reports the fleet size, cycle seconds, polls and samples
per second, and the CPU seconds per cycle of the collector (parent and
workers) and of the simulator (which shares the machine's cores).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds
from collectors.polling.poll import PollOptions
from collectors.polling.scheduler import Scheduler
from collectors.polling.targets import build_targets
from collectors.service import summarise
from collectors.simulator.background import free_port
from config.registry import fleet as fleet_centres
from config.settings import Settings

START_TIMEOUT_S = 180.0
HANG_SEED = 766


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def _request(url: str, data: dict | None = None, timeout: float = 30.0) -> Any:
    req = urllib.request.Request(
        url,
        data=json.dumps(data).encode() if data else None,
        headers={"Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    with urllib.request.urlopen(req, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")


class SimulatorProcess:
    """The simulator serving `fleet` on a free port, as a child process."""

    def __init__(self, fleet: str, seed: int = 7):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "collectors.cli",
                "simulate",
                "--fleet",
                fleet,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--seed",
                str(seed),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the simulator stopped: {self.proc.stderr.read().decode()}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the simulator did not come up")

    def inject(self, centre_ids: list[str], fault: str, duration_s: float = 3600.0) -> None:
        _request(
            self.url + "/control/faults",
            {"centres": centre_ids, "fault": fault, "duration_s": duration_s},
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def bench_collect(
    fleet: str = "hue",
    cycles: int = 5,
    hang_fraction: float = 0.0,
    interval_s: float = 15.0,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run the collector against a simulated `fleet`; the figures as a JSON-able dict."""
    from metrics.store import Store

    base = settings or Settings()
    centres = fleet_centres(fleet)
    sim = SimulatorProcess(fleet)
    try:
        sim.wait_ready()
        hung: list[str] = []
        if hang_fraction > 0:
            # a fixed random sample: spread over provinces and over the workers' shards
            hung = sorted(
                random.Random(HANG_SEED).sample(
                    [c.id for c in centres], round(len(centres) * min(hang_fraction, 1.0))
                )
            )
            sim.inject(hung, "hang")
        run = base.model_copy(
            update={"simulator": base.simulator.model_copy(update={"port": sim.port})}
        )
        targets = build_targets(run, centres)
        c = run.collector
        with (
            tempfile.TemporaryDirectory() as tmp,
            Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}") as store,
        ):
            store.sync_centres(centres)
            with Scheduler(
                targets, PollOptions.from_settings(c), workers=c.workers, concurrency=c.concurrency
            ) as scheduler:
                rows = [_cycle(scheduler, store, sim, interval_s) for _ in range(cycles + 1)]
        first, measured = rows[0], rows[1:] or rows
    finally:
        sim.stop()
    cycle_s = [r["poll_s"] for r in measured]
    polls = sum(r["summary"]["centres"] for r in measured)
    samples = sum(r["summary"]["samples"] for r in measured)
    return {
        "fleet": fleet,
        "centres": len(centres),
        "hung": len(hung),
        "cycles": len(measured),
        "workers": c.workers,
        "concurrency": c.concurrency,
        "timeout_s": c.timeout_s,
        "first_cycle_s": round(first["poll_s"], 3),
        "cycle_s": _spread(cycle_s),
        "polls_per_s": round(polls / sum(cycle_s), 1),
        "write_s": _spread([r["write_s"] for r in measured]),
        "samples_written_per_s": round(samples / sum(r["write_s"] for r in measured), 1),
        "cpu_s_per_cycle": {
            "collector_parent": round(statistics.mean(r["parent_cpu_s"] for r in measured), 3),
            "collector_workers": round(statistics.mean(r["worker_cpu_s"] for r in measured), 3),
            "store_write": round(statistics.mean(r["write_cpu_s"] for r in measured), 3),
            "simulator": round(statistics.mean(r["sim_cpu_s"] for r in measured), 3),
        },
        "last_cycle": measured[-1]["summary"],
    }


def _cycle(scheduler: Scheduler, store, sim: SimulatorProcess, interval_s: float) -> dict:
    cpu, sim_cpu = own_cpu_s(), cpu_seconds(sim.proc.pid)
    started = time.monotonic()
    cycle = scheduler.poll(started + interval_s)
    written_at, polled_cpu = time.monotonic(), own_cpu_s()
    samples = store.write(cycle.results)
    write_s = time.monotonic() - written_at
    return {
        "poll_s": cycle.poll_s,
        "write_s": write_s,
        "parent_cpu_s": polled_cpu - cpu,
        "write_cpu_s": own_cpu_s() - polled_cpu,
        "worker_cpu_s": cycle.worker_cpu_s,
        "sim_cpu_s": cpu_seconds(sim.proc.pid) - sim_cpu,
        "summary": summarise(cycle.results, samples, cycle.poll_s),
    }
