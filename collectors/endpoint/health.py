"""The collector's liveness (`/healthz`) and readiness (`/readyz`), beside /metrics.

`CollectorHealth` is a cycle observer (collectors.service.CycleObserver): it notes when each
cycle finished and the spool's state. From that, with an injected clock and store probe:

- **live** while cycles keep finishing: the latest ended (or, before the first, the
  collector started) at most `stale_after_s` ago — three poll intervals plus the retention
  budget, since a cycle polls for at most one interval, writes for at most half of one and
  the retention observer may then prune for `budget_s`. A stuck collector goes 503, so a
  supervisor may restart it.
- **ready** when the configuration is loaded (it is, or the process would not run), a cycle
  has finished, and the database answers with this code's schema version
  (`metrics.store.check`). While the database is down the collector stays live (it polls
  and spools) but not ready; the body says why and how full the spool is.

Each answer is `(HTTP status, JSON-able body)`: 200 or 503, `status` and `reasons`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config.loader import config_path
from metrics.store.check import StoreCheck

STALE_INTERVALS = 3


class CollectorHealth:
    """What /healthz and /readyz answer, from the cycles seen and a probe of the store."""

    def __init__(self, interval_s: float, check_store: Callable[[], StoreCheck], *,
                 config_file: str | Path | None = None, slack_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.stale_after_s = STALE_INTERVALS * interval_s + slack_s
        self.check_store = check_store
        self.config_file = str(config_path(config_file))  # IOC_CONFIG's file when none given
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._last_end: float | None = None
        self._cycles = 0
        self._last: dict[str, Any] = {}

    def after_cycle(self, cycle: Any, summary: dict[str, Any], write_s: float) -> None:
        """Note a finished cycle and what its write did (spooled, dropped, spool size)."""
        with self._lock:
            self._last_end = self._clock()
            self._cycles += 1
            self._last = dict(summary)

    def live(self) -> tuple[int, dict[str, Any]]:
        """(200 | 503, body): are cycles still finishing?"""
        with self._lock:
            now, last_end, cycles = self._clock(), self._last_end, self._cycles
        since = now - (last_end if last_end is not None else self._started)
        body: dict[str, Any] = {"cycles": cycles, "stale_after_s": round(self.stale_after_s, 3)}
        if last_end is not None:
            body["last_cycle_age_s"] = round(since, 3)
        if since <= self.stale_after_s:
            what = "no cycle finished yet, started" if last_end is None else "last cycle finished"
            return 200, {"status": "ok", "reasons": [f"{what} {since:.1f} s ago"], **body}
        what = "no cycle finished since the start" if last_end is None else "no cycle finished"
        return 503, {"status": "stale", "reasons": [
            f"{what} {since:.1f} s ago (limit {self.stale_after_s:.1f} s): polling is stuck"],
            **body}

    def ready(self) -> tuple[int, dict[str, Any]]:
        """(200 | 503, body): configuration loaded, a cycle done, database at our schema."""
        store = self.check_store()
        with self._lock:
            cycles, last = self._cycles, dict(self._last)
        reasons: list[str] = []
        if cycles == 0:
            reasons.append("no cycle finished yet")
        if not store.ok:
            reasons.append(store.reason)
        if "dropped" in last:
            reasons.append(f"the spool is full: the latest cycle ({last['dropped']} polls) "
                           "was dropped")
        checks: dict[str, Any] = {
            "config": {"ok": True, "file": self.config_file},
            "database": store.to_json(),
            "cycles": cycles,
        }
        if "spool_files" in last:
            checks["spool"] = {k.removeprefix("spool_"): last[k]
                               for k in ("spool_files", "spool_bytes", "spool_max_bytes")
                               if k in last}
        if reasons:
            return 503, {"status": "not ready", "reasons": reasons, "checks": checks}
        return 200, {"status": "ready", "reasons": [store.reason], "checks": checks}
