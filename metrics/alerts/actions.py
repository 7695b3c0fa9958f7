"""What people do to alerts: acknowledge, silence, and undo both — with role checks.

Roles allowed to act come from `permissions` in config/alerts.yaml
(`acknowledge: [tech, ioc_staff]`, `silence: [tech]`); any other role (the wall
display's, for one) gets `PermissionError` naming the role and the action. Every action
is recorded as an alert event with who did it, and in the audit log (same transaction).
Acknowledging or silencing a firing alert whose channels were told of it queues an
"acknowledged" / "silenced" notice to those channels (the outbox, same transaction) naming
who acted, the note, and until when it is silenced; the collector's dispatcher sends it.
Times are int ms UTC (`now` defaults to the system clock). The dashboard's alerts page
calls these; see docs/alerts.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Literal

from config.alerts import AlertsConfig
from metrics.access import audit
from metrics.alerts import lifecycle as lc
from metrics.alerts.lifecycle import AlertState, Silence
from metrics.store import Connection, Store, dialects
from metrics.store import alerts as table


def _write(store: Store) -> AbstractContextManager[Connection]:
    """A write transaction (SQLite: BEGIN IMMEDIATE, so a read never turns into a lock fight)."""
    return dialects.write_transaction(store.engine)


def _now(now: int | None) -> int:
    return int(time.time() * 1000) if now is None else now


def check_role(cfg: AlertsConfig, action: str, role: str) -> None:
    """Raise PermissionError unless `role` may `action` ("acknowledge" or "silence")."""
    allowed = getattr(cfg.permissions, action)
    if role not in allowed:
        raise PermissionError(f"role {role!r} may not {action} alerts "
                              f"(allowed: {', '.join(allowed) or 'nobody'})")


def _user(user: str) -> str:
    user = user.strip()
    if not user:
        raise ValueError("user: give the name of the person acting")
    return user[:200]


def _alert_event(conn: Connection, alert_id: int, now: int, kind: str, actor: str,
                 detail: str) -> None:
    table.insert_events(conn, [{"alert_id": alert_id, "ts": now, "kind": kind,
                                "actor": actor, "detail": detail[:2000]}])


def acknowledge(store: Store, cfg: AlertsConfig, alert_id: int, *, user: str, role: str,
                note: str = "", now: int | None = None) -> None:
    """Mark an open alert acknowledged (no more reminders). KeyError: no such alert;
    ValueError: the alert is resolved."""
    check_role(cfg, "acknowledge", role)
    user, now = _user(user), _now(now)
    with _write(store) as conn:
        state = table.alert_state(conn, alert_id)
        if state is None:
            raise KeyError(f"no alert with id {alert_id}")
        if state == "resolved":
            raise ValueError(f"alert {alert_id} is resolved: nothing to acknowledge")
        table.update_alert(conn, alert_id, {"acked_by": user, "acked_at": now,
                                            "ack_note": note[:2000]})
        _alert_event(conn, alert_id, now, "acknowledged", user, note or f"role {role}")
        audit.record_in(conn, "acknowledge", actor=user, role=role, target=str(alert_id),
                        detail=note, now=now)
        _tell_channels(conn, cfg, [alert_id], "acknowledged", now)


def unacknowledge(store: Store, cfg: AlertsConfig, alert_id: int, *, user: str, role: str,
                  now: int | None = None) -> None:
    """Withdraw an acknowledgement (reminders resume). KeyError: no such alert."""
    check_role(cfg, "acknowledge", role)
    user, now = _user(user), _now(now)
    with _write(store) as conn:
        found = table.update_alert(conn, alert_id,
                                   {"acked_by": None, "acked_at": None, "ack_note": None})
        if found != 1:
            raise KeyError(f"no alert with id {alert_id}")
        _alert_event(conn, alert_id, now, "unacknowledged", user, f"role {role}")
        audit.record_in(conn, "unacknowledge", actor=user, role=role, target=str(alert_id),
                        now=now)


def silence(store: Store, cfg: AlertsConfig, *, user: str, role: str, reason: str,
            ends_at: int, starts_at: int | None = None, rule: str | None = None,
            centre_id: str | None = None, labels: Mapping[str, str] | None = None,
            now: int | None = None) -> int:
    """Silence alerts matching every given matcher (rule, centre, labels) from `starts_at`
    (default now) to `ends_at`; the silence's id. ValueError names a bad argument."""
    check_role(cfg, "silence", role)
    user, now = _user(user), _now(now)
    starts_at = now if starts_at is None else starts_at
    if not reason.strip():
        raise ValueError("reason: say why the alerts are silenced")
    if ends_at <= starts_at:
        raise ValueError("ends_at: must be after starts_at")
    if rule is not None and rule not in {r.name for r in cfg.rules}:
        raise ValueError(f"rule: no alert rule named {rule!r}")
    matchers: dict[str, object] = {}
    if rule:
        matchers["rule"] = rule
    if centre_id:
        matchers["centre_id"] = centre_id
    if labels:
        matchers["labels"] = dict(labels)
    if not matchers:
        raise ValueError("matchers: give a rule, a centre or labels (never silence everything)")
    with _write(store) as conn:
        sid = table.insert_silence(
            conn, matchers=json.dumps(matchers, ensure_ascii=False, sort_keys=True),
            starts_at=starts_at, ends_at=ends_at, created_by=user, reason=reason[:2000],
            created_at=now)
        silence_ = Silence(sid, matchers, starts_at, ends_at, user, reason)
        matching = _open_matching(conn, silence_)
        for alert_id in matching:
            _alert_event(conn, alert_id, now, "silenced", user,
                         f"silence {sid} until {ends_at}: {reason}")
        if starts_at <= now:
            _tell_channels(conn, cfg, matching, "silenced", now)
        audit.record_in(conn, "silence", actor=user, role=role, target=f"silence {sid}",
                        detail=f"{json.dumps(matchers, ensure_ascii=False, sort_keys=True)} "
                               f"until {ends_at}: {reason}", now=now)
    return int(sid)


