"""`ioc collect`: poll every configured centre into the store, cycle after cycle.

Cycles start on a fixed grid (start + k × interval), so they do not drift; a
cycle that overruns skips the ticks it missed rather than bunching up. Each
cycle's results are written in one batch, and one structured (JSON) log line
says what it found. SIGINT/SIGTERM stop the loop after the current cycle and
its write.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from collectors.base import ProbeResult
from collectors.poll import PollOptions
from collectors.scheduler import Cycle, Scheduler
from collectors.targets import build_targets
from config.deployment import centres as deployment_centres
from config.deployment import site_file
from config.settings import Settings

log = logging.getLogger("ioc.collector")


class CycleObserver(Protocol):
    """Told about every cycle after its write (alert evaluation, /metrics exposition).

    An observer that raises is logged and skipped: it never stops collection.
    """

    def after_cycle(self, cycle: Cycle, summary: dict[str, Any], write_s: float) -> None: ...


def summarise(results: list[ProbeResult], samples: int, cycle_s: float) -> dict[str, Any]:
    """The JSON-able summary of one cycle: centres, ok, failed by reason, samples, seconds."""
    failed = Counter(r.reason.value for r in results if not r.ok and r.reason is not None)
    return {
        "centres": len(results),
        "ok": sum(r.ok for r in results),
        "failed": dict(sorted(failed.items())),
        "samples": samples,
        "cycle_s": round(cycle_s, 3),
    }


def next_tick(origin: float, interval_s: float, now: float) -> float:
    """The first grid time origin + k × interval (k ≥ 1) after `now`."""
    k = max(1, int((now - origin) // interval_s) + 1)
    return origin + k * interval_s


def _log_handler() -> None:
    """One line per cycle on stderr, unless the application configured logging itself."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


class _Stop:
    """Set by SIGINT/SIGTERM (main thread only); the loop checks it between cycles."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def collect(
    settings: Settings,
    *,
    once: bool,
    interval_s: float | None = None,
    store=None,
    config_file: str | Path | None = None,
    observers: Sequence[CycleObserver] = (),
) -> dict[str, Any]:
    """Poll the deployment's centres into the store; with `once`, one cycle and its summary.

    `store` defaults to `Store.open(settings.store.url)` (closed on return); a
    store passed in stays open. Returns the last cycle's summary.
    """
    from metrics.store import Store

    _log_handler()
    centres = deployment_centres(settings, config_file)
    targets = build_targets(settings, centres, site_file(settings, config_file))
    interval = interval_s or settings.collector.interval_s
    c = settings.collector
    opts = PollOptions.from_settings(c)
    own_store = store is None
    if own_store:
        store = Store.open(settings.store.url)
    summary: dict[str, Any] = summarise([], 0, 0.0)
    try:
        store.sync_centres(centres)
        with (
            _Stop() as stop,
            Scheduler(targets, opts, workers=c.workers, concurrency=c.concurrency) as scheduler,
        ):
            origin = time.monotonic()
            tick = origin
            while True:
                cycle = scheduler.poll(tick + interval)
                written_at = time.monotonic()
                samples = store.write(cycle.results)
                summary = summarise(cycle.results, samples, cycle.poll_s)
                write_s = time.monotonic() - written_at
                _log_cycle(summary, cycle, write_s)
                _notify(observers, cycle, summary, write_s)
                if once or stop.event.is_set():
                    return summary
                tick = next_tick(origin, interval, time.monotonic())
                if stop.event.wait(max(0.0, tick - time.monotonic())):
                    return summary
    finally:
        if own_store:
            store.close()


def _notify(observers: Sequence[CycleObserver], cycle: Cycle, summary: dict[str, Any],
            write_s: float) -> None:
    for observer in observers:
        try:
            observer.after_cycle(cycle, summary, write_s)
        except Exception:  # an observer's bug must not stop the polling
            log.exception("cycle observer %r failed", observer)


def _log_cycle(summary: dict[str, Any], cycle: Cycle, write_s: float) -> None:
    line = {
        "event": "collect_cycle",
        "at": round(time.time(), 3),
        **summary,
        "write_s": round(write_s, 3),
        "worker_cpu_s": round(cycle.worker_cpu_s, 3),
    }
    if cycle.restarted:
        line["workers_restarted"] = cycle.restarted
    log.info(json.dumps(line, ensure_ascii=False))
