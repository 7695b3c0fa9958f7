"""Prometheus exposition of the collector: `/metrics` for an existing Prometheus and Grafana.

`Exposition` is a cycle observer (collectors.service.CycleObserver): after each cycle it
keeps the latest result per centre and adds the cycle to the collector's own counters,
which is all the cycle loop waits for. Its renderer thread then renders that state once
into a `Page` (collectors/endpoint/render.py: the per-centre and collector families as
bytes, compressed ahead for the formats scrapers ask for), off the scrape path and off
the cycle loop: one render at a time, always of the newest state, so a slow render
delays neither the next cycle nor the observers after it; cycles that end during a render
are folded into the next one. Each scrape serves the newest page plus what only the
moment of the scrape knows, read then with prometheus_client's own collectors:
`ioc_collector_newest_write_age_seconds` (how old the page's newest cycle is, so a page
served long after the last cycle says so) and the process's `process_*` metrics. A
scrape that comes while the newest cycle's page is being rendered waits for it (at most
`RENDER_WAIT_S`), so a scrape after a cycle always shows that cycle.

`serve()` runs the HTTP endpoint (collectors/endpoint/server.py: /metrics, and /healthz and
/readyz from collectors/endpoint/health.py) in a daemon thread on
`collector.metrics_host:metrics_port` (127.0.0.1 by default).

Per-centre series carry `centre`, `centre_name` and `province` labels (plus the
metric's own label, e.g. `procedure`). A centre's values are those of its latest
poll: a metric the latest poll did not return is absent, as a failed scrape's
series go stale in Prometheus, while `ioc_centre_up` is 0.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder, gzip_accepted

from collectors.endpoint import server as endpoint
from collectors.endpoint.render import (
    CentreState,
    Health,
    Page,
    centre_families,
    centre_pairs,
    gzipped,
    health_families,
)
from config.catalogue import PROMETHEUS_PREFIX
from config.catalogue import exposed_name as exposed_name  # the names' one home
from config.registry import Centre
from metrics.results import ProbeResult, Reason

log = logging.getLogger("ioc.exposition")

RENDER_WAIT_S = 2.0  # the longest a scrape waits for the newest cycle's page
WARM_FOR_S = 600.0  # a format scraped gzipped within this long is compressed ahead
NEWEST_WRITE_AGE = f"{PROMETHEUS_PREFIX}collector_newest_write_age_seconds"


class Exposition:
    """The latest collected state, fed by `after_cycle`, rendered into a `Page` per cycle
    (by the renderer thread `start()` starts, or by the scrape when none runs)."""

    def __init__(self, centres: Iterable[Centre], clock: Callable[[], float] = time.time) -> None:
        self._names = {c.id: (c.name, c.province_name) for c in centres}
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._centres: dict[str, CentreState] = {}
        self._health = Health()
        # Every outcome appears from the first scrape, so rate() has a zero to start from.
        self._health.polls.update({("ok", ""): 0})
        self._health.polls.update({("failed", r.value): 0 for r in Reason})
        self._generation = 0  # cycles recorded
        self._page = Page([], -1)  # nothing rendered yet
        self._failed = -1  # the newest generation whose render failed
        self._failing = False  # the latest render failed (logged once until one works)
        self._gzipped: dict[bool, float] = {}  # format (True: OpenMetrics) → last asked
        self._labels: dict[str, list[str]] = {}  # centre → its label pairs, escaped
        self._process = ProcessCollector(registry=None)
        self._thread: threading.Thread | None = None
        self._stopping = False

    def after_cycle(self, cycle: Any, summary: dict[str, Any], write_s: float) -> None:
        """Record one cycle (collectors.polling.scheduler.Cycle) after its write; the renderer
        renders it."""
        now = self._clock()
        results: Sequence[ProbeResult] = cycle.results
        with self._lock:
            for r in results:
                prev = self._centres.get(r.centre_id)
                made = r.reason is not Reason.SKIPPED
                self._centres[r.centre_id] = CentreState(
                    ts=r.ts if made else (prev.ts if prev else None),
                    ok=r.ok,
                    duration_s=r.duration_s,
                    samples=tuple(r.samples),
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
            self._generation += 1
            self._changed.notify_all()

    # -- rendering, once per cycle ------------------------------------------------------

    def render(self) -> Page:
        """The state now, rendered (the renderer thread's work, off the scrape path)."""
        with self._lock:
            centres = dict(self._centres)  # states are replaced, never changed: a snapshot
            h = dataclasses.replace(self._health, polls=Counter(self._health.polls))
            generation = self._generation
        return Page([*centre_families(centres, self._pairs), *health_families(h)],
                    generation, h.last_cycle_end)

    def _pairs(self, centre_id: str) -> list[str]:
        """The centre's label pairs, escaped once for the life of the collector."""
        pairs = self._labels.get(centre_id)
        if pairs is None:
            pairs = self._labels[centre_id] = centre_pairs(
                centre_id, *self._names.get(centre_id, ("", "")))
        return pairs

    # -- the renderer thread ------------------------------------------------------------

    def start(self) -> None:
        """Start the renderer thread (idempotent): from now on pages are rendered as
        cycles end, not when scraped."""
        with self._lock:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="metrics-render",
                                            daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the renderer thread (after the render under way, if any)."""
        with self._changed:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._changed.notify_all()
        if thread is not None:
            thread.join(5.0)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or self._behind())
                if self._stopping:
                    return
                wanted = self._gzipped_recently()
                generation = self._generation
            try:
                page = self.render()
                page.warm(wanted)
            except Exception:  # a bug here must not end the rendering, nor the scrapes
                with self._changed:
                    if not self._failing:
                        log.exception("rendering /metrics failed; the previous cycle's page "
                                      "is served until a render works")
                    self._failing, self._failed = True, generation
                    self._changed.notify_all()
                continue
            self._publish(page)

    def _behind(self) -> bool:
        """A cycle is recorded that no page (nor a failed render) has covered yet."""
        return max(self._page.generation, self._failed) < self._generation

    def _publish(self, page: Page) -> None:
        with self._changed:
            if self._failing:
                self._failing = False
                log.info("rendering /metrics works again")
            if page.generation > self._page.generation:
                self._page = page
            self._changed.notify_all()

    def _gzipped_recently(self) -> list[bool]:
        now = time.monotonic()
        return [fmt for fmt, at in self._gzipped.items() if now - at < WARM_FOR_S]

    def page(self, wait_s: float = RENDER_WAIT_S) -> Page:
        """The newest page: with the renderer running, once it covers the newest cycle
        (waiting at most `wait_s`, else the page before); without it, rendered now."""
        with self._changed:
            if self._thread is not None:
                self._changed.wait_for(lambda: not self._behind(), timeout=wait_s)
                return self._page
            if not self._behind():
                return self._page
        page = self.render()
        self._publish(page)
        return page

    # -- one scrape ---------------------------------------------------------------------

    def respond(self, accept: str | None, accept_encoding: str | None,
                names: Sequence[str] | None = None) -> tuple[list[tuple[str, str]], list[bytes]]:
        """The headers and body of one scrape: the format prometheus_client would choose
        for `accept`, gzipped if `accept_encoding` allows, only the sample names in
        `names` if given (its `name[]` filter)."""
        encoder, content_type = choose_encoder(accept or "")
        openmetrics = content_type.startswith("application/openmetrics-text")
        page = self.page()
        wanted = set(names) if names is not None else None
        registry = CollectorRegistry(support_collectors_without_names=True)  # for name[]
        registry.register(_ScrapeTime(page, self._clock))
        registry.register(self._process)
        tail = encoder(registry.restricted_registry(wanted) if wanted is not None else registry)
        headers = [("Content-Type", content_type)]
        if gzip_accepted(accept_encoding or ""):
            headers.append(("Content-Encoding", "gzip"))
            if wanted is None:
                self._gzipped[openmetrics] = time.monotonic()
                body = page.gzip(openmetrics, tail)
            else:  # a filtered scrape is small: compressed on its own
                body = [gzipped([*page.chunks(openmetrics, wanted), tail])]
        else:
            body = [*page.chunks(openmetrics, wanted), tail]
        headers.append(("Content-Length", str(sum(len(b) for b in body))))
        return headers, body


class _ScrapeTime:
    """The families only the moment of the scrape knows (prometheus_client collector)."""

    def __init__(self, page: Page, clock: Callable[[], float]) -> None:
        self.page, self.clock = page, clock

    def collect(self) -> Iterator[Metric]:
        if self.page.last_cycle_end is not None:
            yield GaugeMetricFamily(
                NEWEST_WRITE_AGE, "Seconds since the latest write to the store (the store's "
                "lag).", value=max(0.0, self.clock() - self.page.last_cycle_end))


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
        self.exposition.close()


def serve(exposition: Exposition, host: str, port: int, health: Any = None) -> Served:
    """Serve /metrics on host:port in a daemon thread (OSError if the port is taken) and
    start the exposition's renderer; with `health` (collectors.endpoint.health.CollectorHealth)
    also /healthz and /readyz."""
    checks = {"/healthz": health.live, "/readyz": health.ready} if health is not None else {}
    server, thread = endpoint.start(endpoint.app(exposition.respond, checks), host, port)
    exposition.start()
    return Served(exposition, server, thread)

def observers_for(settings: Any, config_file: Any = None) -> list[Any]:
    """The observers for `ioc collect` that feed the HTTP endpoint on
    `collector.metrics_host:metrics_port` (/metrics, /healthz, /readyz): the exposition and
    the health; [] when metrics_port is 0. A port that cannot be bound is a start-up error
    (ConfigError naming host and port): a collector without /healthz would be restarted
    by its watchdog over and over.
    """
    from collectors.endpoint.health import CollectorHealth
    from config.deployment import centres as deployment_centres
    from config.loader import ConfigError, Problem
    from metrics.store.check import check_store

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

