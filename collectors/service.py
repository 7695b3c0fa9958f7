"""`ioc collect`: poll every configured centre into the store, cycle after cycle.

Cycles start on a fixed grid (start + k × interval), so they do not drift. A
cycle's write and its observers (alerts, /metrics) run in a thread of their own
while the next cycle polls, so polling and writing each have the whole interval;
a cycle that still overruns skips the ticks it missed rather than bunching up,
and each skip is logged and counted (`ticks_skipped` in the cycle's summary).
Each cycle's results are written in one batch, and one structured (JSON) log
line says what it found. Re-probe results the workers make between cycles are
written and shown to the alert engine as soon as they arrive (`LateResults`).
SIGINT/SIGTERM stop the loop after the current cycle and its write.
"""

from __future__ import annotations

import logging
import queue
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from collectors.polling.leases import LeaseKeeper
from collectors.polling.poll import PollOptions
from collectors.polling.scheduler import Cycle, Scheduler
from collectors.polling.shard import Shard, assign
from collectors.polling.targets import build_targets
from collectors.writing.spool import Spool
from collectors.writing.writer import SpoolingWriter, brief
from config import logs
from config.deployment import centres as deployment_centres
from config.deployment import site_file
from config.registry import Centre
from config.settings import Settings
from metrics.results import ProbeResult
from metrics.store import DatabaseError, cadence, db_limits, dialects

log = logging.getLogger("ioc.collector")
CONNECT_TIMEOUT_S = 5  # a PostgreSQL that does not answer must not stall the polling
# The collector's own store, on top of metrics/store/dialects.py's defaults: a dead TCP peer is
# noticed within ~10 s (keepalives 3 s + 3 × 2 s; unacknowledged data: tcp_user_timeout).
COLLECTOR_PG_CONNECT = {"connect_timeout": CONNECT_TIMEOUT_S, "keepalives": 1,
                        "keepalives_idle": 3, "keepalives_interval": 2, "keepalives_count": 3,
                        "tcp_user_timeout": 10_000}
WRITE_BOUND = 0.75  # × interval: the longest the cycle loop waits for its write to commit,
MIN_WRITE_BOUND_S = 2.0  # … but at least this (opening the store and a replay take time)
OBSERVER_BOUND = 0.25  # × interval: … and for an observer that reads the database,
MIN_OBSERVER_BOUND_S = 1.0  # … but at least this


class CycleObserver(Protocol):
    """Told about every cycle after its write (alert evaluation, /metrics exposition).

    An observer that raises is logged and skipped: it never stops collection.
    """

    def after_cycle(self, cycle: Cycle, summary: dict[str, Any], write_s: float) -> None: ...


class ResultsObserver(Protocol):
    """Told about re-probe results written between cycles (the alert engine evaluates the
    centres they concern at once). Optional beside `after_cycle`."""

    def after_results(self, results: list[ProbeResult]) -> None: ...


def tell_results(observers: Sequence[Any], results: list[ProbeResult]) -> None:
    """`after_results` of each observer that has it; a failure is logged, never raised."""
    for observer in observers:
        hook = getattr(observer, "after_results", None)
        if hook is None:
            continue
        try:
            hook(results)
        except DatabaseError as exc:
            log.warning("re-probe results not evaluated by %r: %s", observer, brief(exc))
        except Exception:  # an observer's bug must not stop the polling
            log.exception("re-probe results not evaluated by %r", observer)


class Deferred:
    """Observers that need the database when built (the alert engine): built at once if it
    answers, else retried after each cycle, so a collector may start while it is down."""

    def __init__(self, factory: Callable[[], Sequence[CycleObserver]], name: str):
        self.factory, self.name = factory, name
        self.built: list[CycleObserver] | None = None
        self._said = False  # "not started yet" is logged once, not at every cycle
        self._failing: set[int] = set()
        self._build()

    def _build(self) -> None:
        try:
            self.built = list(self.factory())
        except DatabaseError as exc:
            if not self._said:
                log.warning("%s not started yet, the database is unreachable (%s); "
                            "retried after each cycle", self.name, type(exc).__name__)
                self._said = True
            return
        if self._said:
            log.warning("%s started: the database answers", self.name)

    def after_cycle(self, cycle: Cycle, summary: dict[str, Any], write_s: float) -> None:
        if self.built is None:
            self._build()
        _notify(self.built or (), cycle, summary, write_s, self._failing)

    def after_results(self, results: list[ProbeResult]) -> None:
        tell_results(self.built or (), results)


