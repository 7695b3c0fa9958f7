"""Kiosk links, the audit log and scoped alert reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from config.alerts import AlertsConfig
from config.scope import commune, national, province
from metrics.access import audit, kiosk
from metrics.alerts import actions
from metrics.alerts import read as alerts_read
from metrics.store import schema as t
from tests.fixtures.access import OTHER_PROVINCE, other_province_centres
from tests.fixtures.alert_rows import add_alert

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
CFG = AlertsConfig.model_validate({"rules": [{
    "name": "centre_down", "condition": {"kind": "failed_polls", "count": 2},
    "severity": "critical", "summary": "{centre_name} không phản hồi"}]})


def test_kiosk_link_works_until_revoked_and_only_its_hash_is_stored(store):
    link_id, token = kiosk.create(store, label="Phòng IOC màn 1", scope=province(46),
                                  actor="admin", now=1_000)
    found = kiosk.lookup(store, token)
    assert found == kiosk.KioskLink(link_id, "Phòng IOC màn 1", province(46))
    with store.engine.connect() as conn:
        stored = [tuple(map(str, r)) for r in conn.execute(sa.select(t.kiosk_links))]
    assert not any(token in cell for row in stored for cell in row)
    assert kiosk.lookup(store, token + "x") is None
    assert kiosk.lookup(store, "") is None and kiosk.lookup(store, "a" * 500) is None

    kiosk.revoke(store, link_id, actor="admin", now=2_000)
    assert kiosk.lookup(store, token) is None
    with pytest.raises(KeyError, match=str(link_id)):
        kiosk.revoke(store, link_id, actor="admin")
    listed = kiosk.links(store).row(0, named=True)
    assert listed["revoked_by"] == "admin" and listed["scope"] == "province:46"
    log = audit.entries(store)
    assert log["action"].to_list() == ["kiosk_revoke", "kiosk_create"]
    assert log["target"].to_list() == [str(link_id)] * 2
    assert not any(token in str(v) for v in log.rows())


def test_kiosk_links_are_independent_and_need_a_label(store):
    a = kiosk.create(store, label="a", scope=national(), actor="x")
    b = kiosk.create(store, label="b", scope=commune("19753"), actor="x")
    assert a[1] != b[1]
    kiosk.revoke(store, a[0], actor="x")
    assert kiosk.lookup(store, a[1]) is None
    assert kiosk.lookup(store, b[1]).scope == commune("19753")
    with pytest.raises(ValueError, match="label"):
        kiosk.create(store, label="  ", scope=national(), actor="x")


def test_audit_records_sign_ins_and_reads_newest_first_with_filters(store):
    audit.record(store, "sign_in", actor="lan", role="tech", detail="local", now=1_000)
    audit.record(store, "sign_in", actor="x" * 900, ok=False, detail="bad", now=2_000)
    audit.record(store, "sign_out", actor="lan", role="tech", now=3_000)
    log = audit.entries(store)
    assert log["action"].to_list() == ["sign_out", "sign_in", "sign_in"]
    assert log["ok"].to_list() == [True, False, True]
    assert len(log["actor"][1]) == audit.MAX_TEXT
    assert audit.entries(store, actions=["sign_in"]).height == 2
    assert audit.entries(store, limit=1).height == 1
    with pytest.raises(ValueError, match="audit action"):
        audit.record(store, "delete_everything", actor="x")


def test_alert_actions_write_the_audit_log_in_their_own_transaction(store):
    from tests.conftest import hue_centres

    store.sync_centres(hue_centres()[:2])
    alert_id = add_alert(store, centre_id=hue_centres()[0].id, province_code=46,
                         severity="critical", state="firing", start=NOW)
    now = int(NOW.timestamp() * 1000)
    actions.acknowledge(store, CFG, alert_id, user="minh", role="ioc_staff", note="đã gọi",
                        now=now)
    sid = actions.silence(store, CFG, user="lan", role="tech", reason="thay UPS",
                          ends_at=now + 3_600_000, centre_id=hue_centres()[0].id, now=now)
    actions.cancel_silence(store, CFG, sid, user="lan", role="tech", now=now + 1)
    with pytest.raises(PermissionError):
        actions.acknowledge(store, CFG, alert_id, user="tv", role="leader", now=now)
    log = audit.entries(store)
    assert list(zip(log["action"], log["actor"], strict=True)) == [
        ("cancel_silence", "lan"), ("silence", "lan"), ("acknowledge", "minh")]
    assert log["target"][2] == str(alert_id) and log["detail"][2] == "đã gọi"


def test_alerts_read_cuts_alerts_and_events_to_a_scope_in_sql(store):
    from tests.conftest import hue_centres

    ours, theirs = hue_centres()[:2], other_province_centres(2)
    store.sync_centres(ours + theirs)
    start = NOW - timedelta(hours=1)
    for c in ours + theirs:
        add_alert(store, centre_id=c.id, province_code=c.province_code, severity="critical",
                  state="firing", start=start)
    add_alert(store, centre_id=None, province_code=46, severity="warning", state="firing",
              start=start, rule="province_sync")
    add_alert(store, centre_id=None, province_code=OTHER_PROVINCE, severity="warning",
              state="firing", start=start, rule="province_sync")
    ids46 = [c.id for c in ours]

    def read(scope_ids, provinces):
        found = alerts_read.alerts(store, start, NOW, centre_ids=scope_ids, provinces=provinces)
        events = alerts_read.alert_events(store, start, NOW, centre_ids=scope_ids,
                                          provinces=provinces)
        return (sorted(zip(found["centre_id"], found["province_code"], strict=True),
                       key=str), set(events["centre_id"]))

    got, events = read(ids46, [46])
    assert got == sorted([(i, 46) for i in ids46] + [(None, 46)], key=str)
    assert events == {*ids46, None}
    got, events = read(ids46[:1], [])  # a commune officer: their centre only
    assert got == [(ids46[0], 46)] and events == {ids46[0]}
    got, _ = read(None, None)
    assert len(got) == 6
