"""Drop the per-key compute locks that Streamlit's caches would otherwise keep for ever.

Streamlit 1.67's function caches (`streamlit/runtime/caching/cache_utils.py`, `Cache`) make a
`threading.Lock` for every value key they compute, so that sessions asking for the same
missing value wait for one computation, and forget those locks only when the whole cache is
cleared: not when the entry expires or is evicted. Our live entries are keyed on the newest
poll, so every poll adds keys, and their locks would be held for the life of the process.

`prune()` drops every lock nobody holds. A computation that is running keeps its lock, so
sessions still wait for it; a session that fetched a lock a moment before it was dropped
still uses it, and one more session may then compute the same value once. The cached values
themselves are untouched. It reads Streamlit's private attributes (the version is pinned in
requirements.txt); if they are missing it does nothing and says so, once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
_warned = False  # whether prune() has said that it cannot work here


def function_caches() -> list[Any] | None:
    """Every `st.cache_data` and `st.cache_resource` function cache of this process, or None
    when this Streamlit does not keep them where 1.67 does."""
    try:
        from streamlit.runtime.caching.cache_data_api import _data_caches
        from streamlit.runtime.caching.cache_resource_api import _resource_caches
    except ImportError:
        return None
    found = []
    for manager in (_data_caches, _resource_caches):
        lock, by_scope = (getattr(manager, "_caches_lock", None),
                          getattr(manager, "_function_caches", None))
        if lock is None or not isinstance(by_scope, dict):
            return None
        with lock:
            found += [c for caches in by_scope.values() for c in caches.values()]
    return found


def prune_cache(cache: Any) -> int:
    """Drop the unheld compute locks of one function cache; how many were dropped."""
    with cache._value_locks_lock:
        locks: dict[str, threading.Lock] = cache._value_locks
        idle = [key for key, lock in locks.items() if not lock.locked()]
        for key in idle:
            del locks[key]
    return len(idle)


def prune() -> int | None:
    """Drop the unheld compute locks of every function cache; how many were dropped, or
    None when Streamlit's internals are not as expected (nothing is changed then)."""
    caches = function_caches()
    if caches is None or not all(hasattr(c, "_value_locks") and hasattr(c, "_value_locks_lock")
                                 for c in caches):
        global _warned
        if not _warned:  # once: the pacer asks every minute
            log.warning("Streamlit's caches are not laid out as in 1.67: their compute locks "
                        "are not pruned")
            _warned = True
        return None
    return sum(prune_cache(c) for c in caches)
