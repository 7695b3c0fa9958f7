"""The confirmation window (collectors/polling/confirm.py): a failure shorter than the window never
confirms, at any poll interval; a longer one confirms once it has lasted the window."""

from __future__ import annotations

import heapq
import random

import pytest

from collectors.polling.confirm import Confirmations, failing
from metrics.results import ProbeResult, Reason, Sample

WINDOW, REPROBES = 4.0, (1.0, 4.0)


def run(interval_s: float, outage: tuple[float, float], phase: float, until: float = 120.0
        ) -> list[tuple[float, bool]]:
    """Drive the confirmations as a worker does: regular polls every `interval_s` from
    `phase`, re-probes when a run asks for them; an observation started inside `outage`
    fails. (start, confirmed) of every failing observation, in order."""
    conf = Confirmations(WINDOW, REPROBES)
    start, end = outage
    events: list[tuple[float, float, str]] = []  # (known at, started at, kind)
    t = phase
    while t < until:
        events.append((t, t, "poll"))
        t += interval_s
    heapq.heapify(events)
    out = []
    planned: list[tuple[float, float]] = []  # (due, run start)
    while events or planned:
        if planned and (not events or planned[0][0] <= events[0][0]):
            due, run_started = heapq.heappop(planned)
            if conf.wants_reprobe("c", run_started):
                heapq.heappush(events, (due, due, "reprobe"))
            continue
        _, started, _ = heapq.heappop(events)
        bad = start <= started < end
        verdict = conf.observe("c", started, bad)
        if bad:
            out.append((started, verdict.confirmed))
        for due in verdict.reprobe_at:
            heapq.heappush(planned, (due, started))
    return out


@pytest.mark.parametrize("interval_s", [0.5, 1, 2, 3, 5, 15, 60])
def test_a_blip_shorter_than_the_window_never_confirms(interval_s: float) -> None:
    rng = random.Random(23)
    for _ in range(200):
        begin = rng.uniform(10, 60)
        seen = run(interval_s, (begin, begin + rng.uniform(0.1, WINDOW - 0.01)),
                   rng.uniform(0, interval_s))
        assert not any(confirmed for _, confirmed in seen), (interval_s, begin, seen)


@pytest.mark.parametrize("interval_s", [0.5, 1, 2, 3, 5, 15, 60])
def test_an_outage_longer_than_the_window_confirms_once_it_lasted_the_window(
        interval_s: float) -> None:
    rng = random.Random(24)
    for _ in range(200):
        begin = rng.uniform(10, 60)
        # Long enough to be seen failing for a whole window after the first failing poll.
        length = interval_s + WINDOW + rng.uniform(0.01, 40)
        seen = run(interval_s, (begin, begin + length), rng.uniform(0, interval_s),
                   until=begin + length + 2 * interval_s)
        confirmed_at = [t for t, confirmed in seen if confirmed]
        assert confirmed_at, (interval_s, begin, seen)
        first_failure = seen[0][0]
        # Confirmed by the observation made exactly one window after the first failure
        # (the last re-probe), never earlier, and every later failure stays confirmed.
        assert WINDOW - 1e-3 <= confirmed_at[0] - first_failure <= WINDOW + 1e-3
        assert [c for _, c in seen] == sorted(c for _, c in seen)


def test_a_success_ends_the_run_and_cancels_its_reprobes() -> None:
    conf = Confirmations(WINDOW, REPROBES)
    first = conf.observe("c", 100.0, True)
    assert first.reprobe_at == (101.0, 104.0) and not first.confirmed
    assert conf.observe("c", 101.0, False).confirmed is False
    assert not conf.wants_reprobe("c", 100.0)
    again = conf.observe("c", 102.0, True)  # a new run starts its own schedule
    assert again.reprobe_at == (103.0, 106.0)
    assert conf.observe("c", 106.0, True).confirmed
    assert not conf.wants_reprobe("c", 102.0)  # confirmed: nothing more to re-probe


def test_an_observation_older_than_a_success_neither_confirms_nor_starts_a_run() -> None:
    """A hanging re-probe that times out after a quicker poll already succeeded."""
    conf = Confirmations(WINDOW, REPROBES)
    conf.observe("c", 100.0, True)
    conf.observe("c", 105.0, False)
    late = conf.observe("c", 104.0, True)
    assert late == late.__class__(False)
    assert conf.failing_since("c") is None


def test_centres_are_judged_apart() -> None:
    conf = Confirmations(WINDOW, REPROBES)
    conf.observe("a", 100.0, True)
    conf.observe("b", 103.0, True)
    assert conf.observe("a", 104.0, True).confirmed
    assert not conf.observe("b", 104.0, True).confirmed


def test_a_zero_window_confirms_at_once() -> None:
    assert Confirmations(0.0, ()).observe("c", 1.0, True).confirmed


def result(ok: bool, reason: Reason | None = None, system_state: float | None = None
           ) -> ProbeResult:
    samples = [] if system_state is None else [Sample("system_state", system_state)]
    return ProbeResult("c", 1.0, ok, 0.1, reason, "", None, samples)


def test_what_counts_as_failing() -> None:
    assert failing(result(False, Reason.REFUSED))
    assert failing(result(False, Reason.TIMEOUT))
    assert failing(result(True, system_state=0))  # the centre says its system is down
    assert not failing(result(True, system_state=1))  # degraded is not down
    assert not failing(result(True))
    assert not failing(result(False, Reason.SKIPPED))  # never ran: observed nothing
