"""Assignments in the store: assign, close, read, and escalate the overdue ones.

The dashboard assigns an incident (an alert) or a lagging commune to a responsible unit
(config/alerts.yaml `assignments.units`) with a due time and a note, and closes it; both
are role-checked (`permissions.assign`) and recorded in the audit log in the same
transaction. The alert engine calls `escalate` after each evaluation: every assignment
overdue and not yet escalated (`metrics.alerts.assignments.to_escalate`) is marked escalated and
one "overdue" notice to its unit's channel is queued in the outbox, in one transaction
under the engine's lock, so it is queued exactly once; closing an escalated assignment
queues a "closed" notice to the same channel (a webhook receiver resolves what it was
told). The engine's dispatcher delivers both. Times are int ms UTC.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Literal

import polars as pl

from config.alerts import AlertsConfig
from metrics.access import audit
from metrics.alerts import assignments as pure
from metrics.alerts.actions import check_role
from metrics.store import Connection, Store
from metrics.store import alerts as alert_table
from metrics.store import assignments as table

MAX_NOTE = 1000
RULE = "assignment_overdue"  # the rule name of an assignment's notice (not an alert rule)


def _now(now: int | None) -> int:
    return int(time.time() * 1000) if now is None else now


def _user(user: str) -> str:
    user = user.strip()
    if not user:
        raise ValueError("user: give the name of the person acting")
    return user[:200]


def assign(store: Store, cfg: AlertsConfig, *, unit: str, due_at: int, note: str, user: str,
           role: str, alert_id: int | None = None, centre_id: str | None = None,
           now: int | None = None) -> int:
    """Assign an incident (`alert_id`) or a commune (`centre_id`) to `unit`, due at
    `due_at`; the assignment's id. PermissionError: `role` may not assign; KeyError: no
    such unit, alert or centre; ValueError: not exactly one subject, a due time not after
    now, no user."""
    check_role(cfg, "assign", role)
    user, now = _user(user), _now(now)
    cfg.assignments.unit(unit)
    if (alert_id is None) == (centre_id is None):
        raise ValueError("subject: give an incident (alert_id) or a commune (centre_id)")
    if due_at <= now:
        raise ValueError("due_at: must be after now")
    with audit.write(store) as conn:
        if alert_id is not None:
            found = table.alert_subject(conn, alert_id)
            if found is None:
                raise KeyError(f"no alert with id {alert_id}")
            centre, province = found
        elif centre_id is not None:
            province = table.centre_province(conn, centre_id)
            if province is None:
                raise KeyError(f"no centre with id {centre_id!r}")
            centre = centre_id
        new_id = table.insert(
            conn, alert_id=alert_id, centre_id=centre, province_code=province, unit=unit,
            note=note.strip()[:MAX_NOTE], due_at=due_at, created_at=now, created_by=user)
        subject = f"alert {alert_id}" if alert_id is not None else f"centre {centre_id}"
        audit.record_in(conn, "assign", actor=user, role=role, target=f"assignment {new_id}",
                        detail=f"{subject} → {unit}, due {due_at}: {note.strip()}", now=now)
    return int(new_id)


def close(store: Store, cfg: AlertsConfig, assignment_id: int, *, user: str, role: str,
          note: str = "", now: int | None = None) -> None:
    """Close an open assignment. KeyError: no such open assignment. An escalated one queues
    a "closed" notice to its unit's channel (same transaction)."""
    check_role(cfg, "assign", role)
    user, now = _user(user), _now(now)
    with audit.write(store) as conn:
        if table.close(conn, assignment_id, now=now, by=user,
                       note=note.strip()[:MAX_NOTE]) != 1:
            raise KeyError(f"no open assignment with id {assignment_id}")
        row = _frame(table.one(conn, assignment_id)).row(0, named=True)
        if row["escalated_at"] is not None:
            _queue(conn, cfg, row, "closed", now)
        audit.record_in(conn, "assign_close", actor=user, role=role,
                        target=f"assignment {assignment_id}", detail=note.strip(), now=now)


