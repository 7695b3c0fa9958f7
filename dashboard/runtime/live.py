"""The dashboard's live state: what the pages show of the current collection cycle, read and
computed once per cycle in the process and handed to every session as the same object.

A `Live` (one per database, held by `st.cache_resource`) knows the current `Cycle`, named by
a marker the caller reads cheaply and at most every few seconds (the newest poll, the alert
tables' version, the store's late-writes count: `dashboard.loaders.common.cycle`). A new
marker starts a new cycle; the previous one is kept only until the new one has its values.

A `Cycle` holds, per key (e.g. the wall of one scope and province), the value computed for
it in this cycle. One session computes a missing value while the others wait for it, or, when
the previous cycle has one, show that one meanwhile: the previous cycle's data, whole, with
its own time, never half of each. Values are shared, not copied: nothing may change them. A
cycle keeps at most `max_entries` values (least recently used go first) and nothing outlives
the next cycle, so memory follows the number of pages shown, not the time the process runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
Marker = tuple[Any, ...]  # what names a cycle (the caller's cheap reads: newest poll, versions)
MAX_ENTRIES = 256  # values a cycle keeps (walls, figures, drill-downs of the cycle)
_MISSING = object()


class Cycle:
    """The values computed for one collection cycle (`marker`), shared by every session."""

    def __init__(self, marker: Marker, previous: Cycle | None = None,
                 max_entries: int = MAX_ENTRIES):
        self.marker = marker
        self.previous = previous
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many values were computed in this cycle

    def peek(self, key: Hashable) -> Any:
        """The value held for `key`, or `_MISSING`."""
        with self._lock:
            return self._values.get(key, _MISSING)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of `key` in this cycle: `compute()`d once, by the first session asking.

        While it computes, other sessions get the previous cycle's value of `key` if it had
        one, else wait for it. An error is raised to the session that computed and nothing
        is kept: the next session asking computes again."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = threading.Lock()
                    flight.acquire()
                    break
            if self.previous is not None:
                older = self.previous.peek(key)
                if older is not _MISSING:
                    return older
            with flight:  # wait for the session computing it, then look again
                pass
        try:
            value = compute()
            with self._lock:
                self._values[key] = value
                self.computed += 1
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
        finally:
            with self._lock:
                del self._flights[key]
            flight.release()
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


class Live:
    """The current cycle of one database (`at`), shared by every session of the process."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._current: Cycle | None = None
        self._lock = threading.Lock()

    def at(self, marker: Marker) -> Cycle:
        """The cycle named `marker`: the current one, or a new one that replaces it (the
        current one then serves only while the new one computes its values)."""
        current = self._current
        if current is not None and current.marker == marker:
            return current
        with self._lock:
            current = self._current
            if current is None or current.marker != marker:
                if current is not None:
                    current.previous = None  # one cycle back at most
                current = self._current = Cycle(marker, current, self.max_entries)
            return current
