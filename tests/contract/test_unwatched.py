"""A centre the site file disables after it was watched: the store keeps its history, but
the alert rules pass over it (no stale, no down) — on SQLite and PostgreSQL."""

from __future__ import annotations

from config.alerts import AlertsConfig
from metrics.alerts.engine import AlertEngine
from metrics.alerts.read import alerts as read_alerts
from metrics.store import from_ms
from tests.conftest import hue_centres
from tests.fixtures.clock import Clock
from tests.fixtures.personas import healthy_ward, unreachable_mountain_commune

T0 = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế
CENTRES = hue_centres()[:3]
KEPT, DISABLED, GONE = (c.id for c in CENTRES)
RULES = AlertsConfig.model_validate({"rules": [
    {"name": "centre_down", "condition": {"kind": "failed_polls", "count": 2},
     "severity": "critical", "summary": "{centre_name}"},
    {"name": "centre_silent", "condition": {"kind": "stale", "after_s": 60},
     "severity": "warning", "summary": "{centre_name}"},
]})


def test_engine_passes_over_centres_the_site_file_disables(store):
    store.sync_centres(CENTRES)
    # Until T0 - 600 every centre was watched: GONE answered, DISABLED failed twice.
    for ts in (T0 - 900, T0 - 600):
        store.write([healthy_ward(KEPT, ts), unreachable_mountain_commune(DISABLED, ts),
                     healthy_ward(GONE, ts)])
    store.write([healthy_ward(KEPT, T0 - 5)])  # then only KEPT is polled
    engine = AlertEngine(store, RULES, clock=Clock(T0), env={},
                         unwatched=frozenset({DISABLED, GONE}))
    engine.evaluate()
    raised = read_alerts(store, from_ms(int((T0 - 3600) * 1000)), from_ms(int(T0 * 1000)))
    assert raised.is_empty()

    # The same store judged with every centre watched (for an hour): GONE is stale,
    # DISABLED too.
    AlertEngine(store, RULES, clock=Clock(T0 + 1), env={},
                watching_since_ms=int((T0 - 3600) * 1000)).evaluate()
    raised = read_alerts(store, from_ms(int((T0 - 3600) * 1000)), from_ms(int(T0 * 1000) + 2000))
    assert set(raised["centre_id"]) == {DISABLED, GONE}
