"""Fixtures for tests that talk HTTP to a real simulator on loopback.

`simulator`: the 40 centres of Thành phố Huế served from a background thread on
a free port, with the real clock and faults enabled; stopped after the test.
It offers `.port`, `.base_url(id)`, `.main_url(id)`, `.control_url`,
`.inject(centres, fault, duration_s, **params)`, `.faults()` and `.clear()`.

`start_simulator(centres, **options)`: the same for any centres, seed, clock or
`allow_faults`; every simulator it starts is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from collectors.simulator.background import BackgroundSimulator
from config.registry import Centre, fleet


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., BackgroundSimulator]]:
    started: list[BackgroundSimulator] = []

    def start(centres: list[Centre], **options: object) -> BackgroundSimulator:
        sim = BackgroundSimulator(centres, **options)  # type: ignore[arg-type]
        started.append(sim)
        return sim.start()

    try:
        yield start
    finally:
        for sim in started:
            sim.stop()


@pytest.fixture
def simulator(start_simulator: Callable[..., BackgroundSimulator]) -> BackgroundSimulator:
    return start_simulator(fleet("hue"))
