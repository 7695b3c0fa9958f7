"""`ioc bench metrics`: the collector's /metrics for a fleet, scraped over loopback HTTP.

The fleet's cycles come from the simulator's model through the collector's own parse
and validation path (collectors/commands/backfill.py `simulated_poll`), made once and shared. A
child process holds the exposition as `ioc collect` does (`Exposition` + `serve`) and
is fed those cycles; this process scrapes it, so the child's CPU is the collector's:

- **per cycle**: the child's CPU seconds for one cycle handed to the exposition, until
  its page is ready (after a scrape, so formats scraped are compressed ahead as in
  service), with no scrape running; and of that, what the cycle loop's own thread spent
  (`after_cycle`);
- **per scrape**: the child's CPU seconds (from /proc) for one scrape, cycles stopped;
- **latency**: wall seconds per scrape (request → last byte, undecoded) while cycles
  arrive every `--interval` seconds and scrapes come at a period that drifts
  against it, as Prometheus's do: median and max for each kind of scraper (Prometheus:
  OpenMetrics first, gzip; plain: no Accept, no compression).

With `--against PATH` the same is measured, round after round in turn, for the
exposition of another checkout (e.g. a worktree of the previous main): the child then
imports that checkout's code (only `Exposition`, `serve` and `Cycle` are used).
"""

from __future__ import annotations

import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,application/"
                     "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.2,"
                     "*/*;q=0.1")
