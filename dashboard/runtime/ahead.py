"""Values computed ahead: one background thread per database computes, once per collection
cycle, what the sessions asked for lately, so a session finds it ready (or in flight) and
only reads it.

A `Refresher` remembers jobs by key (`want`: what a page will ask for again, e.g. the wall
of one scope and province with its map), each with when a session last asked for it. A job
no session asked for in `keep_s` is forgotten, unless it is pinned (the deployment's own
wall). Every `every_s` the thread reads the cycle's marker (the caller's cheap reads,
`dashboard.runtime.live`); a new marker runs each remembered job once, in the order they
were first asked for (and a job asked for the first time runs at the next look, once for
the marker it finds). A job computes through the live state, so a session asking meanwhile
waits for that same computation instead of starting its own. A failing job is logged and
run again at the next marker; the live state keeps nothing of it, so a session asking
computes (and is shown the error) itself.

Jobs run outside every Streamlit session: they must not call an `st.*` function that needs
one (`st.cache_data` and `st.cache_resource` functions do not).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from dashboard.runtime.live import Marker

LOG = logging.getLogger(__name__)
EVERY_S = 2.0  # how often the marker is read (its reads are shared and cached as long)
KEEP_S = 600.0  # a job no session asked for in this long is forgotten


@dataclass
class _Job:
    run: Callable[[], object]
    asked: float  # when a session last asked (the refresher's clock)
    pinned: bool
    ran: Marker | None = None  # the marker it last ran for


class Refresher:
    """Runs the remembered jobs once per new marker, in one background thread."""

    def __init__(self, marker: Callable[[], Marker], *, every_s: float = EVERY_S,
                 keep_s: float = KEEP_S, clock: Callable[[], float] = time.monotonic):
        self.every_s, self.keep_s = every_s, keep_s
        self._marker, self._clock = marker, clock
        self._jobs: dict[Hashable, _Job] = {}
        self._lock = threading.Lock()
        self._failing: str | None = None  # the marker read's last error, logged once
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def want(self, key: Hashable, run: Callable[[], object], *, pinned: bool = False) -> None:
        """A session asked for `key`: keep running `run` once per new cycle (a key already
        remembered keeps its first `run` and place, and is asked for again now)."""
        now = self._clock()
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                self._jobs[key] = _Job(run, now, pinned)
            else:
                job.asked = now
                job.pinned = job.pinned or pinned

    def keys(self) -> list[Hashable]:
        """The remembered keys, in the order they run."""
        with self._lock:
            return list(self._jobs)

    def step(self) -> int:
        """One look at the marker: forget the expired jobs and run each job not yet run for
        this marker, once (failed or not). How many ran without error."""
        try:
            marker = self._marker()
        except Exception as exc:  # the store does not answer: the sessions say so
            text = f"{type(exc).__name__}: {exc}"
            if text != self._failing:
                LOG.warning("dashboard.runtime.ahead: cannot read the cycle's marker: %s", text)
                self._failing = text
            return 0
        self._failing = None
        now = self._clock()
        with self._lock:
            for key in [k for k, j in self._jobs.items()
                        if not j.pinned and now - j.asked > self.keep_s]:
                del self._jobs[key]
            jobs = [(k, j) for k, j in self._jobs.items() if j.ran != marker]
        done = 0
        for key, job in jobs:
            if self._stop.is_set():
                break
            job.ran = marker
            try:
                job.run()
                done += 1
            except Exception:
                LOG.exception("dashboard.runtime.ahead: computing %r failed (retried next "
                              "cycle)", key)
        return done

    def start(self, name: str = "ioc-ahead") -> None:
        """Start the thread (once): a step now, then one every `every_s`."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self.step()
            if self._stop.wait(self.every_s):
                return

    def stop(self, wait_s: float = 0.0) -> None:
        """Stop the thread after the job it runs (if any), waiting at most `wait_s` for it."""
        self._stop.set()
        thread = self._thread
        if wait_s > 0 and thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)
