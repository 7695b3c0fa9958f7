"""Prometheus exposition of the collector: `/metrics` for an existing Prometheus and Grafana.

`Exposition` is a cycle observer (collectors.service.CycleObserver): after each cycle
it keeps the latest result per centre and adds the cycle to the collector's own
counters. `IocCollector` builds fresh metric families from that state on every
scrape (no module-level metrics). `serve()` runs the HTTP endpoint (metrics/endpoint.py:
/metrics, and /healthz and /readyz from collectors/health.py) in a daemon thread on
`collector.metrics_host:metrics_port` (127.0.0.1 by default).

Per-centre series carry `centre`, `centre_name` and `province` labels (plus the
metric's own label, e.g. `procedure`). A centre's values are those of its latest
poll: a metric the latest poll did not return is absent, as a failed scrape's
series go stale in Prometheus, while `ioc_centre_up` is 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from collectors.base import ProbeResult, Reason
from config.registry import Centre
from metrics import endpoint
from metrics.catalogue import METRICS, Kind

log = logging.getLogger("ioc.exposition")

PREFIX = "ioc_"
CENTRE_LABELS = ("centre", "centre_name", "province")
OUTCOME_LABELS = ("outcome", "reason")


def exposed_name(metric: str) -> str:
    """The Prometheus name of a catalogue metric: `ioc_` + name (`up` → `ioc_centre_up`)."""
    return f"{PREFIX}centre_up" if metric == "up" else f"{PREFIX}{metric}"


@dataclass
class _CentreState:
    ts: float | None  # the latest poll actually made (a skipped one does not count)
    ok: bool
    duration_s: float
    samples: dict[tuple[str, str], float]
    last_ok_ts: float | None
    polls: int  # polls made (skipped ones excluded), since the collector started
    failed: int  # of which failed


@dataclass
class _Health:
    cycles: int = 0
    polls: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples_written: int = 0
    rejected_values: int = 0
    write_s_total: float = 0.0
    last_cycle_s: float | None = None
    last_write_s: float | None = None
    last_cycle_end: float | None = None  # Unix seconds, when the cycle's write finished
    last_cycle_lag_s: float | None = None  # earliest poll start → write finished
    centres_polled: int = 0
    workers_restarted: int = 0
    worker_cpu_s: float = 0.0
    store_up: bool | None = None  # the latest cycle was written to the store (not spooled)


class Exposition:
    """The latest collected state, fed by `after_cycle`, read by `IocCollector` on scrape."""

    def __init__(self, centres: Iterable[Centre], clock: Callable[[], float] = time.time) -> None:
        self._names = {c.id: (c.name, c.province_name) for c in centres}
        self._clock = clock
        self._lock = threading.Lock()
        self._centres: dict[str, _CentreState] = {}
        self._health = _Health()
        # Every outcome appears from the first scrape, so rate() has a zero to start from.
        self._health.polls.update({("ok", ""): 0})
        self._health.polls.update({("failed", r.value): 0 for r in Reason})

    def after_cycle(self, cycle: Any, summary: dict[str, Any], write_s: float) -> None:
        """Record one cycle (collectors.scheduler.Cycle) after its write."""
        now = self._clock()
        results: Sequence[ProbeResult] = cycle.results
        with self._lock:
            for r in results:
                prev = self._centres.get(r.centre_id)
                made = r.reason is not Reason.SKIPPED
                self._centres[r.centre_id] = _CentreState(
                    ts=r.ts if made else (prev.ts if prev else None),
                    ok=r.ok,
                    duration_s=r.duration_s,
                    samples={(s.metric, s.label): s.value for s in r.samples},
                    last_ok_ts=r.ts if r.ok else (prev.last_ok_ts if prev else None),
                    polls=(prev.polls if prev else 0) + made,
                    failed=(prev.failed if prev else 0) + (made and not r.ok),
                )
                reason = "" if r.ok or r.reason is None else r.reason.value
                self._health.polls[("ok" if r.ok else "failed", reason)] += 1
                self._health.rejected_values += r.rejected_count
            h = self._health
            h.cycles += 1
            h.samples_written += int(summary.get("samples", 0))
            h.write_s_total += write_s
            h.last_write_s = write_s
            h.last_cycle_s = float(cycle.poll_s)
            h.last_cycle_end = now
            h.last_cycle_lag_s = now - min(r.ts for r in results) if results else None
            h.centres_polled = len(results)
            h.workers_restarted += int(cycle.restarted)
            h.worker_cpu_s += float(cycle.worker_cpu_s)
            h.store_up = "db" not in summary  # the writer names the store's state when down

    def families(self) -> list[Metric]:
        """Fresh metric families for one scrape."""
        with self._lock:
            centres = dict(self._centres)
            h = _Health(**{k: getattr(self._health, k) for k in _Health.__dataclass_fields__})
            h.polls = Counter(self._health.polls)
        return [*self._centre_families(centres), *self._health_families(h)]

    def _labels(self, centre_id: str) -> list[str]:
        name, province = self._names.get(centre_id, ("", ""))
        return [centre_id, name, province]

    def _centre_families(self, centres: dict[str, _CentreState]) -> Iterator[Metric]:
        up = GaugeMetricFamily(exposed_name("up"), "1 if the centre's latest poll succeeded.",
                               labels=CENTRE_LABELS)
        polled = GaugeMetricFamily(f"{PREFIX}centre_last_poll_timestamp_seconds",
                                   "When the centre was last polled (Unix time; skipped "
                                   "polls do not count).", labels=CENTRE_LABELS)
        polls = CounterMetricFamily(f"{PREFIX}centre_polls",
                                    "Polls of the centre made (skipped ones excluded).",
                                    labels=CENTRE_LABELS)
        failed = CounterMetricFamily(f"{PREFIX}centre_polls_failed",
                                     "Polls of the centre that failed (skipped excluded).",
                                     labels=CENTRE_LABELS)
        last_ok = GaugeMetricFamily(f"{PREFIX}centre_last_success_timestamp_seconds",
                                    "When a poll of the centre last succeeded (Unix time).",
                                    labels=CENTRE_LABELS)
        for cid in sorted(centres):
            st = centres[cid]
            labels = self._labels(cid)
            up.add_metric(labels, 1.0 if st.ok else 0.0)
            polls.add_metric(labels, st.polls)
            failed.add_metric(labels, st.failed)
            if st.ts is not None:
                polled.add_metric(labels, st.ts)
            if st.last_ok_ts is not None:
                last_ok.add_metric(labels, st.last_ok_ts)
        yield from (up, polled, last_ok, polls, failed)

        by_metric: dict[str, list[tuple[str, str, float]]] = {}
        for cid in sorted(centres):
            for (metric, label), value in centres[cid].samples.items():
                by_metric.setdefault(metric, []).append((cid, label, value))
        for name, m in METRICS.items():
            if name == "up":
                continue
            help_text = f"{name} ({m.family.value}, {m.unit}) from the centre's latest poll."
            labels = [*CENTRE_LABELS, m.label] if m.label else list(CENTRE_LABELS)
            if m.kind is Kind.COUNTER:
                fam: Metric = CounterMetricFamily(exposed_name(name), help_text, labels=labels)
            else:
                fam = GaugeMetricFamily(exposed_name(name), help_text, labels=labels)
            for cid, label, value in by_metric.get(name, ()):
                values = [*self._labels(cid), label] if m.label else self._labels(cid)
                fam.add_metric(values, value)
            yield fam

    def _health_families(self, h: _Health) -> Iterator[Metric]:
        c = f"{PREFIX}collector_"
        yield _counter(f"{c}cycles", "Poll cycles completed.", h.cycles)
        polls = CounterMetricFamily(f"{c}polls", "Centre polls by outcome and failure reason.",
                                    labels=OUTCOME_LABELS)
        for (outcome, reason), n in sorted(h.polls.items()):
            polls.add_metric([outcome, reason], n)
        yield polls
        yield _counter(f"{c}samples_written", "Samples written to the store.", h.samples_written)
        yield _counter(f"{c}rejected_values", "Values centres sent that failed validation.",
                       h.rejected_values)
        yield _counter(f"{c}store_write_seconds",
                       "Seconds spent writing cycles to the store (sum).", h.write_s_total)
        yield _counter(f"{c}workers_restarted", "Poll worker processes restarted.",
                       h.workers_restarted)
        yield _counter(f"{c}worker_cpu_seconds", "CPU seconds used by poll workers.",
                       h.worker_cpu_s)
        yield _gauge(f"{c}centres", "Centres polled in the latest cycle.", h.centres_polled)
        if h.store_up is not None:
            yield _gauge(f"{c}store_up", "1 if the latest cycle was written to the store, 0 "
                         "if the store was unreachable or too slow (the cycle was spooled).",
                         float(h.store_up))
        if h.last_cycle_s is not None:
            yield _gauge(f"{c}cycle_duration_seconds", "The latest cycle's polling time.",
                         h.last_cycle_s)
        if h.last_write_s is not None:
            yield _gauge(f"{c}last_store_write_seconds", "The latest cycle's store write time.",
                         h.last_write_s)
        if h.last_cycle_end is not None:
            yield _gauge(f"{c}last_cycle_timestamp_seconds",
                         "When the latest cycle's write finished (Unix time).", h.last_cycle_end)
            yield _gauge(f"{c}newest_write_age_seconds",
                         "Seconds since the latest write to the store (the store's lag).",
                         max(0.0, self._clock() - h.last_cycle_end))
        if h.last_cycle_lag_s is not None:
            yield _gauge(f"{c}cycle_lag_seconds",
                         "The latest cycle: from its first poll to its data being stored.",
                         h.last_cycle_lag_s)


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_text, value=value)


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


class IocCollector:
    """A prometheus_client custom collector over an `Exposition`."""

    def __init__(self, exposition: Exposition) -> None:
        self.exposition = exposition

    def collect(self) -> Iterable[Metric]:
        return self.exposition.families()


def registry_for(exposition: Exposition) -> CollectorRegistry:
    """A registry with the IOC collector and the process's own metrics (CPU, memory, fds)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(IocCollector(exposition))
    ProcessCollector(registry=registry)
    return registry


