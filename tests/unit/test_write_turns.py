"""Write turns: first come, first served, and a writer that gives up does not hold the queue."""

from __future__ import annotations

import threading
import time

import pytest

from metrics.store.write_turns import Turns, TurnTimeout


def test_writers_get_their_turn_in_the_order_they_asked():
    turns, order = Turns(), []
    holding, asked = threading.Event(), []

    def writer(name: str) -> None:
        with turns.turn(10):
            order.append(name)

    with turns.turn(10):  # the first writer holds its turn while the others queue
        holding.set()
        for name in "abcde":
            t = threading.Thread(target=writer, args=(name,))
            t.start()
            asked.append(t)
            time.sleep(0.02)  # each asks after the one before
    for t in asked:
        t.join(10)
    assert order == list("abcde")


def test_a_writer_that_gives_up_is_skipped_and_the_next_one_gets_its_turn():
    turns = Turns()
    got = threading.Event()
    with turns.turn(10):
        with pytest.raises(TurnTimeout, match="1 earlier database writers"), turns.turn(0.05):
            pass

        def later() -> None:
            with turns.turn(10):
                got.set()

        t = threading.Thread(target=later)
        t.start()
        time.sleep(0.05)
        assert not got.is_set()  # still the first writer's turn
    t.join(10)
    assert got.is_set()  # the abandoned ticket passed straight on
    with turns.turn(0.5):  # and the queue is empty again
        pass
