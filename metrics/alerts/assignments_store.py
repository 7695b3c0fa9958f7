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
import sqlalchemy as sa

from config.alerts import AlertsConfig
from metrics.access import audit
from metrics.alerts import assignments as pure
from metrics.alerts.actions import check_role
from metrics.store import Store
from metrics.store import schema as t

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
            a = t.alerts
            found = conn.execute(sa.select(a.c.centre_id, a.c.province_code, a.c.state)
                                 .where(a.c.id == alert_id)).one_or_none()
            if found is None:
                raise KeyError(f"no alert with id {alert_id}")
            centre, province = found.centre_id, found.province_code
        else:
            c = t.centres
            province = conn.execute(sa.select(c.c.province_code)
                                    .where(c.c.id == centre_id)).scalar()
            if province is None:
                raise KeyError(f"no centre with id {centre_id!r}")
            centre = centre_id
        x = t.assignments
        new_id = conn.execute(x.insert().values(
            alert_id=alert_id, centre_id=centre, province_code=province, unit=unit,
            note=note.strip()[:MAX_NOTE], due_at=due_at, created_at=now, created_by=user)
            .returning(x.c.id)).scalar_one()
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
    x = t.assignments
    with audit.write(store) as conn:
        done = conn.execute(x.update().where(x.c.id == assignment_id, x.c.closed_at.is_(None))
                            .values(closed_at=now, closed_by=user,
                                    close_note=note.strip()[:MAX_NOTE]))
        if done.rowcount != 1:
            raise KeyError(f"no open assignment with id {assignment_id}")
        row = _read(conn, [x.c.id == assignment_id]).row(0, named=True)
        if row["escalated_at"] is not None:
            _queue(conn, cfg, row, "closed", now)
        audit.record_in(conn, "assign_close", actor=user, role=role,
                        target=f"assignment {assignment_id}", detail=note.strip(), now=now)


def escalate(store: Store, cfg: AlertsConfig, now: int | None = None, *,
             transaction: Callable[[], AbstractContextManager[sa.Connection]] | None = None
             ) -> list[int]:
    """Mark every assignment overdue at `now` and not yet escalated as escalated, queue one
    "overdue" notice to its unit's channel and audit it; the ids escalated. `transaction`:
    the caller's write transaction (the engine's, under its lock); default: a new one."""
    now = _now(now)
    x = t.assignments
    with (transaction or (lambda: audit.write(store)))() as conn:
        frame = _read(conn, [x.c.closed_at.is_(None), x.c.escalated_at.is_(None),
                             x.c.due_at <= now])
        done = []
        for row in frame.filter(pl.col("id").is_in(pure.to_escalate(frame, now))
                                ).iter_rows(named=True):
            marked = conn.execute(x.update().where(x.c.id == row["id"],
                                                   x.c.escalated_at.is_(None),
                                                   x.c.closed_at.is_(None))
                                  .values(escalated_at=now))
            if marked.rowcount != 1:
                continue
            channel = _queue(conn, cfg, row, "overdue", now)
            audit.record_in(conn, "assign_escalate", actor="engine",
                            target=f"assignment {row['id']}",
                            detail=(f"{row['unit']} → {channel}" if channel
                                    else f"{row['unit']}: no channel configured"), now=now)
            done.append(int(row["id"]))
    return done


def _queue(conn: sa.Connection, cfg: AlertsConfig, row: dict,
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
    conn.execute(t.notifications.insert().values(
        channel=unit.channel, group_key=f"assignment:{row['id']}", status=status,
        payload=message.to_json(), state="pending", attempts=0, next_attempt=now,
        last_error="", created_at=now, sent_at=None))
    return unit.channel


def _columns() -> tuple[sa.Select, list[sa.ColumnElement]]:
    x, a, c = t.assignments, t.alerts, t.centres
    p = sa.select(c.c.province_code, sa.func.min(c.c.province_name).label("province_name")
                  ).group_by(c.c.province_code).subquery()
    cols: list[sa.ColumnElement] = [
        x.c.id, x.c.alert_id, a.c.rule, x.c.centre_id, c.c.name, x.c.province_code,
        p.c.province_name, x.c.unit, x.c.note, x.c.due_at, x.c.created_at,
        x.c.created_by, x.c.closed_at, x.c.closed_by, x.c.close_note, x.c.escalated_at]
    stmt = (sa.select(*cols).select_from(
        x.outerjoin(a, a.c.id == x.c.alert_id).outerjoin(c, c.c.id == x.c.centre_id)
        .outerjoin(p, p.c.province_code == x.c.province_code)))
    return stmt, cols


def _read(conn: sa.Connection, where: Sequence[sa.ColumnElement[bool]]) -> pl.DataFrame:
    stmt, _ = _columns()
    rows = [tuple(r) for r in conn.execute(stmt.where(*where).order_by(t.assignments.c.id))]
    return pl.DataFrame(rows, schema=pure.SCHEMA, orient="row")


def _in_scope(centre_ids: Sequence[str] | None,
              provinces: Sequence[int] | None) -> list[sa.ColumnElement[bool]]:
    """Assignments of `centre_ids`, plus province-wide ones (no centre) in `provinces`;
    no condition for the whole country (both None)."""
    if centre_ids is None and provinces is None:
        return []
    x = t.assignments
    parts: list[sa.ColumnElement[bool]] = []
    if centre_ids is not None:
        parts.append(x.c.centre_id.in_(list(centre_ids)))
    if provinces is not None:
        parts.append(sa.and_(x.c.centre_id.is_(None), x.c.province_code.in_(list(provinces))))
    return [sa.or_(*parts)]


def assignments(store: Store, *, since: int | None = None, until: int | None = None,
                centre_ids: Sequence[str] | None = None,
                provinces: Sequence[int] | None = None,
                alert_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Assignments alive in [`since`, `until`]: created by `until` and not closed before
    `since` (None: no bound), of `centre_ids` (and province-wide ones in `provinces`; both
    None: all) and, with `alert_ids`, of those incidents only. `metrics.alerts.assignments.SCHEMA`,
    by id."""
    x = t.assignments
    where = _in_scope(centre_ids, provinces)
    if since is not None:
        where.append(sa.or_(x.c.closed_at.is_(None), x.c.closed_at >= since))
    if until is not None:
        where.append(x.c.created_at <= until)
    if alert_ids is not None:
        where.append(x.c.alert_id.in_(list(alert_ids)))
    with store.engine.connect() as conn:
        return _read(conn, where)


def version(store: Store) -> tuple[int, int, int, int]:
    """A key that changes with every assign, close and escalation: (rows, newest id, newest
    closing, newest escalation)."""
    x = t.assignments
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(x.c.id),
                                     sa.func.max(x.c.closed_at),
                                     sa.func.max(x.c.escalated_at))).one()
    count, newest, closed, escalated = (int(v or 0) for v in row)
    return count, newest, closed, escalated


__all__ = ["RULE", "assign", "assignments", "close", "escalate", "version"]