@dataclass
class Served:
    """A running /metrics server; `port` is the bound port (useful with port 0)."""

    exposition: Exposition
    server: Any
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5.0)


def serve(exposition: Exposition, host: str, port: int, health: Any = None) -> Served:
    """Serve /metrics on host:port in a daemon thread (OSError if the port is taken);
    with `health` (collectors.health.CollectorHealth) also /healthz and /readyz."""
    checks = {"/healthz": health.live, "/readyz": health.ready} if health is not None else {}
    server, thread = endpoint.start(endpoint.app(registry_for(exposition), checks), host, port)
    return Served(exposition, server, thread)


def observers_for(settings: Any, config_file: Any = None) -> list[Any]:
    """The observers for `ioc collect` that feed the HTTP endpoint on
    `collector.metrics_host:metrics_port` (/metrics, /healthz, /readyz): the exposition and
    the health; [] when metrics_port is 0. A port that cannot be bound is a start-up error
    (ConfigError naming host and port): a collector without /healthz would be restarted
    by its watchdog over and over.
    """
    from collectors.health import CollectorHealth
    from config.deployment import centres as deployment_centres
    from config.loader import ConfigError, Problem
    from metrics.store_check import check_store

    c = settings.collector
    if c.metrics_port == 0:
        return []
    exposition = Exposition(deployment_centres(settings, config_file))
    health = CollectorHealth(c.interval_s, lambda: check_store(settings.store.url),
                             config_file=config_file,
                             slack_s=settings.store.retention.budget_s)
    try:
        served = serve(exposition, c.metrics_host, c.metrics_port, health)
    except OSError as exc:
        raise ConfigError([Problem(
            "listen", "collector.metrics_port",
            f"cannot serve /metrics, /healthz and /readyz on {c.metrics_host}:{c.metrics_port}:"
            f" {exc.strerror or exc}")]) from None
    log.info("serving /metrics, /healthz and /readyz on http://%s:%s", c.metrics_host,
             served.port)
    return [exposition, health]
