"""Notification channels never wait on each other, and a retry carries its first attempt's key.

Real webhook receivers on loopback HTTP (metrics/alerts/sink.py) and a real store (SQLite and
PostgreSQL): one receiver takes the request and never answers; the other channel's message
arrives while it is still held. A delivery that timed out is retried with the same
idempotency key (header and `notificationId`) and the same Alertmanager `groupKey`.
"""

from __future__ import annotations

import sqlalchemy as sa

from config.alerts import AlertsConfig
from metrics.alerts.engine import AlertEngine, notification_key
from metrics.alerts.notifiers.base import IDEMPOTENCY_HEADER
from metrics.alerts.sink import HttpSink
from metrics.store import schema as t
from tests.conftest import hue_centres
from tests.fixtures.personas import healthy_ward, unreachable_mountain_commune

T0 = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế
CENTRES = hue_centres()
DOWN = CENTRES[0].id
WAIT_S = 30  # generous bounds on a busy machine: the assertions are about order, not speed


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def config(channels: dict[str, dict]) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "rules": [{"name": "centre_down", "condition": {"kind": "failed_polls", "count": 2},
                   "severity": "critical", "summary": "{centre_name} không phản hồi"}],
        "channels": {name: {"type": "webhook", **c} for name, c in channels.items()},
        "routes": [{"channels": list(channels)}],
        "grouping": {"wait_s": 0, "interval_s": 0, "repeat_s": 3600},
    })


def poll(store, ts: float, down: bool) -> None:
    store.write([unreachable_mountain_commune(c.id, ts) if down and c.id == DOWN
                 else healthy_ward(c.id, ts) for c in CENTRES])


def outbox(store) -> list[sa.Row]:
    n = t.notifications
    with store.engine.connect() as conn:
        return conn.execute(sa.select(n).order_by(n.c.id)).all()


def test_a_hanging_receiver_delays_no_other_channel(store):
    store.sync_centres(CENTRES)
    with HttpSink(hang_first=1) as hanging, HttpSink() as healthy:
        cfg = config({"a_hanging": {"url": hanging.url, "timeout_s": 120},
                      "b_healthy": {"url": healthy.url}})
        poll(store, T0 - 10, down=True)
        poll(store, T0 - 5, down=True)
        engine = AlertEngine(store, cfg, clock=lambda: T0)
        engine.evaluate()
        # The hanging channel's notice is first in the outbox: one dispatcher sending in
        # order would sit on it for its whole 120 s timeout.
        assert [r.channel for r in outbox(store)] == ["a_hanging", "b_healthy"]
        with engine:  # the collector's dispatcher thread
            assert hanging.wait_for(1, WAIT_S)  # the hanging receiver has the request …
            assert healthy.wait_for(1, WAIT_S)  # … and the healthy one got its message
            assert hanging.holding == 1  # while the first is still unanswered
            (got,) = healthy.snapshot()
            assert got.body["alerts"][0]["labels"]["centre"] == DOWN
            hanging.release.set()
        states = {r.channel: r.state for r in outbox(store)}
        assert states["b_healthy"] == "sent"


def test_a_timed_out_delivery_is_retried_with_the_same_key(store):
    store.sync_centres(CENTRES)
    clock = Clock(T0)
    with HttpSink(hang_first=1) as receiver:
        cfg = config({"hook": {"url": receiver.url, "timeout_s": 0.5, "backoff_s": 2,
                               "backoff_max_s": 30}})
        engine = AlertEngine(store, cfg, clock=clock)
        poll(store, T0 - 10, down=True)
        poll(store, T0 - 5, down=True)
        engine.evaluate()
        # The receiver takes the first attempt and answers too late: a timeout, retried.
        assert engine.dispatch() == {"sent": 0, "failed": 1}
        (row,) = outbox(store)
        assert row.state == "retrying" and "no answer" in row.last_error
        clock.now = T0 + 2
        assert engine.dispatch() == {"sent": 1, "failed": 0}
        first, retry = receiver.snapshot()  # the receiver holds two copies of one notice …
        key = notification_key(row)
        assert first.headers[IDEMPOTENCY_HEADER] == retry.headers[IDEMPOTENCY_HEADER] == key
        assert first.body["notificationId"] == retry.body["notificationId"] == key
        assert first.body["groupKey"] == retry.body["groupKey"]
        assert first.body["groupKey"].endswith(row.group_key)
        assert first.body == retry.body  # … and can drop the second by its key
        # The next notice (the centre is back: resolved) has a key of its own.
        clock.now = T0 + 10
        poll(store, T0 + 9, down=False)
        engine.evaluate()
        assert engine.dispatch() == {"sent": 1, "failed": 0}
        resolved = receiver.snapshot()[-1]
        assert resolved.body["status"] == "resolved"
        assert resolved.headers[IDEMPOTENCY_HEADER] not in {key, ""}
        assert resolved.body["groupKey"] == first.body["groupKey"]  # the same group
