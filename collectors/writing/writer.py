"""The store with a spool behind it, for `ioc collect`: every cycle is written, spooled or
recorded as dropped, and the cycle loop never waits on a database that has stopped
answering.

Each cycle's database work (opening the store, recording gaps, replaying the spool, the
cycle's own write) runs in one worker thread that the loop waits for as long as it makes
progress: its store commits a transaction (a chunk of the cycle) at least every `bound_s`,
up to `ceiling_s` in all (the collector's interval). A write slower than the bound is let
finish rather than spooled and written again later, which would add to the load that made
it slow and leave the alerting blind meanwhile. A database that stops answering without
refusing (packets dropped, a stuck lock) leaves that thread blocked: after `bound_s`
without a commit, or at the ceiling, the loop abandons it — the cycle goes to the spool
and polling goes on — and while it is still blocked every later cycle is spooled at once.
When it ends with an error, its store is closed and a fresh one opened at the next cycle,
so no half-dead connection is used again; when it ends well (the database was only slow),
the store is kept. A write the
abandoned thread still completes and the same cycle replayed from the spool both land once:
the store's writes are idempotent on (centre, ts) and (series, ts).

The loop logs the database's state only when it changes (reachable → unreachable, write
stuck, reachable again with how many cycles were spooled meanwhile): one line each, no
traceback, however long the outage.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from collectors.writing.droplog import DropLog
from collectors.writing.gaps import Drop, merge
from collectors.writing.spool import Spool
from config import logs
from metrics.results import ProbeResult
from metrics.store import DatabaseError, db_limits, gaps

log = logging.getLogger("ioc.collector")

UP, DOWN, STUCK = "reachable", "unreachable", "stuck"
PROGRESS_CHECK_S = 0.1  # how often a long write's progress is looked at (the bound's precision)


def brief(exc: BaseException) -> str:
    """`Type: first line of the message`, for a log line."""
    orig = getattr(exc, "orig", None) or exc
    return f"{type(orig).__name__}: {str(orig).strip().splitlines()[0][:160] if str(orig) else ''}"


@dataclass
class _Attempt:
    """One cycle's database work, as done by its thread."""

    outcome: str = ""  # "written" | "spool" (the caller spools) | "failed"
    samples: int = 0
    error: Exception | None = None
    last: dict[str, Any] = field(default_factory=dict)
    abandoned: threading.Event = field(default_factory=threading.Event)


