"""`ioc bench alerts`: how fast an outage becomes a webhook notice, whether a blip ever does,
and what the collector costs — measured on the real processes.

Starts the simulator (a child process serving `--fleet` from a clock that starts at 10:00 on
3 July 2025, natural faults off) and `ioc collect` as a child process at `--interval`, with the
shipped alert rules (their one channel pointed at a loopback receiver, `HttpSink`) and a
scratch store (SQLite, or a scratch database on the PostgreSQL server of `--db-url`). Then:

* start-up: any notice about the collection itself (a centre silent or down, the collector
  silent) before the first injection is a false alarm of cause "start_up";
* outages: `--outages` centres per kind — refused, HTTP 503, hanging (no answer: the
  collector's timeout), soft-down (the centre's own system says it is down) — each in its own
  province where the fleet has enough, injected at random moments; latency = injection → the
  receiver getting that centre's `centre_down` firing notice;
* blips: `--blips` centres each dropping for 3 s (refused, hanging or 503) at random
  moments; a `centre_down` notice for one is a false alarm of cause "blip".

Meanwhile it scrapes the collector's /metrics, and reads the CPU time of the collector
(parent and workers), the simulator and a PostgreSQL server from /proc. It prints detection
latency (min/median/max per kind), false alarms by cause, polls and ticks skipped, cycle and
write times, CPU per poll and the collector's share of the cores. With `--against DIR` it first
runs the collector of another checkout (e.g. the previous release) through the same steps, for
a side-by-side comparison in one run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import yaml

from bench.procstat import cpu_seconds, descendants, named
from collectors.simulator.background import free_port
from config.registry import Centre
from config.registry import fleet as fleet_centres
from config.settings import Settings
from metrics.alerts.lifecycle import INCIDENT_LABEL
from metrics.alerts.sink import HttpSink
from metrics.store import dialects

BRIEFING = 1_751_511_600.0  # 10:00 on 3 July 2025 in Asia/Ho_Chi_Minh: every centre open
SEED = 4766
KINDS = ("refuse", "http_5xx", "hang", "soft_down")
BLIP_KINDS = ("refuse", "hang", "http_5xx")
BLIP_S = 3.0
COLLECTION_RULES = {"centre_down", "province_down", "centre_silent", "collector_silent"}
HERE = Path(__file__).resolve().parents[1]  # this checkout


def serve(fleet: str, port: int, start_at: float) -> None:
    """Serve `fleet` without natural faults from a clock that starts at `start_at`."""
    from collectors.simulator.background import BackgroundSimulator

    origin = time.time()
    sim = BackgroundSimulator(fleet_centres(fleet), port=port, natural_faults=False,
                              clock=lambda: start_at + time.time() - origin).start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3)}


@dataclass
class Plan:
    """What is injected when: outages (centre → kind) and blips, at offsets (s)."""

    outages: dict[str, str]
    blips: dict[str, str]
    at: list[tuple[float, str, str, float]] = field(default_factory=list)  # offset, id, kind, s


def plan(centres: list[Centre], per_kind: int, blips: int, span_s: float, outage_s: float,
         rng: random.Random) -> Plan:
    """Outage centres one per province while provinces last, blips among the rest."""
    by_province: dict[int, list[str]] = {}
    for c in centres:
        by_province.setdefault(c.province_code, []).append(c.id)
    for ids in by_province.values():
        rng.shuffle(ids)
    provinces = list(by_province)
    rng.shuffle(provinces)
    victims: list[str] = []
    while len(victims) < per_kind * len(KINDS):
        for p in provinces:
            if by_province[p] and len(victims) < per_kind * len(KINDS):
                victims.append(by_province[p].pop())
    rest = [cid for ids in by_province.values() for cid in ids]
    rng.shuffle(rest)
    out = Plan({cid: KINDS[i % len(KINDS)] for i, cid in enumerate(victims)},
               {cid: BLIP_KINDS[i % len(BLIP_KINDS)] for i, cid in enumerate(rest[:blips])})
    out.at = sorted([(rng.uniform(0, span_s), cid, kind, outage_s)
                     for cid, kind in out.outages.items()]
                    + [(rng.uniform(0, span_s), cid, kind, BLIP_S)
                       for cid, kind in out.blips.items()])
    return out


class Child:
    """A child process with its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path):
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def events(self, name: str) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                with suppress(ValueError):
                    obj = json.loads(line)
                    if obj.get("event") == name:
                        out.append(obj)
        return out


