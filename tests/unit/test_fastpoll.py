"""The benchmark's fast poll gives exactly what the collector's own parse path stores."""

from __future__ import annotations

from bench.fastpoll import FastPoller
from collectors.commands.backfill import simulated_poll
from collectors.simulator.model import FleetModel
from config.registry import fleet

T0 = 1_795_564_800.0  # 2026-11-25 00:00 UTC (07:00 in Huế)
TIMEOUT_S = 3.0


def _stored(result) -> set[tuple[str, str, float]]:
    return {(s.metric, s.label, s.value) for s in result.samples}


def test_fast_poll_equals_the_json_parse_path_for_day_and_night_polls():
    centres = fleet("hue")[:6]
    model = FleetModel(centres, seed=7)
    fast = FastPoller(model, TIMEOUT_S)
    checked = 0
    for c in centres:
        for hours in (0, 3.5, 9, 14.25, 20, 30):  # working hours, evening, night, next day
            t = T0 + hours * 3600
            ok, duration, triples = fast.poll(c.id, t)
            slow = simulated_poll(model, c.id, t, TIMEOUT_S)
            assert ok == slow.ok
            assert duration == slow.duration_s
            assert sorted(triples) == sorted(_stored(slow))
            assert len(triples) == len(set(triples))
            checked += 1
    assert checked == 36


def test_fast_poll_of_a_cut_off_centre_is_a_timed_out_poll():
    centres = fleet("hue")
    model = FleetModel(centres, seed=7)
    fast = FastPoller(model, TIMEOUT_S)
    cut = next(((c.id, t) for t in (T0 + k * 900 for k in range(96 * 30))
                for c in centres if not model.reachable(c.id, t)), None)
    assert cut is not None, "the model cut no Huế centre off in 30 days"
    ok, duration, triples = fast.poll(*cut)
    slow = simulated_poll(model, cut[0], cut[1], TIMEOUT_S)
    assert (ok, duration) == (False, TIMEOUT_S) == (slow.ok, slow.duration_s)
    assert sorted(triples) == sorted(_stored(slow)) == [
        ("probe_duration_seconds", "", TIMEOUT_S), ("up", "", 0.0)]
