"""While the store is behind the collector (a cycle spooled, or a write abandoned half done),
a centre whose polls are not stored yet is not "silent": the staleness rules wait until the
store has caught up, then judge again — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from config.alerts import AlertsConfig
from metrics.alerts.engine import AlertEngine, store_behind
from metrics.alerts.read import alerts as read_alerts
from metrics.store import from_ms
from tests.conftest import hue_centres
from tests.fixtures.clock import Clock
from tests.fixtures.personas import healthy_ward

T0 = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế
CENTRES = hue_centres()[:2]
WRITTEN, WAITING = (c.id for c in CENTRES)
RULES = AlertsConfig.model_validate({"rules": [
    {"name": "centre_silent", "condition": {"kind": "stale", "after_s": 10},
     "severity": "warning", "summary": "{centre_name}"},
]})


@pytest.mark.parametrize(("summary", "behind"), [
    ({"centres": 2, "spool_files": 0}, False),
    ({"centres": 2}, False),
    ({"centres": 2, "replayed": 3, "spool_files": 0}, False),
    ({"centres": 2, "db": "stuck", "spooled": 2, "spool_files": 1}, True),
    ({"centres": 2, "db": "unreachable", "spooled": 2}, True),
    ({"centres": 2, "db": "unreachable", "dropped": 2, "drop_reason": "full"}, True),
    ({"centres": 2, "replayed": 1, "spool_files": 2}, True),
])
def test_a_cycle_summary_says_whether_the_store_holds_every_cycle(summary, behind):
    assert store_behind(summary) is behind


def test_centres_waiting_in_the_spool_are_not_silent_until_the_store_catches_up(store):
    store.sync_centres(CENTRES)
    for ts in (T0 - 30, T0 - 25):
        store.write([healthy_ward(WRITTEN, ts), healthy_ward(WAITING, ts)])
    # A write abandoned half done: WRITTEN's poll is in, WAITING's waits in the spool.
    store.write([healthy_ward(WRITTEN, T0 - 2)])
    clock = Clock(T0)
    engine = AlertEngine(store, RULES, clock=clock, env={},
                         watching_since_ms=int((T0 - 60) * 1000))
    engine.after_cycle(None, {"centres": 2, "db": "stuck", "spooled": 2, "spool_files": 1},
                       3.8)
    clock.now = T0 + 5
    engine.after_cycle(None, {"centres": 2, "replayed": 0, "spool_files": 1}, 1.0)
    window = (from_ms(int((T0 - 3600) * 1000)), from_ms(int((T0 + 60) * 1000)))
    assert read_alerts(store, *window).is_empty()

    # Caught up without WAITING's poll: now it is silent (25 s > 10 s).
    store.write([healthy_ward(WRITTEN, T0 + 8)])
    clock.now = T0 + 10
    engine.after_cycle(None, {"centres": 2, "replayed": 1, "spool_files": 0}, 1.0)
    raised = read_alerts(store, *window)
    assert raised["centre_id"].to_list() == [WAITING]