def wait_for(what: str, test, timeout_s: float, child: Child | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise RuntimeError(f"{what}: the process stopped; its log ends: "
                               f"{child.log.read_text(errors='replace')[-2000:]}")
        if test():
            return
        time.sleep(0.2)
    raise RuntimeError(f"waited {timeout_s:.0f} s for {what}")


@contextmanager
def scratch_database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A scratch SQLite file in `folder`, or a scratch database on the PostgreSQL server."""
    if not server_url or sa.engine.make_url(server_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    base = dialects.normalise_url(server_url)
    name = f"ioc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def deployment(fleet: str) -> dict[str, Any]:
    if fleet == "national":
        return {"scope": "national", "include_provincial_centre": True}
    code = 46 if fleet == "hue" else int(fleet.split(":")[1])
    return {"scope": "province", "province": code}  # the simulator's province fleets


def write_config(folder: Path, product: Path, fleet: str, interval_s: float, sim_port: int,
                 metrics_port: int, sink_url: str, spread_groups: bool) -> Path:
    """ioc.yaml and the product's own shipped alerts.yaml (its channel → the receiver)."""
    config = folder / "ioc.yaml"
    config.write_text(yaml.safe_dump({
        "deployment": {"name": "bench", **deployment(fleet)},
        "collector": {"interval_s": interval_s, "timeout_s": 3.0, "connect_timeout_s": 2.0,
                      "metrics_port": metrics_port, "spool_dir": str(folder / "spool")},
        "simulator": {"port": sim_port},
    }))
    alerts = yaml.safe_load((product / "config" / "alerts.yaml").read_text(encoding="utf-8"))
    alerts["channels"] = {"bench": {"type": "webhook", "url": sink_url}}
    alerts["routes"] = [{"channels": ["bench"]}]
    units = (alerts.get("assignments") or {}).get("units")
    if isinstance(units, dict):  # follow-up units notify through a channel too
        alerts["assignments"]["units"] = {k: {**u, "channel": "bench"} for k, u in units.items()}
    if not spread_groups:  # too few provinces for one outage each: no grouping delay
        alerts["grouping"] = {**alerts.get("grouping", {}), "interval_s": 0}
    # Each centre's notice its own: blips that alarm must not hide in a province incident.
    if isinstance(alerts.get("shared_cause"), dict):
        alerts["shared_cause"] = {**alerts["shared_cause"], "causes": {}}
    (folder / "alerts.yaml").write_text(yaml.safe_dump(alerts, allow_unicode=True))
    return config


def firing(sink: HttpSink, after: float) -> list[tuple[float, str, str]]:
    """(arrival, rule, centre) of every firing centre alert in notices received after
    `after` (a province incident grouping several centres is not a centre's alert)."""
    out = []
    for got in sink.snapshot():
        if got.at < after or not isinstance(got.body, dict):
            continue
        for alert in got.body.get("alerts", []):
            labels = alert.get("labels", {})
            if (alert.get("status", got.body.get("status")) == "firing"
                    and INCIDENT_LABEL not in labels):
                out.append((got.at, labels.get("alertname", ""), labels.get("centre", "")))
    return out


def scrape(url: str, until: threading.Event, every_s: float, out: list[float],
           sizes: list[int]) -> None:
    while not until.wait(every_s):
        started = time.perf_counter()
        with suppress(requests.RequestException):
            body = requests.get(url, timeout=10).content
            out.append(time.perf_counter() - started)
            sizes.append(len(body))


def run_once(product: Path, fleet: str, interval_s: float, per_kind: int, blips: int,
             server_url: str | None, seed: int) -> dict[str, Any]:
    """One product's collector through start-up, outages and blips; its figures."""
    centres = fleet_centres(fleet)
    rng = random.Random(seed)
    provinces = len({c.province_code for c in centres})
    outage_s = 3 * interval_s + 20  # long enough for any detection, then it ends
    span = max(6 * interval_s, 30.0)
    injected = plan(centres, per_kind, blips, span, outage_s, rng)
    sim_port, metrics_port = free_port(), free_port()
    env_base = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    with (tempfile.TemporaryDirectory(prefix="ioc-bench-alerts-") as tmp,
          HttpSink() as sink, scratch_database(server_url, Path(tmp)) as db_url):
        folder = Path(tmp)
        config = write_config(folder, product, fleet, interval_s, sim_port, metrics_port,
                              sink.url, provinces >= len(injected.outages))
        sim = Child([sys.executable, "-c", f"from bench.alerts import serve; "
                     f"serve({fleet!r}, {sim_port}, {BRIEFING})"],
                    {**env_base, "PYTHONPATH": str(HERE)}, folder / "simulator.log", HERE)
        collector: Child | None = None
        try:
            wait_for("the simulator", lambda: "ready" in (folder / "simulator.log").read_text(),
                     120, sim)
            started = time.time()
            collector = Child(
                [sys.executable, "-c", "import sys; from collectors.cli import main; "
                 "sys.exit(main())", "collect"],
                {**env_base, "PYTHONPATH": str(product), "IOC_CONFIG": str(config),
                 "IOC_DB_URL": db_url, "PYTHONUNBUFFERED": "1"},
                folder / "collector.log", product)
            wait_for("three cycles", lambda: len(collector.events("collect_cycle")) >= 3,
                     300, collector)
            time.sleep(interval_s)  # the start-up alarms, if any, have had time to arrive
            phase = time.time()
            start_up = [(rule, cid) for _, rule, cid in firing(sink, started)
                        if rule in COLLECTION_RULES]
            procs = [collector.proc.pid, *descendants(collector.proc.pid)]
            sims = [sim.proc.pid, *descendants(sim.proc.pid)]
            servers = named("postgres") if "postgresql" in db_url else []
            cpu0 = (sum(cpu_s(p) for p in procs), sum(cpu_s(p) for p in sims),
                    sum(cpu_s(p) for p in servers))
            scraped: list[float] = []
            sizes: list[int] = []
            stop = threading.Event()
            scraper = threading.Thread(target=scrape, daemon=True, args=(
                f"http://127.0.0.1:{metrics_port}/metrics", stop, interval_s / 2, scraped,
                sizes))
            scraper.start()
            when: dict[str, float] = {}
            for offset, cid, kind, duration in injected.at:
                time.sleep(max(0.0, phase + offset - time.time()))
                when.setdefault(cid, time.time())
                requests.post(f"http://127.0.0.1:{sim_port}/control/faults", timeout=10,
                              json={"centres": [cid], "fault": kind,
                                    "duration_s": duration}).raise_for_status()
            time.sleep(max(0.0, phase + span + outage_s + 2 * interval_s - time.time()))
            ended = time.time()
            cpu1 = (sum(cpu_s(p) for p in procs), sum(cpu_s(p) for p in sims),
                    sum(cpu_s(p) for p in servers))
            stop.set()
            scraper.join(15)
        finally:
            if collector is not None:
                collector.stop()
            sim.stop()
        cycles = [c for c in (collector.events("collect_cycle") if collector else [])
                  if phase * 1000 <= c.get("at", 0) * 1000 <= ended * 1000]
        polls = _polls(db_url, phase, ended)
        observed_blips = _failed(db_url, list(injected.blips), phase, ended)
        first_failed = _first_failed(db_url, phase, ended)
    notices = firing(sink, phase)
    latency: dict[str, list[float]] = {k: [] for k in KINDS}
    seen_after: list[float] = []  # injection → the first failed poll's start
    confirmed_after: list[float] = []  # that start → the notice
    missed = []
    for cid, kind in injected.outages.items():
        got = [at for at, rule, c in notices if rule == "centre_down" and c == cid
               and at >= when[cid]]
        if got:
            latency[kind].append(min(got) - when[cid])
            if (first := first_failed.get(cid)) is not None and first >= when[cid] - 1:
                seen_after.append(first - when[cid])
                confirmed_after.append(min(got) - first)
        else:
            missed.append(cid)
    false_blip = sorted({c for _, rule, c in notices
                         if rule == "centre_down" and c in injected.blips})
    false_other = sorted({(rule, c) for _, rule, c in notices if rule in COLLECTION_RULES
                          and c not in injected.outages and c not in injected.blips})
    wall = ended - phase
    collector_cpu = cpu1[0] - cpu0[0]
    hard = latency["refuse"] + latency["http_5xx"]
    skipped_polls = sum(c.get("failed", {}).get("skipped", 0) for c in cycles)
    # Ticks missed between the first and the last cycle of the window (the grid's count).
    ats = [c["at"] for c in cycles if "at" in c]
    expected_cycles = round((max(ats) - min(ats)) / interval_s) + 1 if ats else 0
    return {
        "product": str(product),
        "fleet": fleet, "centres": len(centres), "interval_s": interval_s,
        "store": sa.engine.make_url(db_url).get_backend_name(),
        "outages": len(injected.outages), "detected": sum(map(len, latency.values())),
        "missed": missed,
        "latency_s": {"refused_or_5xx": spread(hard), "hang": spread(latency["hang"]),
                      "soft_down": spread(latency["soft_down"]),
                      "all": spread([x for v in latency.values() for x in v])},
        "first_failed_poll_s": spread(seen_after),
        "first_failed_poll_to_notice_s": spread(confirmed_after),
        "blips": len(injected.blips), "blips_seen_failing": len(observed_blips),
        "false_alarms": {"blip": len(false_blip), "start_up": len(start_up),
                         "other": len(false_other)},
        "false_alarm_detail": {"blip": false_blip, "start_up": start_up[:20],
                               "other": false_other[:20]},
        "cycles": len(cycles), "cycles_expected": expected_cycles,
        "ticks_skipped": max(0, expected_cycles - len(cycles)),
        "polls_skipped": skipped_polls,
        "polls": polls,
        "cycle_s": spread([c["cycle_s"] for c in cycles if "cycle_s" in c]),
        "write_s": spread([c["write_s"] for c in cycles if "write_s" in c]),
        "collector_cpu_s": round(collector_cpu, 2),
        "cpu_ms_per_poll": round(1000 * collector_cpu / polls, 3) if polls else None,
        "collector_share_of_cores": round(collector_cpu / wall / (os.cpu_count() or 1), 3),
        "simulator_share_of_cores": round((cpu1[1] - cpu0[1]) / wall / (os.cpu_count() or 1),
                                          3),
        **({"postgres_share_of_cores": round((cpu1[2] - cpu0[2]) / wall
                                             / (os.cpu_count() or 1), 3)}
           if "postgresql" in db_url else {}),
        "metrics_scrape_s": spread(scraped),
        "metrics_bytes": max(sizes) if sizes else None,
        "seconds": round(wall, 1),
    }


def _polls(db_url: str, start: float, end: float) -> int:
    """Polls stored with a start in [start, end] (cycles and re-probes)."""
    engine = dialects.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM polls WHERE ts >= :a AND ts <= :b"),
                {"a": int(start * 1000), "b": int(end * 1000)}).scalar() or 0)
    finally:
        engine.dispose()