def cancel_silence(store: Store, cfg: AlertsConfig, silence_id: int, *, user: str, role: str,
                   now: int | None = None) -> None:
    """End a silence now. KeyError: no such silence (or already cancelled)."""
    check_role(cfg, "silence", role)
    user, now = _user(user), _now(now)
    with _write(store) as conn:
        if table.cancel_silence(conn, silence_id, now=now, by=user) != 1:
            raise KeyError(f"no active silence with id {silence_id}")
        audit.record_in(conn, "cancel_silence", actor=user, role=role,
                        target=f"silence {silence_id}", now=now)


def _open_matching(conn: Connection, silence_: Silence) -> list[int]:
    out = []
    for alert_id, rule, centre_id, labels in table.open_alert_keys(conn):
        probe = AlertState("", rule, "", centre_id, None, json.loads(labels), "", "",
                           None, "firing", 0, 0)
        if silence_.matches(probe):
            out.append(alert_id)
    return out


def _tell_channels(conn: Connection, cfg: AlertsConfig, alert_ids: list[int],
                   status: Literal["acknowledged", "silenced"], now: int) -> None:
    """Queue a `status` notice ("acknowledged" / "silenced") of the alerts among `alert_ids`
    that are firing and were notified, to the channels their route names, grouped as the
    engine groups (one message per channel and group)."""
    from metrics.alerts.engine import load_alerts_by_id, load_silences, outbox_row

    told = [a for a in load_alerts_by_id(conn, alert_ids)
            if a.state == "firing" and a.last_notified is not None]
    if not told:
        return
    groups: dict[tuple[str, str], list[int]] = {}
    for i, a in enumerate(told):
        for channel in lc.route(cfg, a.labels):
            groups.setdefault((channel, lc.group_key(cfg, a.labels)), []).append(i)
    ids = {a.centre_id for a in told if a.centre_id}
    provinces = {a.province_code for a in told if a.province_code is not None}
    rows = table.centre_names(conn, sorted(ids), sorted(provinces))
    names = ({cid: name for cid, name, _, _ in rows},
             {code: province for _, _, code, province in rows})
    silences = load_silences(conn, now)
    outgoing = [lc.Outgoing(ch, key, status, tuple(idx)) for (ch, key), idx in groups.items()]
    table.insert_notifications(conn, [outbox_row(o, told, names, now, silences)
                                      for o in outgoing])


def active_silences(store: Store, now: int | None = None) -> list[Silence]:
    """Silences in force now."""
    from metrics.alerts.engine import load_silences

    with store.engine.connect() as conn:
        return load_silences(conn, _now(now))


__all__ = ["acknowledge", "active_silences", "cancel_silence", "check_role",
           "silence", "unacknowledge"]
