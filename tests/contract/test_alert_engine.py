"""The alert engine over a real store (SQLite and PostgreSQL) and a real HTTP receiver on
loopback: persistence, restart while firing (no duplicate, no loss), delivery retries,
actions with role checks."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from config.alerts import AlertsConfig
from metrics.alerts import actions
from metrics.alerts.engine import AlertEngine
from metrics.alerts.sink import HttpSink
from metrics.store import schema as t
from tests.conftest import hue_centres
from tests.fixtures.clock import Clock
from tests.fixtures.personas import healthy_ward, unreachable_mountain_commune

T0 = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế
CENTRES = hue_centres()
DOWN = CENTRES[0].id


def config(url: str) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "rules": [{"name": "centre_down", "condition": {"kind": "failed_polls", "count": 2},
                   "severity": "critical", "labels": {"team": "tech"},
                   "summary": "{centre_name} không phản hồi: {cause}"}],
        "channels": {"hook": {"type": "webhook", "url": url, "backoff_s": 2,
                              "backoff_max_s": 30}},
        "routes": [{"channels": ["hook"]}],
        "grouping": {"wait_s": 0, "interval_s": 0, "repeat_s": 3600},
    })


def poll(store, ts: float, down: bool) -> None:
    store.write([unreachable_mountain_commune(c.id, ts) if down and c.id == DOWN
                 else healthy_ward(c.id, ts) for c in CENTRES])


def rows(store, table: sa.Table) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]


@pytest.fixture
def sink():
    with HttpSink() as s:
        yield s


def test_engine_fires_once_across_a_restart_and_notifies_the_resolution(store, sink):
    store.sync_centres(CENTRES)
    clock = Clock(T0)
    cfg = config(sink.url)
    poll(store, T0 - 10, down=True)
    poll(store, T0 - 5, down=True)
    first = AlertEngine(store, cfg, clock=clock)
    first.evaluate()
    assert [(a["fingerprint"], a["state"]) for a in rows(store, t.alerts)] == [
        (f"centre_down/c{DOWN}", "firing")]
    # Restart before delivering: the outbox row survives and nothing is queued twice.
    clock.now = T0 + 5
    poll(store, T0 + 4, down=True)
    again = AlertEngine(store, cfg, clock=clock)
    again.evaluate()
    assert len(rows(store, t.alerts)) == 1 and len(rows(store, t.notifications)) == 1
    assert again.dispatch() == {"sent": 1, "failed": 0}
    assert again.dispatch() == {"sent": 0, "failed": 0}
    (got,) = sink.snapshot()
    assert got.body["status"] == "firing" and len(got.body["alerts"]) == 1
    # Back up: one resolved notice.
    clock.now = T0 + 10
    poll(store, T0 + 9, down=False)
    again.evaluate()
    again.dispatch()
    assert [r.body["status"] for r in sink.snapshot()] == ["firing", "resolved"]
    kinds = [e["kind"] for e in rows(store, t.alert_events)]
    assert kinds == ["pending", "firing", "notified", "resolved", "notified"]


def test_a_failing_receiver_is_retried_with_backoff_and_nothing_is_lost(store):
    store.sync_centres(CENTRES)
    clock = Clock(T0)
    with HttpSink(fail_first=2) as sink:
        engine = AlertEngine(store, config(sink.url), clock=clock)
        poll(store, T0 - 10, down=True)
        poll(store, T0 - 5, down=True)
        engine.evaluate()
        assert engine.dispatch() == {"sent": 0, "failed": 1}
        (row,) = rows(store, t.notifications)
        assert row["state"] == "retrying" and "503" in row["last_error"]
        assert row["next_attempt"] == int(T0 * 1000) + 2000  # the channel's first backoff
        assert engine.dispatch() == {"sent": 0, "failed": 0}  # not due yet
        clock.now = T0 + 2
        assert engine.dispatch() == {"sent": 0, "failed": 1}  # second failure: wait 4 s
        clock.now = T0 + 5
        assert engine.dispatch() == {"sent": 0, "failed": 0}
        clock.now = T0 + 6
        assert engine.dispatch() == {"sent": 1, "failed": 0}
        assert len(sink.snapshot()) == 1
    (row,) = rows(store, t.notifications)
    assert (row["state"], row["attempts"]) == ("sent", 3)
    kinds = [e["kind"] for e in rows(store, t.alert_events)]
    assert kinds.count("notify_failed") == 2 and kinds[-1] == "notified"


def test_actions_check_roles_and_silences_mute_notifications(store, sink):
    store.sync_centres(CENTRES)
    cfg = config(sink.url)
    clock = Clock(T0)
    now = int(T0 * 1000)
    with pytest.raises(PermissionError, match="'wall'"):
        actions.silence(store, cfg, user="tv", role="wall", reason="x", ends_at=now + 1,
                        centre_id=DOWN, now=now)
    sid = actions.silence(store, cfg, user="lan", role="tech", reason="thay UPS",
                          ends_at=now + 3_600_000, centre_id=DOWN, now=now - 1)
    poll(store, T0 - 10, down=True)
    poll(store, T0 - 5, down=True)
    engine = AlertEngine(store, cfg, clock=clock)
    engine.evaluate()
    assert rows(store, t.notifications) == []
    (alert,) = rows(store, t.alerts)
    with pytest.raises(PermissionError, match="'wall'"):
        actions.acknowledge(store, cfg, alert["id"], user="tv", role="wall", now=now)
    actions.acknowledge(store, cfg, alert["id"], user="minh", role="ioc_staff", note="đã gọi",
                        now=now)
    actions.cancel_silence(store, cfg, sid, user="lan", role="tech", now=now + 1)
    clock.now = T0 + 1
    engine.evaluate()
    assert [r["status"] for r in rows(store, t.notifications)] == ["firing"]
    (alert,) = rows(store, t.alerts)
    assert alert["acked_by"] == "minh"
    kinds = [e["kind"] for e in rows(store, t.alert_events)]
    assert {"silenced", "acknowledged"} <= set(kinds)
    with pytest.raises(KeyError):
        actions.cancel_silence(store, cfg, sid, user="lan", role="tech", now=now + 2)


def test_acknowledging_and_silencing_a_notified_alert_tell_its_channels_who_and_until(store,
                                                                                     sink):
    """The channel told of an outage hears who acknowledged it (with the note) and who
    silenced it until when; a pending alert nobody was told of queues nothing."""
    store.sync_centres(CENTRES)
    cfg = config(sink.url)
    clock = Clock(T0)
    now = int(T0 * 1000)
    poll(store, T0 - 10, down=True)
    engine = AlertEngine(store, cfg, clock=clock)
    engine.evaluate()  # one failed poll: nothing yet
    poll(store, T0 - 5, down=True)
    engine.evaluate()
    assert engine.dispatch() == {"sent": 1, "failed": 0}
    (alert,) = rows(store, t.alerts)
    actions.acknowledge(store, cfg, alert["id"], user="Minh", role="tech",
                        note="đã gọi VNPT", now=now + 1000)
    until = now + 3_600_000
    actions.silence(store, cfg, user="Lan", role="tech", reason="thay UPS", ends_at=until,
                    rule="centre_down", centre_id=DOWN, now=now + 2000)
    assert [r["status"] for r in rows(store, t.notifications)] == [
        "firing", "acknowledged", "silenced"]
    clock.now = T0 + 3
    assert engine.dispatch() == {"sent": 2, "failed": 0}
    _firing, acked, silenced = sink.snapshot()
    assert acked.body["status"] == "firing"  # Alertmanager's word for an open alert
    assert acked.body["title"].startswith("👤 ĐÃ XÁC NHẬN (nghiêm trọng)")
    notes = acked.body["alerts"][0]["annotations"]
    assert (notes["acknowledged_by"], notes["ack_note"]) == ("Minh", "đã gọi VNPT")
    notes = silenced.body["alerts"][0]["annotations"]
    assert notes["silenced_by"] == "Lan"
    assert notes["silenced_until"] == "2025-07-03T04:00:00.000Z"  # 11:00 in Huế
    assert silenced.body["title"].startswith("🔕 ĐÃ TẮT TIẾNG")
    kinds = [e["kind"] for e in rows(store, t.alert_events)]
    assert kinds.count("notified") == 3


def test_acknowledging_an_alert_nobody_was_told_of_queues_no_notice(store, sink):
    store.sync_centres(CENTRES)
    cfg = config(sink.url)
    cfg = cfg.model_copy(update={"grouping": cfg.grouping.model_copy(update={"wait_s": 600})})
    poll(store, T0 - 10, down=True)
    poll(store, T0 - 5, down=True)
    AlertEngine(store, cfg, clock=Clock(T0)).evaluate()  # firing, held back by wait_s
    (alert,) = rows(store, t.alerts)
    assert (alert["state"], alert["last_notified"]) == ("firing", None)
    actions.acknowledge(store, cfg, alert["id"], user="Minh", role="tech", now=int(T0 * 1000))
    actions.silence(store, cfg, user="Lan", role="tech", reason="x",
                    ends_at=int(T0 * 1000) + 60_000, centre_id=DOWN, now=int(T0 * 1000))
    assert rows(store, t.notifications) == []


def test_the_engine_reads_each_polls_reprobe_confirmation_from_its_column(store):
    store.sync_centres(CENTRES)
    clock = Clock(T0)
    cfg = config("http://127.0.0.1:9/unused")
    confirmed = replace(unreachable_mountain_commune(DOWN, T0 - 5), confirmed=True)
    store.write([unreachable_mountain_commune(DOWN, T0 - 10), confirmed])
    engine = AlertEngine(store, cfg, clock=clock)
    window = engine.read_window(cfg.rules, int(T0 * 1000))
    got = window.polls.sort("ts").select("centre_id", "ok", "confirmed").rows()
    assert got == [(DOWN, False, False), (DOWN, False, True)]