class SpoolingWriter:
    """Writes each cycle to the store, or to the spool when the store is unreachable,
    commits nothing for `bound_s` or takes longer than `ceiling_s`.

    `open_store` opens (and migrates) the store and syncs the centres; it is retried at
    every cycle while the database is down, so a collector may start without it. While
    spooled cycles remain, each cycle first replays them (oldest first, for at most
    `budget_s`) and goes to the spool's tail itself, so the store receives the cycles in
    the order they were polled; only if the spool cannot take it while the database is up
    is a cycle written straight away (out of order, never lost).

    A cycle the spool refuses is remembered first (`DropLog`, before its error line); once
    the database answers, the remembered cycles are written as gaps of collector `name`
    (`metrics.store.gaps.record`) and only then forgotten. Without a spool every write is made
    in the caller's thread and a database error is raised, as before.
    """

    def __init__(self, open_store: Callable[[], Any], spool: Spool | None,
                 store: Any = None, on_open: Callable[[Any], None] | None = None,
                 name: str = "", clock: Callable[[], float] = time.time,
                 bound_s: float = math.inf, ceiling_s: float = math.inf):
        self.open_store = open_store
        self.spool = spool
        self.store = store
        self.on_open = on_open
        self.name = name
        self.bound_s = bound_s
        self.ceiling_s = ceiling_s  # … and never longer than this in all
        self.drops = DropLog(spool.dir) if spool is not None else None
        self.run = f"{int(clock() * 1000):013d}-{os.getpid()}"  # this process, for the gaps
        self.seq = 0  # cycles written (or spooled, or dropped) by this process
        self.clock = clock
        self.last: dict[str, Any] = {}  # what the last write did, for the cycle's log line
        self.open_error: Exception | None = None
        self.state = UP
        self._away = 0  # cycles spooled or dropped since the database was last written
        self._busy: threading.Thread | None = None  # an abandoned attempt still running
        self._drop_error: str | None = None

    # --- the database ----------------------------------------------------------------

    def ensure_store(self) -> bool:
        if self.store is not None:
            return True
        try:
            self.store = self.open_store()
        except DatabaseError as exc:
            self.open_error = exc
            return False
        if self.on_open is not None:
            self.on_open(self.store)
        return True

    def _attempt(self, results: list[ProbeResult], budget_s: float, a: _Attempt) -> None:
        """The cycle's database work (run in its own thread): gaps, replay, the write.
        Never spools a failed cycle itself; that is the caller's."""
        written = 0
        try:
            if not self.ensure_store():
                a.outcome, a.error = "failed", self.open_error
                return
            self._record_gaps(a.last)
            if self.spool is not None and len(self.spool):
                replayed, written = self.spool.replay(self.store.write, budget_s)
                a.last["replayed"] = replayed
                if len(self.spool) and not a.abandoned.is_set():
                    if self.spool.try_put(results) is not None:
                        a.last["spooled"] = len(results)
                        a.last["spool_files"] = len(self.spool)
                        a.outcome, a.samples = "written", written
                        return
                    log.warning("spool: cannot take this cycle while replaying (%s); "
                                "written out of order", (self.spool.refusal or ("", ""))[1])
            if a.abandoned.is_set():
                a.outcome, a.samples = "spool", written
                return
            a.outcome, a.samples = "written", written + self.store.write(results)
        except DatabaseError as exc:
            a.outcome, a.samples, a.error = "failed", written, exc
        finally:
            if a.abandoned.is_set() and a.outcome == "failed":
                self._close_store()

    def _sever(self) -> None:
        """Cut the abandoned attempt's database connections (PostgreSQL), so its thread
        fails now rather than when TCP gives up; a store still opening ends by its
        connect timeout."""
        store = self.store
        if store is not None:
            db_limits.sever(store.engine)

    def _close_store(self) -> None:
        """Forget the store an abandoned attempt used (its connections may be half dead)."""
        store, self.store = self.store, None
        if store is not None:
            try:
                store.close()
            except Exception as exc:  # closing a dead connection may fail; it is gone anyway
                log.debug("closing the abandoned store: %s", brief(exc))

    def write(self, results: list[ProbeResult], budget_s: float = math.inf) -> int:
        """Write (or spool) one cycle; the samples newly stored by this call (replays
        included). Raises a database error only when there is no spool to keep it."""
        self.last = {}
        self.seq += 1
        if self.spool is None:
            return self._write_unspooled(results)
        if self._busy is not None:
            if self._busy.is_alive():
                self.last["db"] = STUCK
                return self._spool(results)
            self._busy = None
        a = _Attempt()
        job = threading.Thread(target=self._attempt, args=(results, budget_s, a),
                               name="store-write", daemon=True)
        job.start()
        if not self._finishes(job):
            a.abandoned.set()
            self._busy = job
            self._sever()
            self.last["db"] = STUCK
            self._set_state(STUCK, f"the database write committed nothing for "
                                   f"{self.bound_s:.1f} s, or ran past {self.ceiling_s:g} s; "
                                   "abandoned")
            return self._spool(results)
        self.last.update(a.last)
        if a.outcome == "written":
            self._set_state(UP, "")
            self._away = 0
            return a.samples
        if a.outcome == "failed":
            self._set_state(DOWN, brief(a.error) if a.error else "")
            self.last["db"] = DOWN
        return a.samples + self._spool(results)

    def _finishes(self, job: threading.Thread) -> bool:
        """Wait for `job` while its store commits a transaction at least every `bound_s`, for
        at most `ceiling_s` in all; whether it ended. A write slower than the bound that keeps
        committing (a national cycle on a busy machine) runs to its end, so the database
        stays up to date and the re-probes stay written; one that commits nothing for
        `bound_s`, or outlasts the ceiling, is abandoned."""
        if math.isinf(self.bound_s):
            job.join()
            return True
        started = time.monotonic()
        seen, since = self._commits(), started
        while True:
            job.join(PROGRESS_CHECK_S)
            if not job.is_alive():
                return True
            now = time.monotonic()
            if now - started >= self.ceiling_s:
                return False
            if (commits := self._commits()) != seen:
                seen, since = commits, now
            elif now - since >= self.bound_s:
                return False

    def _commits(self) -> int:
        """The current store's committed writes (0 before it is open)."""
        store = self.store
        return store.commits if store is not None else 0

    def write_extra(self, results: list[ProbeResult]) -> bool:
        """Write results made between cycles (re-probes) straight to the store while it is
        reachable; whether they were. While it is not (or a write is stuck) they are not
        written, nor spooled — the cycles are, and they observe every centre again. A
        database error is raised."""
        store = self.store
        if store is None or self.state != UP or (self._busy is not None
                                                 and self._busy.is_alive()):
            return False
        store.write(results)
        return True

    def _write_unspooled(self, results: list[ProbeResult]) -> int:
        if not self.ensure_store():
            raise self.open_error or RuntimeError("the database is unreachable")
        return self.store.write(results)

    def _set_state(self, state: str, why: str) -> None:
        """Log the database's state when it changes; never once per cycle."""
        if state == self.state:
            return
        previous, self.state = self.state, state
        where = str(self.spool.dir) if self.spool is not None else ""
        if state == UP:
            logs.event(log, "database_reachable", logging.WARNING, after=previous,
                       cycles_kept_away=self._away,
                       spooled_files=len(self.spool) if self.spool is not None else 0)
            if self.spool is not None:
                self.spool.outage_over()
        else:
            logs.event(log, f"database_{state}", logging.ERROR, why=why, spool=where,
                       policy="polling goes on; cycles go to the spool and are replayed "
                              "once the database answers")

    # --- the spool -------------------------------------------------------------------

    def _spool(self, results: list[ProbeResult]) -> int:
        assert self.spool is not None
        self._away += 1
        if self.spool.try_put(results) is not None:
            self.last["spooled"] = len(results)
        else:
            self._remember_drop(results)  # remembered before the drop is logged
            self.spool.refused(results)
            self.last["dropped"] = len(results)
            self.last["drop_reason"] = (self.spool.refusal or ("", ""))[0]
        self.last["spool_files"] = len(self.spool)
        self.last["spool_bytes"] = self.spool.bytes
        return 0

    def _remember_drop(self, results: list[ProbeResult]) -> None:
        assert self.spool is not None and self.drops is not None
        times = [round(r.ts * 1000) for r in results] or [round(self.clock() * 1000)]
        reason = (self.spool.refusal or (gaps.SPOOL_FULL, ""))[0]
        drop = Drop(run=self.run, seq=self.seq, start_ms=min(times), end_ms=max(times),
                    centres=tuple(sorted({r.centre_id for r in results})), polls=len(results),
                    spool_bytes=self.spool.bytes, max_bytes=self.spool.max_bytes,
                    reason=reason)
        error = self.drops.add(drop)
        if error is None:
            self._drop_error = None
        elif self._drop_error is None:  # one line when the record starts failing
            self._drop_error = str(error)
            log.error("spool: cannot record dropped cycles in %s (%s); they are kept in "
                      "memory and become gaps once the database answers, unless the "
                      "collector stops first", self.drops.path, error.strerror or error)

    def _record_gaps(self, last: dict[str, Any]) -> None:
        """Write the remembered dropped cycles as gaps, then forget those (the database
        raising leaves them for the next cycle; writing them twice changes nothing)."""
        if self.drops is None or not self.drops.pending:
            return
        drops = self.drops.read()
        found = merge(drops)
        gaps.record(self.store.engine, self.name, found)
        try:
            self.drops.forget({(d.run, d.seq) for d in drops})
        except OSError as exc:  # recorded already; the next cycle records them again, once
            log.error("spool: cannot update %s (%s)", self.drops.path, exc)
        last["gaps"] = len(found)
        for g in found:
            logs.event(log, "collection_gap", logging.WARNING, collector=self.name,
                       start_ms=g.start_ms, end_ms=g.end_ms, cycles=g.cycles,
                       centres=len(g.centres), reason=g.reason, **g.detail)
