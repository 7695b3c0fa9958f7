"""SQLite's one writer, shared fairly within a process: write transactions on one engine take
turns in the order they asked.

SQLite lets one transaction write at a time and makes the others poll for the lock
(busy_timeout) with growing sleeps, so a writer that commits and begins again at once (a
national cycle written in chunks) keeps the lock until it is done, and a small write
asking meanwhile (the alert engine's, just after a re-probe confirmed an outage) waits
for the whole cycle instead of for one chunk. Here the process's writers queue first:
each gets the lock after those that asked before it. Another process's writers still
meet SQLite's own polling. PostgreSQL writes concurrently and takes no turn.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine


class TurnTimeout(sa.exc.SQLAlchemyError):
    """A writer waited longer than its bound for the writers ahead of it."""


class Turns:
    """A first-come, first-served lock: each `turn` waits for every earlier one to end."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed out
        self._serving = 0  # the ticket whose turn it is
        self._gave_up: set[int] = set()  # tickets whose writer stopped waiting

    @contextmanager
    def turn(self, timeout_s: float | None = None) -> Iterator[None]:
        """Wait for this caller's turn (at most `timeout_s`, then TurnTimeout; None: as long
        as it takes), hold it inside."""
        with self._cond:
            ticket = self._issued
            self._issued += 1
            if not self._cond.wait_for(lambda: self._serving == ticket, timeout_s):
                # Given up: when the queue reaches this ticket it passes straight on.
                self._gave_up.add(ticket)
                raise TurnTimeout(f"waited {timeout_s} s for this process's "
                                  f"{ticket - self._serving} earlier database writers")
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                while self._serving in self._gave_up:
                    self._gave_up.discard(self._serving)
                    self._serving += 1
                self._cond.notify_all()


_turns: weakref.WeakKeyDictionary[Engine, Turns] = weakref.WeakKeyDictionary()
_made = threading.Lock()


def turns(engine: Engine) -> Turns:
    """The queue of `engine`'s writers in this process (one per engine)."""
    with _made:
        found = _turns.get(engine)
        if found is None:
            found = _turns[engine] = Turns()
        return found
