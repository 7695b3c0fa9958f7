"""The collector's /healthz and /readyz answers (collectors/endpoint/health.py), on a stepped
clock."""

from __future__ import annotations

from collectors.endpoint.health import CollectorHealth
from metrics.store.check import StoreCheck

UP = StoreCheck(True, "database answers, schema version 6", "sqlite", 6)
DOWN = StoreCheck(False, "database unreachable: OperationalError: unable to open database file",
                  "sqlite", None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def health(check=UP, interval_s=15.0, slack_s=2.0):
    clock = Clock()
    state = {"check": check}
    h = CollectorHealth(interval_s, lambda: state["check"], config_file="config/ioc.yaml",
                        slack_s=slack_s, clock=clock)
    return h, clock, state


def test_health_is_live_at_start_and_stale_when_no_cycle_finishes_within_three_intervals():
    h, clock, _ = health()
    assert h.live()[0] == 200
    clock.now += 3 * 15 + 2 + 0.1
    status, body = h.live()
    assert status == 503 and body["status"] == "stale"
    assert "no cycle finished since the start" in body["reasons"][0]


def test_health_stays_live_while_cycles_finish_and_goes_stale_when_they_stop():
    h, clock, _ = health()
    for _ in range(10):
        clock.now += 15
        h.after_cycle(None, {"centres": 40}, 0.1)
        assert h.live()[0] == 200
    clock.now += 46
    assert h.live()[0] == 200  # 46 s ≤ 3 × 15 + 2
    clock.now += 2
    status, body = h.live()
    assert status == 503 and body["cycles"] == 10 and body["last_cycle_age_s"] == 48
    assert "polling is stuck" in body["reasons"][0]


def test_health_is_not_ready_before_the_first_cycle_then_ready_with_the_database_up():
    h, _, _ = health()
    status, body = h.ready()
    assert status == 503 and body["reasons"] == ["no cycle finished yet"]
    h.after_cycle(None, {"centres": 40}, 0.1)
    status, body = h.ready()
    assert status == 200 and body["status"] == "ready"
    assert body["checks"]["database"]["schema_version"] == 6
    assert body["checks"]["config"] == {"ok": True, "file": "config/ioc.yaml"}


def test_health_is_not_ready_with_the_reason_while_the_database_is_down_and_shows_the_spool():
    h, _, state = health()
    state["check"] = DOWN
    h.after_cycle(None, {"centres": 40, "spooled": 40, "spool_files": 3, "spool_bytes": 9000,
                         "spool_max_bytes": 65536}, 0.0)
    status, body = h.ready()
    assert status == 503 and body["status"] == "not ready"
    assert body["reasons"] == [DOWN.reason]
    assert body["checks"]["spool"] == {"files": 3, "bytes": 9000, "max_bytes": 65536}
    assert h.live()[0] == 200  # still polling and spooling: alive, not ready
    state["check"] = UP
    assert h.ready()[0] == 200


def test_health_says_when_the_spool_is_full_and_cycles_are_dropped():
    h, _, _ = health(check=DOWN)
    h.after_cycle(None, {"centres": 40, "dropped": 40, "spool_files": 9, "spool_bytes": 65000,
                         "spool_max_bytes": 65536}, 0.0)
    status, body = h.ready()
    assert status == 503
    assert any("spool is full" in r and "40 polls" in r for r in body["reasons"])
