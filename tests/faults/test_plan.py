"""The chaos plan and the reconciliations are pure: checked here without processes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from config.registry import fleet
from metrics.alerts.notifiers.base import AlertItem, Message
from tests.faults.checks import (
    Arrival,
    reconcile_cycles,
    reconcile_gaps,
    reconcile_notifications,
)
from tests.faults.plan import EXPECTED, chaos_plan, final_faults
from tests.faults.product import Knobs

pytestmark = pytest.mark.faults
HUE = [c.id for c in fleet("hue")]
K = Knobs()


def plan(seed: int, chaos_s: float = 45):
    return chaos_plan(seed, HUE, chaos_s, interval_s=K.interval_s, timeout_s=K.timeout_s,
                      stale_after_s=K.stale_after_s, spool_cycles=K.spool_cycles,
                      max_body_bytes=1_048_576)


@pytest.mark.parametrize("seed", range(40))
def test_chaos_plan_covers_every_fault_and_process_when_seeded(seed):
    steps, spare = plan(seed)
    assert plan(seed) == (steps, spare)  # a seed replays the same run
    faults = [s for s in steps if s.action == "fault"]
    assert sorted(s.fault for s in faults) == sorted(EXPECTED)
    assert len({s.centres for s in faults}) == len(EXPECTED)  # each on its own centre
    assert not {c for s in faults for c in s.centres} & set(spare)
    actions = [s.action for s in steps]
    assert actions.count("cut_db") == actions.count("restore_db") == 2
    assert actions.count("kill_collector") == 4 and actions.count("kill_dashboard") == 2
    # Cuts never overlap; the long one holds a collector kill and a look at the wall.
    cuts = [(a.at_s, b.at_s) for a, b in zip(
        [s for s in steps if s.action == "cut_db"],
        [s for s in steps if s.action == "restore_db"], strict=True)]
    assert cuts[0][1] < cuts[1][0] or cuts[1][1] < cuts[0][0]
    long_cut = max(cuts, key=lambda c: c[1] - c[0])
    assert long_cut[1] - long_cut[0] > K.spool_cycles * K.interval_s  # past the bound
    kills = [s.at_s for s in steps if s.action == "kill_collector"]
    assert any(long_cut[0] < k < long_cut[1] for k in kills)
    # Each kill is followed by its restart before the next kill of the same process.
    for proc in ("collector", "dashboard"):
        seq = [s.action for s in steps if s.action in (f"kill_{proc}", f"start_{proc}")]
        assert seq == [f"kill_{proc}", f"start_{proc}"] * (len(seq) // 2)
    assert all(0 <= s.at_s <= 45 for s in steps)
    final = final_faults(seed, spare, interval_s=K.interval_s, timeout_s=K.timeout_s,
                         max_body_bytes=1_048_576)
    assert sorted(s.fault for s in final) == sorted(EXPECTED)


def test_chaos_plan_refuses_too_short_a_run():
    with pytest.raises(ValueError, match="at least 45"):
        plan(1, chaos_s=20)


def message(status: str, ends: bool = False) -> str:
    start = datetime(2025, 7, 3, 3, 5, tzinfo=UTC)
    item = AlertItem("fp1", "centre_down", "critical", "19753", "Phú Xuân", "Huế", "down",
                     "timeout", start, datetime(2025, 7, 3, 3, 9, tzinfo=UTC) if ends else None)
    return Message(status=status, group_key="hook:g", alerts=(item,)).to_json()


def body(payload_json: str) -> dict:
    from metrics.alerts.notifiers.webhook import payload

    return json.loads(json.dumps(payload(Message.from_json(payload_json), receiver="ioc")))


def test_notifications_reconcile_when_each_arrives_once():
    outbox = [(1, "sent", message("firing")), (2, "sent", message("resolved", ends=True))]
    got = [Arrival(10.0, body(p)) for _, _, p in outbox]
    assert reconcile_notifications(outbox, got, kills=[]) == ([], [])


def test_notifications_flag_a_duplicate_a_notice_queued_twice_and_one_never_sent():
    firing = message("firing")
    problems, _ = reconcile_notifications([(1, "sent", firing)],
                                          [Arrival(10.0, body(firing))] * 2, kills=[])
    assert problems == [f"{('fp1', 'firing', '2025-07-03T03:05:00.000Z')} received 2 times"]
    problems, _ = reconcile_notifications([(1, "sent", firing), (2, "retrying", firing)],
                                          [Arrival(10.0, body(firing))], kills=[])
    assert any("queued 2 times" in p for p in problems)
    assert any("outbox row 2 is retrying" in p for p in problems)


def test_notifications_excuse_a_second_copy_only_after_a_kill_mid_delivery():
    firing = message("firing")
    got = [Arrival(10.0, body(firing)), Arrival(16.0, body(firing))]
    problems, notes = reconcile_notifications([(1, "sent", firing)], got, kills=[10.05])
    assert problems == [] and len(notes) == 1
    problems, _ = reconcile_notifications([(1, "sent", firing)], got, kills=[12.0])
    assert len(problems) == 1


def test_cycles_reconcile_and_catch_silent_loss():
    cycles = [{"centres": 40, "samples": 100}, {"centres": 40, "samples": 0, "spooled": 40},
              {"centres": 40, "samples": 0, "dropped": 40}, {"centres": 40, "samples": 200}]
    assert reconcile_cycles(cycles, 120, 300, kills=0, centres=40) == []
    assert reconcile_cycles(cycles, 160, 300, kills=1, centres=40) == []  # killed mid-cycle
    assert "lost silently" in reconcile_cycles(cycles, 80, 300, kills=0, centres=40)[0]
    assert "more than" in reconcile_cycles(cycles, 160, 300, kills=0, centres=40)[0]
    assert "samples" in reconcile_cycles(cycles, 120, 250, kills=0, centres=40)[0]


def test_reconcile_gaps_wants_every_dropped_cycle_in_a_gap_and_no_gap_cycle_unlogged():
    cycles = [{"cycle": 1, "at": 10.0, "centres": 40}, {"cycle": 2, "at": 12.0, "dropped": 40},
              {"cycle": 3, "at": 14.0, "dropped": 40}]
    gap = {"start_ts": 10_100, "end_ts": 13_500, "cycles": 2, "reason": "spool_full"}
    assert reconcile_gaps(cycles, [gap], kills=0, slack_ms=4_000) == []
    assert reconcile_gaps(cycles, [{**gap, "cycles": 3}], kills=1, slack_ms=4_000) == []
    assert "hold 3" in reconcile_gaps(cycles, [{**gap, "cycles": 3}], 0, 4_000)[0]
    assert "hold 0" in reconcile_gaps(cycles, [], 0, 4_000)[0]
    assert "in no gap" in reconcile_gaps(cycles, [{**gap, "end_ts": 11_000}], 0, 1_000)[0]
    assert "another reason" in reconcile_gaps(cycles, [{**gap, "reason": "x"}], 0, 4_000)[0]