class Bounded:
    """An observer that uses the database, run in its own thread for at most `bound_s` per
    cycle: one that does not answer (a database dropping packets) never holds the cycle
    loop. While its last call is still running, later cycles skip it. Each change — stuck,
    failing, working again — is logged once, never once per cycle."""

    def __init__(self, observer: CycleObserver, name: str, bound_s: float):
        self.observer, self.name, self.bound_s = observer, name, bound_s
        self._job: threading.Thread | None = None
        self._state = "ok"
        self._error: BaseException | None = None

    def after_cycle(self, cycle: Cycle, summary: dict[str, Any], write_s: float) -> None:
        if self._job is not None and self._job.is_alive():
            return  # still in its last call: skipped, already logged as stuck
        self._job = threading.Thread(target=self._call, args=(cycle, summary, write_s),
                                     name=f"observer-{self.name}", daemon=True)
        self._job.start()
        self._job.join(self.bound_s)
        if self._job.is_alive():
            self._change("stuck", f"{self.name}: no answer within {self.bound_s:.1f} s; "
                                  "the cycles go on without it until it returns")
        elif self._error is not None:
            self._change("failing", f"{self.name} failed: {brief(self._error)}; "
                                    "tried again at each cycle", self._error)
        else:
            self._change("ok", f"{self.name} works again")

    def after_results(self, results: list[ProbeResult]) -> None:
        """Passed on at once, in the caller's thread (`LateResults`' own, never the loop's)."""
        tell_results([self.observer], results)

    def _call(self, cycle: Cycle, summary: dict[str, Any], write_s: float) -> None:
        try:
            self.observer.after_cycle(cycle, summary, write_s)
            self._error = None
        except Exception as exc:  # an observer's failure must not stop the polling
            self._error = exc

    def _change(self, state: str, message: str, exc: BaseException | None = None) -> None:
        if state == self._state:
            return
        self._state = state
        # A database error is the outage, said in one line; anything else is a bug: its
        # traceback once.
        trace = exc if exc is not None and not isinstance(exc, DatabaseError) else None
        (log.warning if state != "ok" else log.info)(message, exc_info=trace)


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
    """One line per cycle on stderr, unless the application configured logging itself
    (`ioc` does: config/logs.py, from the `logging` settings)."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logs.TextFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)


class _Stop:
    """Set by SIGINT/SIGTERM (main thread only) or by whoever holds `event`; the loop
    checks it between cycles."""

    def __init__(self, event: threading.Event | None = None) -> None:
        self.event = event or threading.Event()
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


class LateResults:
    """Writes the re-probe results the workers make between cycles as soon as they arrive
    and tells the observers that take them (`after_results`), in a thread of its own, so a
    slow database holds up only these (`SpoolingWriter.write_extra`)."""

    def __init__(self, source: queue.SimpleQueue, write: Callable[[list[ProbeResult]], bool],
                 observers: Sequence[Any]):
        self.source, self.write, self.observers = source, write, observers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="late-results", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self.source.get(timeout=0.25)
            except queue.Empty:
                continue
            while True:  # whatever else has arrived meanwhile goes in the same write
                try:
                    batch += self.source.get_nowait()
                except queue.Empty:
                    break
            try:
                if not self.write(batch):
                    continue  # the database is away: the cycles are spooled meanwhile
            except Exception as exc:  # the cycle's own write reports the database's state
                log.debug("re-probe results not written: %s", brief(exc))
                continue
            tell_results(self.observers, batch)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


class CycleSink:
    """The second stage of a cycle, in a thread: write it, log it, tell the observers —
    while the loop polls the next one. `put` waits while the previous cycle is still in
    this stage (the collector then falls behind, and says so)."""

    def __init__(self, store_cycle: Callable[[int, Cycle, dict[str, Any]], dict[str, Any]]):
        self.store_cycle = store_cycle
        self.summary: dict[str, Any] = summarise([], 0, 0.0)
        self.error: BaseException | None = None
        self._slot: queue.Queue = queue.Queue(maxsize=1)
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="cycle-sink", daemon=True)
        self._thread.start()

    def put(self, number: int, cycle: Cycle, extra: dict[str, Any]) -> float:
        """Hand a polled cycle over; the seconds spent waiting for the previous one."""
        started = time.monotonic()
        self._idle.wait()
        waited = time.monotonic() - started
        self._raise()
        self._idle.clear()
        self._slot.put((number, cycle, extra))
        return waited

    def drain(self) -> dict[str, Any]:
        """Wait until the last cycle handed over is written and told; its summary."""
        self._idle.wait()
        self._raise()
        return self.summary

    def close(self) -> None:
        self._idle.wait()
        self._slot.put(None)
        self._thread.join(30)

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run(self) -> None:
        while (item := self._slot.get()) is not None:
            try:
                self.summary = self.store_cycle(*item)
            except BaseException as exc:  # raised in the loop at its next hand-over
                self.error = exc
            finally:
                self._idle.set()


def collect(
    settings: Settings,
    *,
    once: bool,
    interval_s: float | None = None,
    store=None,
    config_file: str | Path | None = None,
    observers: Sequence[CycleObserver] = (),
    shard: Shard | None = None,
    provinces: Sequence[int] | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Poll the deployment's centres into the store; with `once`, one cycle and its summary.
    Runs until SIGINT/SIGTERM, or until `stop` is set (a collector embedded in a thread).

    `store` defaults to `Store.open(settings.store.url)` (closed on return); a
    store passed in stays open. Returns the last cycle's summary. With `shard` or
    `provinces` the collector shares the fleet with others through leases
    (collectors/polling/leases.py). With its own store and `collector.spool_dir` set, it starts and
    keeps polling while the database is unreachable, spooling (collectors/writing/spool.py).
    """
    _log_handler()
    centres = deployment_centres(settings, config_file)
    targets = build_targets(settings, centres, site_file(settings, config_file), config_file)
    interval = interval_s or settings.collector.interval_s
    c = settings.collector
    opts = PollOptions.from_settings(c)
    leased = shard is not None or bool(provinces)
    assignment = assign(centres, shard, provinces) if leased else None
    keeper = (LeaseKeeper(assignment, interval, ttl_s=c.lease_ttl_s) if assignment
              else None)
    own_store = store is None
    spool = _open_spool(c, shard, provinces) if own_store and c.spool_dir else None
    write_bound = max(WRITE_BOUND * interval, MIN_WRITE_BOUND_S)
    opener = _store_opener(settings.store.url, centres, write_bound)
    writer = SpoolingWriter(opener, spool, store,
                            on_open=(lambda s: keeper.attach(s.engine)) if keeper else None,
                            name=_home_name(shard, provinces) or "",
                            bound_s=write_bound, ceiling_s=max(interval, write_bound))
    try:
        if not own_store:
            store.sync_centres(centres)
            if keeper:
                keeper.attach(store.engine)
        elif not writer.ensure_store():
            error = writer.open_error or RuntimeError("the database is unreachable")
            if spool is None:
                raise error
            writer.state = "unreachable"
            log.warning("database unreachable (%s); polling on, spooling to %s",
                        brief(error), spool.dir)
        def store_cycle(number: int, cycle: Cycle, extra: dict[str, Any]) -> dict[str, Any]:
            written_at = time.monotonic()
            samples = writer.write(cycle.results, budget_s=interval / 2)
            last = dict(writer.last)
            summary = summarise(cycle.results, samples, cycle.poll_s)
            write_s = time.monotonic() - written_at
            extra = {**last, **extra, **({"cells": sorted(keeper.polling)} if keeper else {})}
            _log_cycle(summary, cycle, write_s, {"cycle": number, **extra})
            # Observers also see the spool's state (the /readyz endpoint reports it).
            spooled = {"spool_files": len(spool), "spool_bytes": spool.bytes,
                       "spool_max_bytes": spool.max_bytes} if spool is not None else {}
            _notify(observers, cycle, {**summary, **extra, **spooled}, write_s, failing)
            return summary

        failing: set[int] = set()
        with (
            _Stop(stop) as stopping,
            Scheduler(targets, opts, workers=c.workers, concurrency=c.concurrency) as scheduler,
        ):
            late = LateResults(scheduler.late, writer.write_extra, observers)
            sink = CycleSink(store_cycle)
            try:
                origin = time.monotonic()
                tick = origin
                number, skipped_total = 0, 0
                while True:
                    number += 1
                    only = keeper.cycle() if keeper else None
                    cycle = scheduler.poll(tick + interval, only)
                    waited = sink.put(number, cycle, {"ticks_skipped": skipped_total})
                    if once or stopping.event.is_set():
                        return sink.drain()
                    following = next_tick(origin, interval, time.monotonic())
                    if (missed := round((following - tick) / interval) - 1) > 0:
                        skipped_total += missed
                        _record_behind(writer, _home_name(shard, provinces) or "",
                                       missed, skipped_total, interval)
                        log.warning(
                            "collection fell behind: cycle %d polled in %.2f s and waited "
                            "%.2f s for the previous write; %d tick(s) of %g s skipped "
                            "(%d so far)", number, cycle.poll_s, waited, missed, interval,
                            skipped_total)
                    tick = following
                    if stopping.event.wait(max(0.0, tick - time.monotonic())):
                        return sink.drain()
            finally:
                sink.close()
                late.close()
    finally:
        if keeper:
            keeper.close()
        if spool is not None:
            spool.close()
        if own_store and writer.store is not None:
            writer.store.close()


