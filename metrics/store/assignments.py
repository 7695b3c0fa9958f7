"""The `assignments` table: the SQL of metrics/alerts/assignments_store.py.

Rows come back as tuples in `COLUMNS` order, with the centre's and the province's names
joined in; the caller frames them (`metrics.alerts.assignments.SCHEMA` names the same
columns). Writes take the caller's connection, so an assignment, its audit row and its
notice commit together. Times are int ms UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store import schema as t

COLUMNS = ("id", "alert_id", "rule", "centre_id", "centre", "province_code", "province",
           "unit", "note", "due_at", "created_at", "created_by", "closed_at", "closed_by",
           "close_note", "escalated_at")


def _select() -> sa.Select:
    x, a, c = t.assignments, t.alerts, t.centres
    p = sa.select(c.c.province_code, sa.func.min(c.c.province_name).label("province_name")
                  ).group_by(c.c.province_code).subquery()
    cols = [x.c.id, x.c.alert_id, a.c.rule, x.c.centre_id, c.c.name, x.c.province_code,
            p.c.province_name, x.c.unit, x.c.note, x.c.due_at, x.c.created_at,
            x.c.created_by, x.c.closed_at, x.c.closed_by, x.c.close_note, x.c.escalated_at]
    return (sa.select(*cols).select_from(
        x.outerjoin(a, a.c.id == x.c.alert_id).outerjoin(c, c.c.id == x.c.centre_id)
        .outerjoin(p, p.c.province_code == x.c.province_code)))


def _rows(conn: Connection, where: Sequence[sa.ColumnElement[bool]]) -> list[tuple]:
    return [tuple(r) for r in conn.execute(_select().where(*where)
                                           .order_by(t.assignments.c.id))]


def one(conn: Connection, assignment_id: int) -> list[tuple]:
    """Assignment `assignment_id` (no row when there is none)."""
    return _rows(conn, [t.assignments.c.id == assignment_id])


def overdue(conn: Connection, now: int) -> list[tuple]:
    """The open assignments due by `now` and not yet escalated, by id."""
    x = t.assignments
    return _rows(conn, [x.c.closed_at.is_(None), x.c.escalated_at.is_(None),
                        x.c.due_at <= now])


def alive(engine: Engine, *, since: int | None = None, until: int | None = None,
          centre_ids: Sequence[str] | None = None, provinces: Sequence[int] | None = None,
          alert_ids: Sequence[int] | None = None) -> list[tuple]:
    """Assignments created by `until` and not closed before `since` (None: no bound), of
    `centre_ids` plus the province-wide ones (no centre) in `provinces` (both None: all)
    and, with `alert_ids`, of those alerts only; by id."""
    x = t.assignments
    where = []
    if centre_ids is not None or provinces is not None:
        parts: list[sa.ColumnElement[bool]] = []
        if centre_ids is not None:
            parts.append(x.c.centre_id.in_(list(centre_ids)))
        if provinces is not None:
            parts.append(sa.and_(x.c.centre_id.is_(None),
                                 x.c.province_code.in_(list(provinces))))
        where.append(sa.or_(*parts))
    if since is not None:
        where.append(sa.or_(x.c.closed_at.is_(None), x.c.closed_at >= since))
    if until is not None:
        where.append(x.c.created_at <= until)
    if alert_ids is not None:
        where.append(x.c.alert_id.in_(list(alert_ids)))
    with engine.connect() as conn:
        return _rows(conn, where)


def alert_subject(conn: Connection, alert_id: int) -> tuple[str | None, int | None] | None:
    """(centre id, province code) of alert `alert_id`, or None when there is none."""
    a = t.alerts
    found = conn.execute(sa.select(a.c.centre_id, a.c.province_code, a.c.state)
                         .where(a.c.id == alert_id)).one_or_none()
    return None if found is None else (found.centre_id, found.province_code)


def centre_province(conn: Connection, centre_id: str) -> int | None:
    """The province code of centre `centre_id`, or None when there is none."""
    c = t.centres
    return conn.execute(sa.select(c.c.province_code).where(c.c.id == centre_id)).scalar()


def insert(conn: Connection, **values: Any) -> int:
    """A new assignment; its id."""
    x = t.assignments
    return int(conn.execute(x.insert().values(**values).returning(x.c.id)).scalar_one())


def close(conn: Connection, assignment_id: int, *, now: int, by: str, note: str) -> int:
    """Close assignment `assignment_id` if it is open; rows changed (0 or 1)."""
    x = t.assignments
    return int(conn.execute(x.update().where(x.c.id == assignment_id, x.c.closed_at.is_(None))
                            .values(closed_at=now, closed_by=by, close_note=note)).rowcount)


def mark_escalated(conn: Connection, assignment_id: int, now: int) -> bool:
    """Mark assignment `assignment_id` escalated at `now` if it is still open and not yet
    escalated; True when this call marked it."""
    x = t.assignments
    marked = conn.execute(x.update().where(x.c.id == assignment_id,
                                           x.c.escalated_at.is_(None),
                                           x.c.closed_at.is_(None))
                          .values(escalated_at=now))
    return marked.rowcount == 1


def version(engine: Engine) -> tuple[int, int, int, int]:
    """(rows, newest id, newest closing, newest escalation): changes with every write."""
    x = t.assignments
    with engine.connect() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(x.c.id),
                                     sa.func.max(x.c.closed_at),
                                     sa.func.max(x.c.escalated_at))).one()
    rows, newest, closed, escalated = (int(v or 0) for v in row)
    return rows, newest, closed, escalated
