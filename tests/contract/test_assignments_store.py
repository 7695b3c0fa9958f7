"""Assignments in the store (metrics/alerts/assignments_store.py) on SQLite and PostgreSQL: assign,
read within a scope, close, role checks, audit, and escalation exactly once."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from config.alerts import load_alerts
from metrics.access import audit
from metrics.alerts import assignments_store as api
from metrics.store import Store
from metrics.store import schema as t
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert

H = 3_600_000
T0 = 1_751_511_600_000  # 10:00 03/07/2025 in Huế


@pytest.fixture
def fleet(store: Store):
    centres = hue_centres()
    store.sync_centres(centres)
    return store, load_alerts(), centres[0].id, centres[1].id


def outbox(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t.notifications)
                                              .order_by(t.notifications.c.id)).mappings()]


def test_assign_read_and_close_with_audit(fleet):
    from datetime import UTC, datetime

    store, cfg, a, b = fleet
    alert = add_alert(store, centre_id=None, province_code=46, severity="warning",
                      state="firing", start=datetime.fromtimestamp((T0 - H) / 1000, UTC),
                      rule="province_down")
    first = api.assign(store, cfg, unit="commune_centre", due_at=T0 + H, note=" mở lại máy ",
                       user=" Lan ", role="ioc_staff", centre_id=a, now=T0)
    second = api.assign(store, cfg, unit="provincial_it", due_at=T0 + 2 * H, note="",
                        user="Minh", role="tech", alert_id=alert, now=T0 + 1)
    api.assign(store, cfg, unit="power_company", due_at=T0 + H, note="", user="Minh",
               role="tech", centre_id=b, now=T0 + 2)
    found = api.assignments(store)
    assert found["id"].to_list() == [first, second, 3]
    one = found.row(0, named=True)
    assert (one["centre"], one["province"], one["note"], one["created_by"]) == (
        hue_centres()[0].name, "Thành phố Huế", "mở lại máy", "Lan")
    incident = found.row(1, named=True)
    assert (incident["centre_id"], incident["province_code"], incident["rule"]) == (
        None, 46, "province_down")
    # A commune officer sees their centre's; a province officer also the province-wide one.
    assert api.assignments(store, centre_ids=[a], provinces=[])["id"].to_list() == [first]
    assert api.assignments(store, centre_ids=[a], provinces=[46])["id"].to_list() == [
        first, second]
    assert api.assignments(store, alert_ids=[alert])["id"].to_list() == [second]
    before = api.version(store)
    api.close(store, cfg, first, user="Lan", role="tech", note="đã xong", now=T0 + H)
    assert api.version(store) != before
    assert api.assignments(store, since=T0 + H + 1)["id"].to_list() == [second, 3]
    assert api.assignments(store, until=T0)["id"].to_list() == [first]
    with pytest.raises(KeyError, match="no open assignment"):
        api.close(store, cfg, first, user="Lan", role="tech", now=T0 + 2 * H)
    log = audit.entries(store, actions=["assign", "assign_close"])
    assert [(r["action"], r["actor"], r["role"], r["target"])
            for r in log.reverse().iter_rows(named=True)] == [
        ("assign", "Lan", "ioc_staff", f"assignment {first}"),
        ("assign", "Minh", "tech", f"assignment {second}"),
        ("assign", "Minh", "tech", "assignment 3"),
        ("assign_close", "Lan", "tech", f"assignment {first}")]
    assert outbox(store) == []  # nothing was overdue: no notice


def test_refusals_write_nothing(fleet):
    store, cfg, a, _ = fleet
    ok = {"unit": "commune_centre", "due_at": T0 + H, "note": "", "user": "Lan",
          "role": "tech", "centre_id": a, "now": T0}
    for change, error in (({"role": "leader"}, PermissionError),
                          ({"unit": "nobody"}, KeyError),
                          ({"due_at": T0}, ValueError),
                          ({"user": "  "}, ValueError),
                          ({"centre_id": "99999"}, KeyError),
                          ({"alert_id": 1}, ValueError),
                          ({"centre_id": None, "alert_id": 424242}, KeyError)):
        with pytest.raises(error):
            api.assign(store, cfg, **(ok | change))
    assert api.assignments(store).is_empty()
    assert audit.entries(store).is_empty()
    new = api.assign(store, cfg, **ok)
    with pytest.raises(PermissionError):
        api.close(store, cfg, new, user="Hoa", role="leader", now=T0 + 1)


def test_an_overdue_assignment_is_escalated_exactly_once_even_by_racing_engines(fleet):
    store, cfg, a, b = fleet
    late = api.assign(store, cfg, unit="network_carrier", due_at=T0 + H, note="gọi VNPT",
                      user="Lan", role="tech", centre_id=a, now=T0)
    api.assign(store, cfg, unit="power_company", due_at=T0 + 5 * H, note="", user="Lan",
               role="tech", centre_id=b, now=T0)
    assert api.escalate(store, cfg, T0 + H - 1) == []
    results: list[list[int]] = []
    racers = [threading.Thread(target=lambda: results.append(
        api.escalate(store, cfg, T0 + H))) for _ in range(4)]
    for r in racers:
        r.start()
    for r in racers:
        r.join()
    assert sorted(results) == [[], [], [], [late]]
    assert api.escalate(store, cfg, T0 + 2 * H) == []
    (notice,) = outbox(store)
    assert (notice["channel"], notice["status"], notice["state"]) == (
        "ioc-webhook", "overdue", "pending")
    item = json.loads(notice["payload"])["alerts"][0]
    assert item["fingerprint"] == f"assignment:{late}" and item["centre_id"] == a
    assert item["labels"]["unit"] == "network_carrier" and item["cause"] == "gọi VNPT"
    row = api.assignments(store).row(0, named=True)
    assert row["escalated_at"] == T0 + H
    api.close(store, cfg, late, user="Minh", role="tech", note="đã sửa", now=T0 + 3 * H)
    closed = outbox(store)[1]
    assert closed["status"] == "closed"
    body = json.loads(closed["payload"])["alerts"][0]
    assert body["ends_at"] is not None and body["ack_note"] == "đã sửa"
    log = audit.entries(store, actions=["assign_escalate"])
    assert log["actor"].to_list() == ["engine"]
    assert log["detail"].to_list() == ["network_carrier → ioc-webhook"]


def test_closing_in_time_sends_nothing_and_is_never_escalated(fleet):
    store, cfg, a, _ = fleet
    done = api.assign(store, cfg, unit="portal_team", due_at=T0 + H, note="", user="Lan",
                      role="tech", centre_id=a, now=T0)
    api.close(store, cfg, done, user="Lan", role="tech", now=T0 + 1)
    assert api.escalate(store, cfg, T0 + 2 * H) == []
    assert outbox(store) == []