def _record_behind(writer: SpoolingWriter, name: str, missed: int, total: int,
                   interval_s: float) -> None:
    """Tell the pages that collection fell behind (metrics/store/cadence.py), if the store answers,
    in a thread of its own (a database that hangs never holds the loop); the log line says
    it either way."""
    store = writer.store
    if store is None or writer.state != "reachable":
        return
    at_ms = int(time.time() * 1000)

    def record() -> None:
        try:
            cadence.record(store.engine, name, at_ms, missed, total, interval_s)
        except DatabaseError as exc:
            log.debug("fall-behind not recorded: %s", brief(exc))

    threading.Thread(target=record, name="record-behind", daemon=True).start()


def _store_opener(url: str, centres: Sequence[Centre],
                  statement_timeout_s: float | None = None) -> Callable[[], Any]:
    """Opens the store and stores the centres. PostgreSQL gets the collector's connect
    timeout and TCP keepalives/user timeout (a setting in the URL wins); with
    `statement_timeout_s`, once the schema is migrated, every later connection gets that
    `statement_timeout` (lock_timeout: half of it) on PostgreSQL, that busy timeout on
    SQLite, so a write cannot wait on the database past it."""
    from metrics.store import Store

    url = dialects.with_pg_connect_args(url, COLLECTOR_PG_CONNECT)

    def open_store() -> Any:
        store = Store.open(url)
        try:
            store.sync_centres(centres)
        except Exception:
            store.close()
            raise
        if statement_timeout_s is not None:
            db_limits.limit_statements(store.engine, statement_timeout_s)
        return store

    return open_store


