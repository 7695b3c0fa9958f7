"""The load bench's browser-side message cache (`bench.stclient.MessageCache`)."""

from __future__ import annotations

from bench.stclient import MessageCache


def test_message_is_reported_until_max_age_runs_finish_without_it():
    cache = MessageCache(max_age=2)
    cache.use("a")
    cache.run_finished()
    cache.run_finished()
    assert cache.hashes() == ["a"]
    cache.run_finished()
    assert cache.hashes() == []


def test_message_referred_to_again_stays_while_others_expire():
    cache = MessageCache(max_age=2)
    cache.use("a")
    cache.use("b")
    for _ in range(3):
        cache.use("a")  # the server sent a reference to it in this run
        cache.run_finished()
    assert cache.hashes() == ["a"]


def test_reported_hashes_stay_bounded_however_many_runs_a_session_makes():
    cache = MessageCache(max_age=2, most=50)
    for run in range(1000):
        for i in range(3):
            cache.use(f"run{run}-chart{i}")
        cache.run_finished()
    assert len(cache.hashes()) == 6  # the last two runs' messages
    for i in range(80):
        cache.use(f"burst{i}")
    assert len(cache.hashes()) == 50
