"""Streamlit's per-key compute locks are dropped once idle; values and held locks stay."""

from __future__ import annotations

import threading
import time

import streamlit as st

from dashboard.runtime import cache_locks, gc_pacer


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def _square(n: int) -> int:
    return n * n


def _locks_total() -> int:
    return sum(len(c._value_locks) for c in cache_locks.function_caches())


def test_every_new_key_leaves_a_lock_until_pruned_and_pruning_keeps_the_values():
    _square.clear()
    before = _locks_total()
    assert [_square(n) for n in range(200)] == [n * n for n in range(200)]
    # Streamlit keeps one lock per key it computed, though max_entries=4 evicted the values.
    assert _locks_total() - before >= 200
    assert cache_locks.prune() >= 200
    assert _locks_total() == 0
    assert _square(199) == 199 * 199 and _square(3) == 9  # the cache still answers


def test_a_held_lock_is_kept():
    _square.clear()
    _square(7)
    caches = [c for c in cache_locks.function_caches() if c._value_locks]
    assert caches
    cache = caches[0]
    key = next(iter(cache._value_locks))
    held = cache.compute_value_lock(key)
    with held:
        cache_locks.prune()
        assert cache._value_locks.get(key) is held
    cache_locks.prune()
    assert key not in cache._value_locks


def test_unknown_internals_change_nothing(monkeypatch):
    class Odd:
        pass

    monkeypatch.setattr(cache_locks, "function_caches", lambda: [Odd()])
    assert cache_locks.prune() is None


def test_the_pacer_prunes_each_round():
    _square.clear()
    for n in range(50):
        _square(n)
    pacer = gc_pacer.Pacer(every_s=0.02)
    pacer.thread.start()
    deadline = time.monotonic() + 10
    while pacer.locks_pruned < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    pacer.stop()
    assert pacer.locks_pruned >= 50 and _locks_total() == 0
    assert not any(t.name == "ioc-gc-pacer" and t is pacer.thread for t in threading.enumerate())


def test_unknown_internals_are_reported_once(monkeypatch, caplog):
    monkeypatch.setattr(cache_locks, "function_caches", lambda: None)
    monkeypatch.setattr(cache_locks, "_warned", False)
    with caplog.at_level("WARNING", logger="dashboard.runtime.cache_locks"):
        assert cache_locks.prune() is None and cache_locks.prune() is None
    assert len([r for r in caplog.records if "not pruned" in r.getMessage()]) == 1
