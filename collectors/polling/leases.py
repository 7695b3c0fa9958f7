"""The lease shell: several collectors share the fleet through `collector_leases`.

`LeaseKeeper.cycle()` runs at the start of each collector cycle: it reads the lease rows
and the database's clock, lets `collectors.polling.shard.plan` decide, applies the plan (each
acquisition is one conditional UPDATE or INSERT, so two collectors can never both win a
cell) and returns the centres to poll this cycle. A background thread renews the held
leases every `ttl / 4`, so a long cycle never lets them lapse; a collector that stops
(killed, hung, cut off from the database) stops renewing, its leases expire after `ttl`,
and the others take its cells at the start of their next cycle. With `ttl` = ¾ of the
poll interval that is at most 1¾ intervals after its last renewal.

When the database cannot be reached the keeper keeps the cells it last held (or its home
cells if it never reached the database): while the database is down nobody can take them
over, so nothing goes unpolled. The same when it does not answer: each cycle's lease work
runs in a thread the cycle waits for at most `bound_s`, and is not started again while the
last is still blocked, so a database dropping packets never holds the polling. The outage
is logged when it starts and when it ends, not at every cycle. Times are ms on the
database's clock (PostgreSQL's `clock_timestamp()`), so the collectors' own clocks may
disagree.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from collectors.polling.shard import CLAIM_PREFIX, Assignment, Lease, Plan, plan
from metrics.store import Connection, DatabaseError, Engine
from metrics.store import leases as table
from metrics.store.dialects import write_transaction

log = logging.getLogger("ioc.collector")

TTL_FRACTION = 0.75  # of the poll interval
RENEWALS_PER_TTL = 4
MIN_BOUND_S = 1.0  # the least a cycle waits for its lease work (else: half the ttl)


class LeaseConflict(RuntimeError):
    """Live collectors on this database cut the fleet into a different number of shards."""


def holder_id() -> str:
    """This process's holder id: host, pid and a nonce (a restarted collector is new)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


def read_leases(conn: Connection) -> dict[str, Lease]:
    return {k: Lease(h, e) for k, (h, e) in table.read(conn).items()}


class LeaseKeeper:
    """This collector's leases on `engine`; `cycle()` at each cycle start, `close()` at exit."""

    def __init__(self, assignment: Assignment, interval_s: float, *,
                 holder: str | None = None, ttl_s: float | None = None):
        self.assignment = assignment
        self.me = holder or holder_id()
        self.ttl_ms = int(1000 * (ttl_s or TTL_FRACTION * interval_s))
        self.engine: Engine | None = None
        self.held: frozenset[str] = frozenset()  # keys (cells and claims) held in the database
        self.polling: frozenset[str] = assignment.home  # cells polled; home until we know
        self.checked = False  # a cycle() reached the database at least once
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()
        self.bound_s = max(self.ttl_ms / 2000, MIN_BOUND_S)
        self._job: threading.Thread | None = None
        self._error: BaseException | None = None
        self._reachable = True  # as last said in the log

    def attach(self, engine: Engine) -> None:
        """Use `engine` (the store's) from now on, and start renewing in the background."""
        self.engine = engine
        if self._thread is None:
            self._thread = threading.Thread(target=self._renew_loop, name="lease-renewal",
                                            daemon=True)
            self._thread.start()

    def cycle(self) -> frozenset[str]:
        """Apply this cycle's plan, waiting at most `bound_s`; the centre ids to poll. Never
        raises for the database (LeaseConflict on the first contact only)."""
        if self.engine is None:
            return self.assignment.centres_of(self.polling)
        if self._job is not None and self._job.is_alive():
            return self.assignment.centres_of(self.polling)  # still blocked: said already
        self._error = None
        self._job = threading.Thread(target=self._apply_locked, args=(self.engine,),
                                     name="lease-cycle", daemon=True)
        self._job.start()
        self._job.join(self.bound_s)
        if self._job.is_alive():
            self._say(False, f"no answer within {self.bound_s:.1f} s")
        elif isinstance(self._error, LeaseConflict):
            raise self._error
        elif self._error is not None:
            self._say(False, type(self._error).__name__)
        else:
            self._say(True, "")
        return self.assignment.centres_of(self.polling)

    @property
    def reachable(self) -> bool:
        """Whether the last cycle's lease work reached the database in time."""
        return self._reachable

    def _apply_locked(self, engine: Engine) -> None:
        try:
            with self._lock:
                self._apply(engine)
        except (DatabaseError, LeaseConflict) as exc:
            self._error = exc

    def _say(self, reachable: bool, why: str) -> None:
        """Log the database's state for the leases when it changes."""
        if reachable == self._reachable:
            return
        self._reachable = reachable
        if reachable:
            log.warning("leases: database reachable again")
        else:
            log.warning("leases: database unreachable (%s); polling the %d cells held before",
                        why, len(self.polling))

    def _apply(self, engine: Engine) -> None:
        with write_transaction(engine) as conn:
            now = table.db_now_ms(conn)
            p = plan(self.me, read_leases(conn), now, self.assignment)
            self._check_foreign(p)
            until = now + self.ttl_ms
            if p.release:
                table.delete(conn, self.me, p.release)
            if p.drop_claims:
                table.delete(conn, self.me, p.drop_claims)
            kept = set(p.renew)
            if kept:
                table.extend(conn, self.me, kept, until)
            won = {k for k in (*p.acquire, *sorted(p.claim))
                   if table.try_acquire(conn, k, self.me, now, until)}
        held = frozenset(kept | won)
        cells = frozenset(k for k in held if not k.startswith(CLAIM_PREFIX))
        gained, lost = cells - self.polling, self.polling - cells
        if gained or lost or not self.checked:
            log.info("leases: %s polls %d cells (%d centres)%s%s", self.me, len(cells),
                     len(self.assignment.centres_of(cells)),
                     f"; took {sorted(gained)}" if gained else "",
                     f"; gave up {sorted(lost)}" if lost else "")
        self.held, self.polling, self.checked = held, cells, True

    def _check_foreign(self, p: Plan) -> None:
        if not p.foreign:
            return
        message = (f"live collectors hold {sorted(p.foreign)[:4]}, cut into another number "
                   f"of shards than this one's {self.assignment.count}: every collector "
                   "sharing a database must use the same N in --shard I/N")
        if not self.checked:
            raise LeaseConflict(message)
        if message not in self._warned:
            self._warned.add(message)
            log.error("leases: %s", message)

    def renew(self) -> int:
        """Extend every lease this collector holds by `ttl` from now; how many were extended."""
        if self.engine is None or not self.held:
            return 0
        with self._lock, write_transaction(self.engine) as conn:
            return table.extend(conn, self.me, self.held, table.db_now_ms(conn) + self.ttl_ms)

    def _renew_loop(self) -> None:
        period = self.ttl_ms / 1000 / RENEWALS_PER_TTL
        while not self._stop.wait(period):
            try:
                renewed = self.renew()
            except DatabaseError as exc:
                log.debug("leases: renewal failed: %s", exc)
                continue
            if renewed < len(self.held):
                log.warning("leases: %s renewed %d of %d leases (another collector took the "
                            "rest after they lapsed)", self.me, renewed, len(self.held))

    def close(self, release: bool = True) -> None:
        """Stop renewing; with `release`, free the held cells at once for the others."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if release and self.engine is not None and self.held:
            try:
                with self._lock:
                    table.release_all(self.engine, self.me)
            except DatabaseError as exc:
                log.warning("leases: could not release on exit (%s); they expire in %.1f s",
                            type(exc).__name__, self.ttl_ms / 1000)