def _first_failed(db_url: str, start: float, end: float) -> dict[str, float]:
    """Each centre's first failed poll (its start, Unix s) in [start, end]."""
    engine = dialects.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT centre_id, min(ts) FROM polls WHERE NOT ok AND ts >= :a AND ts <= :b "
                "GROUP BY centre_id"), {"a": int(start * 1000), "b": int(end * 1000)}).all()
            return {cid: ts / 1000 for cid, ts in rows}
    finally:
        engine.dispose()


def _failed(db_url: str, ids: list[str], start: float, end: float) -> set[str]:
    """Which of `ids` had a failed poll in [start, end]."""
    if not ids:
        return set()
    engine = dialects.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT DISTINCT centre_id FROM polls WHERE NOT ok AND ts >= :a AND ts <= :b"),
                {"a": int(start * 1000), "b": int(end * 1000)}).scalars()
            return set(rows) & set(ids)
    finally:
        engine.dispose()


def run_alerts_bench(args: Any, settings: Settings) -> dict[str, Any]:
    """The figures as a JSON-able dict: this checkout's, and `--against`'s first if given."""
    fleet = getattr(args, "fleet", None) or "hue"
    interval = float(getattr(args, "interval", None) or 5.0)
    per_kind = int(getattr(args, "outages", None) or 3)
    blips = int(getattr(args, "blips", None) or 30)
    server = getattr(args, "db_url", None)
    runs: dict[str, Any] = {}
    against = getattr(args, "against", None)
    if against:
        runs["previous"] = run_once(Path(against).resolve(), fleet, interval, per_kind, blips,
                                    server, SEED)
    runs["current"] = run_once(HERE, fleet, interval, per_kind, blips, server, SEED)
    return runs
