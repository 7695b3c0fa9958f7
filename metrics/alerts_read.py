"""Reading alerts for the dashboard: alert instances, their events and the outbox as polars frames.

The alert engine (`metrics/alerts/`) writes the tables; this module only reads
them, one query per call for the whole fleet (never one per centre). Every
frame has an explicit schema, so an empty result still has its columns and
dtypes; times are Datetime("ms", "UTC").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from metrics import schema as t
from metrics.store import Store, to_ms

TIME = pl.Datetime("ms", "UTC")
ALERT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64, "fingerprint": pl.String, "rule": pl.String, "severity": pl.String,
    "centre_id": pl.String, "province_code": pl.Int64, "labels": pl.String,
    "summary": pl.String, "cause": pl.String, "value": pl.Float64, "state": pl.String,
    "pending_since": TIME, "firing_since": TIME, "resolved_at": TIME, "last_eval": TIME,
    "last_notified": TIME, "acked_by": pl.String, "acked_at": TIME, "ack_note": pl.String,
    "inhibited_by": pl.String,
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64, "alert_id": pl.Int64, "ts": TIME, "kind": pl.String, "actor": pl.String,
    "detail": pl.String, "rule": pl.String, "severity": pl.String, "centre_id": pl.String,
    "summary": pl.String,
}
NOTIFICATION_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64, "channel": pl.String, "group_key": pl.String, "status": pl.String,
    "state": pl.String, "attempts": pl.Int64, "next_attempt": TIME, "last_error": pl.String,
    "created_at": TIME, "sent_at": TIME,
}


def _frame(store: Store, stmt: sa.Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows of `stmt` (selecting exactly `schema`'s columns, in order) as a typed frame."""
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    raw = {name: (pl.Int64 if dtype == TIME else dtype) for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    times = [name for name, dtype in schema.items() if dtype == TIME]
    return frame.with_columns(pl.col(times).cast(TIME)) if times else frame


def _in_scope(a: sa.Table, centre_ids: Sequence[str] | None,
              provinces: Sequence[int] | None) -> sa.ColumnElement[bool] | None:
    """Alerts of `centre_ids`, plus those without a centre in `provinces` (a scope's
    province-wide alerts); None: no filter."""
    if centre_ids is None and provinces is None:
        return None
    parts = []
    if centre_ids is not None:
        parts.append(a.c.centre_id.in_(list(centre_ids)))
    if provinces is not None:
        parts.append(sa.and_(a.c.centre_id.is_(None), a.c.province_code.in_(list(provinces))))
    return sa.or_(*parts)


def alerts(store: Store, start: datetime, end: datetime, *,
           centre_ids: Sequence[str] | None = None,
           states: Sequence[str] | None = None,
           provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Alert instances alive at any moment in [start, end]: started by `end` and not
    resolved before `start`, newest first. Columns: `ALERT_SCHEMA`.

    `centre_ids` and `provinces` (a dashboard scope, metrics/scope.py): only the alerts
    of those centres and, with `provinces`, the province-wide ones (no centre) of those."""
    a = t.alerts
    stmt = sa.select(*(a.c[name] for name in ALERT_SCHEMA)).where(
        a.c.pending_since <= to_ms(end),
        sa.or_(a.c.resolved_at.is_(None), a.c.resolved_at >= to_ms(start)),
    ).order_by(a.c.pending_since.desc(), a.c.id.desc())
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        stmt = stmt.where(scoped)
    if states is not None:
        stmt = stmt.where(a.c.state.in_(list(states)))
    return _frame(store, stmt, ALERT_SCHEMA)


def alert_events(store: Store, start: datetime, end: datetime, *,
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Events in [start, end] with their alert's rule, severity and centre, newest first;
    `centre_ids`/`provinces` as in `alerts`. Columns: `EVENT_SCHEMA`."""
    e, a = t.alert_events, t.alerts
    stmt = (
        sa.select(e.c.id, e.c.alert_id, e.c.ts, e.c.kind, e.c.actor, e.c.detail,
                  a.c.rule, a.c.severity, a.c.centre_id, a.c.summary)
        .join(a, a.c.id == e.c.alert_id)
        .where(e.c.ts >= to_ms(start), e.c.ts <= to_ms(end))
        .order_by(e.c.ts.desc(), e.c.id.desc())
    )
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        stmt = stmt.where(scoped)
    return _frame(store, stmt, EVENT_SCHEMA)


def notifications(store: Store, *, states: Sequence[str] | None = ("retrying", "pending"),
                  failed_only: bool = True, limit: int = 200) -> pl.DataFrame:
    """Outbox rows not yet delivered (by default: `states`, and only those with an error),
    newest first, at most `limit`. Payloads are left out (they can be large).
    Columns: `NOTIFICATION_SCHEMA`."""
    n = t.notifications
    stmt = (sa.select(*(n.c[name] for name in NOTIFICATION_SCHEMA))
            .order_by(n.c.created_at.desc(), n.c.id.desc()).limit(limit))
    if states is not None:
        stmt = stmt.where(n.c.state.in_(list(states)))
    if failed_only:
        stmt = stmt.where(n.c.last_error != "")
    return _frame(store, stmt, NOTIFICATION_SCHEMA)


def version(store: Store) -> tuple[int, int, int]:
    """A cheap freshness key for the alert tables: (newest alert id, newest event id,
    newest evaluation time in ms). It changes whenever the engine or a person writes."""
    a, e = t.alerts, t.alert_events
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.select(sa.func.max(a.c.id)).scalar_subquery(),
            sa.select(sa.func.max(e.c.id)).scalar_subquery(),
            sa.select(sa.func.max(a.c.last_eval)).scalar_subquery())).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]