def _home_name(shard: Shard | None, provinces: Sequence[int] | None) -> str | None:
    """The collector's name for --shard/--provinces (its spool sub-folder, its gaps'
    `collector`), e.g. "shard-1of2-p46"; None without either."""
    if shard is None and not provinces:
        return None
    name = f"shard-{shard.index}of{shard.count}" if shard else "shard-1of1"
    if provinces:
        name += "-p" + "-".join(str(p) for p in sorted(provinces))
    return name


def _open_spool(c: Any, shard: Shard | None, provinces: Sequence[int] | None) -> Spool:
    """The spool of this collector: one sub-folder per --shard/--provinces."""
    folder = Path(c.spool_dir)
    if (name := _home_name(shard, provinces)) is not None:
        folder = folder / name
    return Spool(folder, c.spool_max_bytes)


def _notify(observers: Sequence[CycleObserver], cycle: Cycle, summary: dict[str, Any],
            write_s: float, failing: set[int]) -> None:
    """Tell each observer about the cycle; a failure is logged when it starts (a database
    error in one line, any other with its traceback) and when it ends, not every cycle.
    `failing` holds the ids of the observers failing now."""
    for observer in observers:
        try:
            observer.after_cycle(cycle, summary, write_s)
        except DatabaseError as exc:  # the database is away: one line, no traceback
            if id(observer) not in failing:
                failing.add(id(observer))
                log.warning("cycle observer %r failed: %s; tried again at each cycle",
                            observer, brief(exc))
            continue
        except Exception:  # an observer's bug must not stop the polling
            if id(observer) not in failing:
                failing.add(id(observer))
                log.exception("cycle observer %r failed; tried again at each cycle", observer)
            continue
        if id(observer) in failing:
            failing.discard(id(observer))
            log.info("cycle observer %r works again", observer)


def _log_cycle(summary: dict[str, Any], cycle: Cycle, write_s: float,
               extra: dict[str, Any] | None = None) -> None:
    line = {
        "at": round(time.time(), 3),
        **summary,
        "duration_ms": round((cycle.poll_s + write_s) * 1000),
        "write_s": round(write_s, 3),
        "worker_cpu_s": round(cycle.worker_cpu_s, 3),
        **(extra or {}),
    }
    if cycle.restarted:
        line["workers_restarted"] = cycle.restarted
    logs.event(log, "collect_cycle", **line)
