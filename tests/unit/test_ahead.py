"""Values computed ahead (dashboard/runtime/ahead.py): a new cycle's marker runs each
remembered job exactly once, through the live state a session reads; jobs nobody asks for
expire; a failing job is logged, kept for no one and run again next cycle."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from dashboard.runtime import live
from dashboard.runtime.ahead import Refresher


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_marker_runs_each_remembered_job_exactly_once():
    marker = [(1,)]
    runs: list[str] = []
    ahead = Refresher(lambda: marker[0])
    ahead.want("wall", lambda: runs.append("wall"))
    ahead.want("map", lambda: runs.append("map"))
    assert ahead.step() == 2 and runs == ["wall", "map"]  # in the order first asked for
    ahead.want("wall", lambda: runs.append("another"))  # asked again: the same job
    assert ahead.step() == 0 and ahead.step() == 0  # the same marker: nothing again
    marker[0] = (2,)
    assert ahead.step() == 2 and runs == ["wall", "map", "wall", "map"]
    assert ahead.step() == 0


def test_a_job_asked_for_mid_cycle_runs_once_for_the_marker_it_finds():
    ahead = Refresher(lambda: (1,))
    runs: list[str] = []
    ahead.step()
    ahead.want("province:46", lambda: runs.append("46"))
    assert ahead.step() == 1 and ahead.step() == 0 and runs == ["46"]


def test_jobs_compute_into_the_live_state_the_sessions_read():
    state = live.Live()
    marker = [(1,)]
    computed: list[int] = []

    def wall() -> str:
        computed.append(1)
        return f"wall of {state.at(marker[0]).marker}"

    ahead = Refresher(lambda: marker[0])
    ahead.want("wall", lambda: state.at(marker[0]).get("wall", wall))
    ahead.step()
    # A session asking afterwards reads it: nothing computed again.
    assert state.at(marker[0]).get("wall", wall) == "wall of (1,)" and len(computed) == 1
    marker[0] = (2,)
    ahead.step()
    assert state.at((2,)).get("wall", wall) == "wall of (2,)" and len(computed) == 2


def test_keys_no_session_asks_for_expire_and_pinned_ones_stay():
    clock = Clock()
    marker = [(1,)]
    ahead = Refresher(lambda: marker[0], keep_s=600, clock=clock)
    ahead.want("own wall", lambda: None, pinned=True)
    ahead.want("province:46", lambda: None)
    ahead.want("province:48", lambda: None)
    clock.now = 500
    ahead.want("province:48", lambda: None)  # still shown
    clock.now = 700
    marker[0] = (2,)
    assert ahead.step() == 2
    assert ahead.keys() == ["own wall", "province:48"]
    clock.now = 1200
    ahead.step()
    assert ahead.keys() == ["own wall"]


def test_a_failing_job_is_logged_kept_for_no_one_and_retried_next_cycle(caplog):
    state = live.Live()
    marker = [(1,)]
    fail = [True]
    runs: list[str] = []

    def wall() -> str:
        runs.append("wall")
        if fail[0]:
            raise OSError("database is locked")
        return "wall"

    ahead = Refresher(lambda: marker[0])
    ahead.want("wall", lambda: state.at(marker[0]).get("wall", wall))
    ahead.want("map", lambda: runs.append("map"))
    with caplog.at_level(logging.ERROR, logger="dashboard.runtime.ahead"):
        assert ahead.step() == 1  # the map still ran
    assert "computing 'wall' failed" in caplog.text and runs == ["wall", "map"]
    assert ahead.step() == 0  # not again in the same cycle
    with pytest.raises(OSError):  # a session asking computes itself and sees the error
        state.at((1,)).get("wall", wall)
    fail[0] = False
    marker[0] = (2,)
    assert ahead.step() == 2
    assert state.at((2,)).get("wall", lambda: "other") == "wall"


def test_an_unreadable_marker_runs_nothing_and_is_logged_once(caplog):
    down = [True]
    runs: list[int] = []

    def marker() -> tuple:
        if down[0]:
            raise OSError("connection refused")
        return (1,)

    ahead = Refresher(marker)
    ahead.want("wall", lambda: runs.append(1))
    with caplog.at_level(logging.WARNING, logger="dashboard.runtime.ahead"):
        assert ahead.step() == 0 and ahead.step() == 0
    assert caplog.text.count("cannot read the cycle's marker") == 1
    down[0] = False
    assert ahead.step() == 1 and runs == [1]


def test_the_thread_runs_a_new_marker_on_its_own_and_stops():
    marker = [(1,)]
    seen: list[tuple] = []
    ran = threading.Event()

    def job() -> None:
        seen.append(marker[0])
        ran.set()

    ahead = Refresher(lambda: marker[0], every_s=0.01)
    ahead.want("wall", job)
    # A name of its own: the pages' refreshers of other tests in this process run beside it.
    ahead.start(name="ioc-ahead-under-test")
    ahead.start(name="ioc-ahead-under-test")  # once
    try:
        assert ran.wait(5)
        ran.clear()
        marker[0] = (2,)
        assert ran.wait(5)
        time.sleep(0.05)
        assert seen == [(1,), (2,)]
    finally:
        ahead.stop(wait_s=5)
    threads = [t for t in threading.enumerate() if t.name == "ioc-ahead-under-test"]
    assert not threads
