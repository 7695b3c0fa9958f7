"""`ioc bench alerts`: how fast a centre going dark becomes a notification, and whether a
one-poll blip ever does.

Starts the simulator (a child process whose clock starts at 10:00 on 3 July 2025, a
moment when all of Huế's centres answer), a local HTTP sink as the webhook receiver,
and the real collector path in this process — scheduler (worker processes, confirmation
re-probe) → store (a scratch SQLite) → alert engine with the shipped rules → outbox →
dispatcher — at a 5 s interval. Then:

* outages: `hang` or `refuse` injected into one centre at a random phase of the poll
  cycle; latency = injection → the sink receiving the `centre_down` firing notice;
* blips: a 0.3 s `http_5xx` fault injected just before a poll starts, so the first
  attempt fails and the re-probe answers; any `centre_down` notice for it is a false alarm.

Prints min/median/max latency, the budget (2 intervals + 1 s) and the false alarms.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from collectors.bench import SimulatorProcess, free_port
from collectors.poll import PollOptions
from collectors.scheduler import Scheduler
from collectors.service import summarise
from collectors.targets import build_targets
from config.alerts import load_alerts
from config.registry import fleet as fleet_centres
from config.settings import Settings
from metrics.alerts.engine import AlertEngine
from metrics.alerts.sink import HttpSink
from metrics.store import Store

BRIEFING = 1_751_511_600.0  # 10:00 on 3 July 2025 in Asia/Ho_Chi_Minh
INTERVAL_S = 5.0
SEED = 4766


def serve_shifted(fleet: str, port: int, start_at: float) -> None:
    """Serve `fleet` with a clock that starts at `start_at` and runs at real speed."""
    from collectors.simulator.background import BackgroundSimulator

    origin = time.time()
    sim = BackgroundSimulator(fleet_centres(fleet), port=port,
                              clock=lambda: start_at + time.time() - origin).start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


class ShiftedSimulator(SimulatorProcess):
    """SimulatorProcess, but serving from a clock that starts at the Huế briefing."""

    def __init__(self, fleet: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = (f"from metrics.alerts.bench import serve_shifted; "
                f"serve_shifted({fleet!r}, {self.port}, {BRIEFING})")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)


class Loop:
    """The collector's cycle on a fixed grid in a thread: poll → write → engine."""

    def __init__(self, scheduler: Scheduler, store: Store, engine: AlertEngine):
        self.scheduler, self.store, self.engine = scheduler, store, engine
        self.stop = threading.Event()
        self.origin = time.monotonic()
        self.cycles = 0
        self.thread = threading.Thread(target=self._run, name="bench-collect", daemon=True)

    def next_tick(self) -> float:
        k = int((time.monotonic() - self.origin) // INTERVAL_S) + 1
        return self.origin + k * INTERVAL_S

    def _run(self) -> None:
        tick = self.origin
        while not self.stop.is_set():
            cycle = self.scheduler.poll(tick + INTERVAL_S)
            written = time.monotonic()
            samples = self.store.write(cycle.results)
            self.engine.after_cycle(cycle, summarise(cycle.results, samples, cycle.poll_s),
                                    time.monotonic() - written)
            self.cycles += 1
            tick = self.next_tick()
            self.stop.wait(max(0.0, tick - time.monotonic()))


def _firing_for(sink: HttpSink, fingerprint: str, after: float) -> float | None:
    for got in sink.snapshot():
        if got.at < after or not isinstance(got.body, dict):
            continue
        if got.body.get("status") != "firing":
            continue
        for alert in got.body.get("alerts", []):
            labels = alert.get("labels", {})
            if (labels.get("alertname") == "centre_down"
                    and fingerprint.endswith("/c" + labels.get("centre", "?"))
                    and alert.get("status") == "firing"):
                return got.at
    return None


def run_alerts_bench(args: Any, settings: Settings) -> dict[str, Any]:
    """Inject outages and blips; the detection figures as a JSON-able dict."""
    fleet = getattr(args, "fleet", "hue") or "hue"
    outages = max(3, int(getattr(args, "cycles", 5) or 5))
    rng = random.Random(SEED)
    centres = fleet_centres(fleet)
    sim = ShiftedSimulator(fleet)
    try:
        sim.wait_ready()
        run = settings.model_copy(update={
            "simulator": settings.simulator.model_copy(update={"port": sim.port}),
            "collector": settings.collector.model_copy(update={
                "interval_s": INTERVAL_S, "timeout_s": 1.0, "connect_timeout_s": 0.5,
                "workers": 1, "concurrency": 64})})
        with (HttpSink() as sink, tempfile.TemporaryDirectory() as tmp,
              Store.open(f"sqlite:///{Path(tmp) / 'alerts-bench.db'}") as store):
            shipped = load_alerts(interval_s=INTERVAL_S)
            cfg = shipped.model_copy(update={
                "channels": {"bench": shipped.channels.get("ioc-webhook").model_copy(
                    update={"url": sink.url, "url_env": None})},
                "routes": (shipped.routes[0].model_copy(update={"channels": ("bench",)}),)})
            store.sync_centres(centres)
            c = run.collector
            with (Scheduler(build_targets(run, centres), PollOptions.from_settings(c),
                            workers=c.workers, concurrency=c.concurrency) as scheduler,
                  AlertEngine(store, cfg) as engine):
                loop = Loop(scheduler, store, engine)
                loop.thread.start()
                time.sleep(3 * INTERVAL_S)  # warm-up: every centre ok at least twice
                result = _measure(sim, sink, loop, centres, outages, rng)
                loop.stop.set()
                loop.thread.join(30)
                result["cycles"] = loop.cycles
    finally:
        sim.stop()
    return {"fleet": fleet, "centres": len(centres), "interval_s": INTERVAL_S,
            "timeout_s": 1.0, **result}


def _measure(sim: SimulatorProcess, sink: HttpSink, loop: Loop, centres: list, outages: int,
             rng: random.Random) -> dict[str, Any]:
    ids = [c.id for c in centres]
    rng.shuffle(ids)
    victims, blipped = ids[:outages], ids[outages:2 * outages]
    latencies: list[float] = []
    missed: list[str] = []
    for k, cid in enumerate(victims):
        time.sleep(rng.uniform(0, INTERVAL_S))  # a random phase of the poll cycle
        fault = "hang" if k % 2 == 0 else "refuse"
        injected = time.time()
        sim.inject([cid], fault, duration_s=15)
        deadline = time.monotonic() + 4 * INTERVAL_S
        arrived = None
        while arrived is None and time.monotonic() < deadline:
            time.sleep(0.05)
            arrived = _firing_for(sink, f"centre_down/c{cid}", injected)
        if arrived is None:
            missed.append(cid)
        else:
            latencies.append(arrived - injected)
        time.sleep(max(0.0, injected + 15 + 2 * INTERVAL_S - time.time()))  # back and resolved
    blip_start = time.time()
    for cid in blipped:
        wait = loop.next_tick() - time.monotonic() - 0.05
        time.sleep(max(0.0, wait))
        sim.inject([cid], "http_5xx", duration_s=0.3)
        time.sleep(INTERVAL_S)
    time.sleep(3 * INTERVAL_S)  # time for any (false) notice to arrive
    false_alarms = [cid for cid in blipped if _firing_for(sink, f"centre_down/c{cid}",
                                                           blip_start)]
    polls = loop.store.polls(datetime.fromtimestamp(blip_start, UTC), datetime.now(UTC),
                             blipped)
    # An ok poll that took longer than the re-probe pause: its first attempt failed.
    reprobed = polls.filter(pl.col("ok") & (pl.col("duration_s") >= 0.2)).height
    budget = 2 * INTERVAL_S + 1
    return {
        "outages": len(victims),
        "detected": len(latencies),
        "missed": missed,
        "latency_s": ({"min": round(min(latencies), 3),
                       "median": round(statistics.median(latencies), 3),
                       "max": round(max(latencies), 3)} if latencies else None),
        "budget_s": budget,
        "within_budget": sum(lat <= budget for lat in latencies),
        "blips": len(blipped),
        "blips_reprobed": reprobed,
        "false_alarms": len(false_alarms),
        "messages_received": len(sink.snapshot()),
    }
