"""A full garbage collection once a minute in the dashboard process, off the page runs.

Streamlit's own collection after every script run (`runner.postScriptGC`) holds the GIL
for every session on each run, so `ioc dashboard` turns it off; this thread bounds how long
cyclic garbage can wait to one minute, for about a tenth of a percent of a core.

Each minute it also drops the compute locks Streamlit's caches keep for every key they ever
computed (dashboard/runtime/cache_locks.py), before collecting.
"""

from __future__ import annotations

import gc
import logging
import threading

from dashboard.runtime import cache_locks

log = logging.getLogger(__name__)

EVERY_S = 60.0


class Pacer:
    """A daemon thread that prunes the caches' compute locks and runs `gc.collect()` every
    `every_s` seconds until stopped."""

    def __init__(self, every_s: float = EVERY_S):
        self.every_s = every_s
        self.runs = 0
        self.locks_pruned = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ioc-gc-pacer", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.locks_pruned += cache_locks.prune() or 0
            except Exception:  # housekeeping must not stop the collections
                log.exception("pruning Streamlit's cache locks failed")
            gc.collect()
            self.runs += 1

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


_lock = threading.Lock()
_pacer: Pacer | None = None


def start() -> Pacer:
    """The process's one running pacer, started on the first call (by the server's
    lifespan, dashboard/server.py)."""
    global _pacer
    with _lock:
        if _pacer is None or not _pacer.thread.is_alive():
            _pacer = Pacer()
            _pacer.thread.start()
        return _pacer
