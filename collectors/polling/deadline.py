"""Deadlines that end a socket's exchange wherever it is blocked.

A per-operation socket timeout bounds each `recv`, not the exchange: a centre that sends one
byte every 0.5 s never trips a 3 s read timeout and can hold a poll for as long as it likes.
A `Reaper` watches sockets against absolute deadlines on the monotonic clock and shuts a
socket down (`SHUT_RDWR`) the moment its deadline passes, which wakes the thread blocked in
it at once (the read returns end-of-stream or fails) — in the connect, the headers or the
body alike. One reaper thread serves every socket of a process; it sleeps until the
earliest deadline and costs nothing while no deadline is near.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Watch:
    deadline: float
    seq: int
    sock: socket.socket | None = field(compare=False, default=None)
    fired: bool = field(compare=False, default=False)
    released: bool = field(compare=False, default=False)


class Watch:
    """One watched socket; `fired` says whether its deadline shut it down."""

    __slots__ = ("_w",)

    def __init__(self, w: _Watch):
        self._w = w

    @property
    def fired(self) -> bool:
        return self._w.fired

    @property
    def deadline(self) -> float:
        return self._w.deadline


class Reaper:
    """Shuts down watched sockets whose deadline has passed (one daemon thread, lazily)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._heap: list[_Watch] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> Watch:
        """Shut `sock` down at `deadline` (on `clock`) unless released first."""
        w = _Watch(deadline, next(self._seq), sock)
        with self._cond:
            if deadline <= self.clock():
                w.fired = True
                _shutdown(sock)
            else:
                heapq.heappush(self._heap, w)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="io-deadlines",
                                                    daemon=True)
                    self._thread.start()
                if self._heap[0] is w:
                    self._cond.notify()
        return Watch(w)

    def release(self, watch: Watch) -> bool:
        """Stop watching; whether the deadline had already fired."""
        with self._cond:
            watch._w.released = True
            watch._w.sock = None  # the socket may be reused by the next exchange
            return watch._w.fired

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0].released:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                first = self._heap[0]
                wait = first.deadline - self.clock()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                first.fired = True
                if first.sock is not None:
                    _shutdown(first.sock)
                    first.sock = None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its owner: nothing to end
        sock.shutdown(socket.SHUT_RDWR)
