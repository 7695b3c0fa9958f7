"""A gate that bounds how many polls are *busy* at once, not how many are in flight.

A worker runs up to `concurrency` threads so that hundreds of hung centres can
wait out their timeouts side by side. But a poll that gets its answer at once
is pure CPU, and a few hundred such threads in one process only fight over the
GIL (measured: twice the CPU per poll at 192 runnable threads as at 32). So a
poll holds one of `limit` slots while it is young, and gives it back when it
ends or once it has run `young_s` (by then it is waiting on a slow centre and
costs nothing), whichever is first.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time


class YoungGate:
    """At most `limit` polls in their first `young_s` seconds at once."""

    def __init__(self, limit: int, young_s: float):
        self.young_s = young_s
        # Free slots as tokens in a SimpleQueue: its blocking get and put are C, where
        # threading.Semaphore's are Python (a Condition, a lock made per wait); a poll
        # takes and gives back a slot, and with hundreds of threads waiting, most of
        # those calls wake or park a thread.
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(limit):
            self._slots.put(None)
        self._lock = threading.Lock()
        self._held: dict[int, float] = {}  # token → when its poll started (monotonic)
        self._tokens = itertools.count()

    def enter(self) -> int:
        """Wait for a slot; the token to give to `leave`."""
        self._slots.get()
        token = next(self._tokens)
        with self._lock:
            self._held[token] = time.monotonic()
        return token

    def leave(self, token: int) -> None:
        """The poll ended: free its slot unless `reap` already did."""
        with self._lock:
            held = self._held.pop(token, None)
        if held is not None:
            self._slots.put(None)

    def reap(self) -> int:
        """Free the slots of polls older than `young_s`; how many were freed."""
        cutoff = time.monotonic() - self.young_s
        with self._lock:
            old = [t for t, started in self._held.items() if started <= cutoff]
            for t in old:
                del self._held[t]
        for _ in old:
            self._slots.put(None)
        return len(old)