SCRAPERS = {  # kind → request headers
    "prometheus": {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"},
    "plain": {"Accept-Encoding": "identity"},
}
HERE = Path(__file__).resolve().parents[1]  # this checkout
_BOOT = ("import runpy, sys; sys.path.insert(0, sys.argv[1]); "
         "runpy.run_path(sys.argv[2], run_name='bench_metrics_child')")


def add_arguments(bench) -> None:
    """`ioc bench metrics` options (--fleet, --cycles, --interval and --against are the
    bench parser's)."""
    g = bench.add_argument_group("metrics (ioc bench metrics)")
    g.add_argument("--scrapes", type=int, default=20, help="metrics: scrapes per scraper kind "
                   "for the latency (default 20)")
    g.add_argument("--samples-per-centre", type=int, help="metrics: keep only the first N "
                   "samples of each poll (a smaller profile; default all)")
    g.add_argument("--rounds", type=int, default=1, help="metrics: rounds of each checkout, "
                   "in turn (default 1)")


def make_cycles(fleet: str, cycles: int, interval_s: float,
                samples_per_centre: int | None) -> tuple[list[Any], list[list[Any]]]:
    """The fleet's centres and `cycles` + 1 cycles of ProbeResults, `interval_s` apart."""
    from collectors.commands.backfill import simulated_poll
    from collectors.simulator.model import FleetModel
    from config.registry import fleet as fleet_centres

    centres = fleet_centres(fleet)
    model = FleetModel(centres, seed=7)
    start = time.time() - (cycles + 1) * interval_s
    out = []
    for k in range(cycles + 1):
        results = [simulated_poll(model, c.id, start + k * interval_s, 3.0) for c in centres]
        if samples_per_centre is not None:
            for r in results:
                r.samples = r.samples[:samples_per_centre]
        out.append(results)
    return centres, out


def run_metrics_bench(args) -> dict[str, Any]:
    """`ioc bench metrics`: this checkout's /metrics (and `--against`'s, in turn)."""
    trees = {"this": HERE}
    if args.against:
        trees["against"] = Path(args.against).resolve()
    made = time.process_time()
    centres, cycles = make_cycles(args.fleet, max(args.cycles, 2), args.interval,
                                  args.samples_per_centre)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-metrics-") as tmp:
        data = Path(tmp) / "cycles.pickle"
        # Plain tuples: each checkout rebuilds results with its own classes.
        data.write_bytes(pickle.dumps((centres, [[_plain(r) for r in c] for c in cycles])))
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for _ in range(max(args.rounds, 1)):
            for name, tree in trees.items():
                runs[name].append(_measure(tree, data, args))
    report: dict[str, Any] = {
        "fleet": args.fleet, "centres": len(centres),
        "samples_per_cycle": sum(len(r.samples) for r in cycles[0]),
        "cycles_made_cpu_s": round(time.process_time() - made, 2),
        "cycle_interval_s": args.interval, "cpu_count": os.cpu_count(),
    }
    for name, tree in trees.items():
        report[name] = {"tree": str(tree), **_merge(runs[name])}
    return report


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one checkout together: medians and maxima over every observation."""
    out: dict[str, Any] = {"series": runs[0]["series"], "bytes": runs[0]["bytes"],
                           "cpu_s_per_cycle": _spread([x["cpu_s"] for r in runs
                                                       for x in r["cycle_cpu"]]),
                           "cpu_s_per_cycle_on_the_loop": _spread([x["loop_cpu_s"] for r in runs
                                                                   for x in r["cycle_cpu"]])}
    for kind in SCRAPERS:
        out[kind] = {
            "latency_s": _spread([x for r in runs for x in r["latency"][kind]]),
            "cpu_s_per_scrape": _spread([x for r in runs for x in r["scrape_cpu"][kind]]),
        }
    return out


def _spread(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": round(statistics.median(values), 4),
            "max": round(max(values), 4)} if values else {"n": 0}


def _scrape(url: str, kind: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers=SCRAPERS[kind])
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = answer.read()
    return time.perf_counter() - began, body


class _Child:
    """The exposition of one checkout in a child process, driven line by line."""

    def __init__(self, tree: Path, data: Path, interval_s: float):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(tree), __file__, str(data), str(interval_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree)
        self.port = int(self.ask("port")["port"])

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench child ended (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.ask("exit")
        finally:
            self.proc.wait(30)


def _measure(tree: Path, data: Path, args) -> dict[str, Any]:
    child = _Child(tree, data, args.interval)
    url = f"http://127.0.0.1:{child.port}/metrics"
    try:
        child.ask("cycle 0")
        sizes = {kind: len(_scrape(url, kind)[1]) for kind in SCRAPERS}  # formats now wanted
        _, plain = _scrape(url, "plain")
        series = sum(1 for line in plain.splitlines() if line and not line.startswith(b"#"))
        cycle_cpu = [child.ask(f"cycle {k}") for k in range(1, args.cycles + 1)]
        scrape_cpu: dict[str, list[float]] = {kind: [] for kind in SCRAPERS}
        for _ in range(3):
            for kind in SCRAPERS:
                before = cpu_seconds(child.proc.pid)
                _scrape(url, kind)
                scrape_cpu[kind].append(cpu_seconds(child.proc.pid) - before)
        latency = _live(child, url, args)
    finally:
        child.close()
    return {"series": series, "bytes": sizes, "cycle_cpu": cycle_cpu,
            "scrape_cpu": scrape_cpu, "latency": latency}


def _live(child: _Child, url: str, args) -> dict[str, list[float]]:
    """Scrapes of each kind in turn while the child's cycles arrive every interval; the
    period (0.37 × interval) drifts against the cycles, so scrapes land at every phase."""
    latency: dict[str, list[float]] = {kind: [] for kind in SCRAPERS}
    child.ask("live")
    period = 0.37 * args.interval
    try:
        nxt = time.monotonic()
        for i in range(args.scrapes * len(SCRAPERS)):
            time.sleep(max(0.0, nxt - time.monotonic()))
            kind = list(SCRAPERS)[i % len(SCRAPERS)]
            latency[kind].append(_scrape(url, kind)[0])
            nxt = max(nxt + period, time.monotonic())
    finally:
        child.ask("still")
    return latency


def _plain(r: Any) -> tuple:
    """A ProbeResult as plain data (no class of this checkout's in the pickle)."""
    return (r.centre_id, r.ts, r.ok, r.duration_s, r.reason.value if r.reason else None,
            r.detail, r.http_status, [(s.metric, s.value, s.label) for s in r.samples])


def _result(p: tuple) -> Any:
    """`_plain`'s tuple as a ProbeResult of the checkout the child runs."""
    from metrics.results import ProbeResult, Reason, Sample

    cid, ts, ok, duration, reason, detail, status, samples = p
    return ProbeResult(cid, ts, ok, duration, Reason(reason) if reason else None, detail,
                       status, [Sample(m, v, lab) for m, v, lab in samples])


def _child_main(data: str, interval_s: float) -> None:
    """The child: serve an exposition; `cycle K` hands it cycle K and answers the CPU it
    took (until the page is ready, where the checkout renders ahead); `live` feeds cycles
    every interval from a thread, as the collector does, until `still`."""
    from collectors.endpoint.exposition import Exposition, serve
    from collectors.polling.scheduler import Cycle

    centres, plain = pickle.loads(Path(data).read_bytes())
    cycles = [[_result(p) for p in cycle] for cycle in plain]
    exposition = Exposition(centres)
    served = serve(exposition, "127.0.0.1", 0)
    ready = getattr(exposition, "page", lambda: None)  # a checkout that renders per scrape
    stop = threading.Event()
    feeder: threading.Thread | None = None

    def feed(k: int) -> None:
        exposition.after_cycle(Cycle(cycles[k % len(cycles)], 4.0, 6.0, 0),
                               {"samples": 1}, 0.5)

    def live() -> None:
        k = 0
        while not stop.wait(interval_s):
            feed(k)
            k += 1

    for line in sys.stdin:
        word, *rest = line.split()
        answer: dict[str, Any] = {}
        if word == "port":
            answer["port"] = served.port
        elif word == "cycle":
            began, on_loop = time.process_time(), time.thread_time()
            feed(int(rest[0]))
            answer["loop_cpu_s"] = round(time.thread_time() - on_loop, 4)
            ready()
            answer["cpu_s"] = round(time.process_time() - began, 4)
        elif word == "live":
            stop.clear()
            feeder = threading.Thread(target=live, daemon=True)
            feeder.start()
        elif word == "still":
            stop.set()
            if feeder is not None:
                feeder.join()
        elif word == "exit":
            print("{}", flush=True)
            break
        print(json.dumps(answer), flush=True)
    served.close()


if __name__ == "bench_metrics_child":
    _child_main(sys.argv[3], float(sys.argv[4]))  # argv: -c, tree, this file, data, interval
