"""The dashboard's live state (dashboard/runtime/live.py): one computation per collection
cycle, shared by every session; a new cycle is seen at once; a failed computation is kept
for no one."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.runtime import live


def test_one_compute_per_cycle_shared_by_every_session():
    state = live.Live()
    calls: list[int] = []

    def compute() -> dict:
        calls.append(1)
        time.sleep(0.05)  # sessions arrive while it computes
        return {"wall": "cycle 1"}

    got: list[dict] = []
    sessions = [threading.Thread(target=lambda: got.append(state.at(1).get("wall", compute)))
                for _ in range(20)]
    for s in sessions:
        s.start()
    for s in sessions:
        s.join()
    assert len(calls) == 1 and len(got) == 20
    assert all(g is got[0] for g in got)  # the same object, not a copy each
    assert state.at(1).computed == 1


def test_a_new_cycle_is_seen_and_the_previous_one_is_let_go():
    state = live.Live()
    first = state.at(1)
    assert first.get("k", lambda: "one") == "one"
    second = state.at(2)
    assert second is not first and second.previous is first
    assert second.get("k", lambda: "two") == "two"  # computed again: a new cycle
    third = state.at(3)
    assert third.previous is second and second.previous is None  # one cycle back at most
    assert state.at(3) is third


def test_while_a_new_cycle_computes_others_show_the_previous_cycle_whole():
    state = live.Live()
    state.at(1).get("wall", lambda: "cycle 1")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "cycle 2"

    computing = threading.Thread(target=lambda: state.at(2).get("wall", slow))
    computing.start()
    assert started.wait(5)
    assert state.at(2).get("wall", lambda: "never") == "cycle 1"  # not waiting, not mixed
    release.set()
    computing.join()
    assert state.at(2).get("wall", lambda: "never") == "cycle 2"


def test_without_a_previous_value_sessions_wait_for_the_one_computing():
    state = live.Live()
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "first"

    computing = threading.Thread(target=lambda: state.at(1).get("wall", slow))
    computing.start()
    assert started.wait(5)
    got: list[str] = []
    waiting = threading.Thread(target=lambda: got.append(state.at(1).get("wall", lambda: "2nd")))
    waiting.start()
    time.sleep(0.05)
    assert got == []  # nothing to show yet: it waits
    release.set()
    computing.join()
    waiting.join()
    assert got == ["first"]


def test_a_failed_computation_is_kept_for_no_one():
    cycle = live.Live().at(1)

    def broken() -> str:
        raise OSError("store down")

    with pytest.raises(OSError):
        cycle.get("wall", broken)
    assert cycle.get("wall", lambda: "read again") == "read again"


def test_a_cycle_keeps_at_most_max_entries_values():
    cycle = live.Live(max_entries=3).at(1)
    for i in range(10):
        cycle.get(i, lambda i=i: i)
    assert len(cycle) == 3 and cycle.peek(9) == 9 and cycle.peek(0) != 0