def escalate(store: Store, cfg: AlertsConfig, now: int | None = None, *,
             transaction: Callable[[], AbstractContextManager[Connection]] | None = None
             ) -> list[int]:
    """Mark every assignment overdue at `now` and not yet escalated as escalated, queue one
    "overdue" notice to its unit's channel and audit it; the ids escalated. `transaction`:
    the caller's write transaction (the engine's, under its lock); default: a new one."""
    now = _now(now)
    with (transaction or (lambda: audit.write(store)))() as conn:
        frame = _frame(table.overdue(conn, now))
        done = []
        for row in frame.filter(pl.col("id").is_in(pure.to_escalate(frame, now))
                                ).iter_rows(named=True):
            if not table.mark_escalated(conn, row["id"], now):
                continue
            channel = _queue(conn, cfg, row, "overdue", now)
            audit.record_in(conn, "assign_escalate", actor="engine",
                            target=f"assignment {row['id']}",
                            detail=(f"{row['unit']} → {channel}" if channel
                                    else f"{row['unit']}: no channel configured"), now=now)
            done.append(int(row["id"]))
    return done


def _queue(conn: Connection, cfg: AlertsConfig, row: dict,
           status: Literal["overdue", "closed"], now: int) -> str | None:
    """Queue `status` ("overdue" | "closed") of the assignment `row` to its unit's channel;
    the channel, or None when the unit is no longer configured (nothing is queued)."""
    from metrics.alerts.notifiers.base import AlertItem, Message

    unit = cfg.assignments.units.get(row["unit"])
    if unit is None or unit.channel not in cfg.channels:
        return None

    def utc(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    labels = {"unit": row["unit"], "unit_name": unit.vi, "assignment": str(row["id"]),
              "due_at": utc(row["due_at"]).isoformat(), "assigned_by": row["created_by"],
              **({"subject_rule": row["rule"]} if row["rule"] else {}),
              **({"closed_by": row["closed_by"]} if row["closed_by"] else {})}
    item = AlertItem(
        fingerprint=f"assignment:{row['id']}", rule=RULE, severity="warning",
        centre_id=row["centre_id"], centre_name=row["centre"], province_name=row["province"],
        summary=unit.vi, cause=row["note"] or "", starts_at=utc(row["created_at"]),
        ends_at=utc(row["closed_at"]) if status == "closed" else None, labels=labels,
        ack_note=row["close_note"] or None)
    message = Message(status=status, group_key=f"{unit.channel}:assignment:{row['id']}",
                      alerts=(item,))
    alert_table.insert_notifications(conn, [dict(
        channel=unit.channel, group_key=f"assignment:{row['id']}", status=status,
        payload=message.to_json(), state="pending", attempts=0, next_attempt=now,
        last_error="", created_at=now, sent_at=None)])
    return unit.channel


def _frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=pure.SCHEMA, orient="row")


def assignments(store: Store, *, since: int | None = None, until: int | None = None,
                centre_ids: Sequence[str] | None = None,
                provinces: Sequence[int] | None = None,
                alert_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Assignments alive in [`since`, `until`]: created by `until` and not closed before
    `since` (None: no bound), of `centre_ids` (and province-wide ones in `provinces`; both
    None: all) and, with `alert_ids`, of those incidents only. `metrics.alerts.assignments.SCHEMA`,
    by id."""
    return _frame(table.alive(store.engine, since=since, until=until, centre_ids=centre_ids,
                              provinces=provinces, alert_ids=alert_ids))


def version(store: Store) -> tuple[int, int, int, int]:
    """A key that changes with every assign, close and escalation: (rows, newest id, newest
    closing, newest escalation)."""
    return table.version(store.engine)


__all__ = ["RULE", "assign", "assignments", "close", "escalate", "version"]
