"""Reading alerts for the dashboard: alert instances and their events as polars frames.

The alert engine (`metrics/alerts/`) writes the tables; this module only reads
them, one query per call for the whole fleet (never one per centre).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from metrics import schema as t
from metrics.store import Store, to_ms

_TIME_COLUMNS = ("pending_since", "firing_since", "resolved_at", "last_eval", "last_notified",
                 "acked_at", "ts")


def _frame(store: Store, stmt: sa.Select) -> pl.DataFrame:
    with store.engine.connect() as conn:
        result = conn.execute(stmt)
        rows = [tuple(r) for r in result]
        columns = list(result.keys())
    frame = pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
    for name in _TIME_COLUMNS:
        if name in frame.columns:
            frame = frame.with_columns(
                pl.col(name).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")).alias(name))
    return frame


def alerts(store: Store, start: datetime, end: datetime, *,
           centre_ids: Sequence[str] | None = None,
           states: Sequence[str] | None = None) -> pl.DataFrame:
    """Alert instances alive at any moment in [start, end]: started by `end` and not
    resolved before `start`. Columns are those of the `alerts` table; times are
    Datetime("ms", "UTC")."""
    a = t.alerts
    stmt = sa.select(a).where(
        a.c.pending_since <= to_ms(end),
        sa.or_(a.c.resolved_at.is_(None), a.c.resolved_at >= to_ms(start)),
    ).order_by(a.c.pending_since.desc())
    if centre_ids is not None:
        stmt = stmt.where(a.c.centre_id.in_(list(centre_ids)))
    if states is not None:
        stmt = stmt.where(a.c.state.in_(list(states)))
    return _frame(store, stmt)


def alert_events(store: Store, start: datetime, end: datetime, *,
                 centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Events in [start, end] with their alert's rule, severity and centre, newest first."""
    e, a = t.alert_events, t.alerts
    stmt = (
        sa.select(e.c.id, e.c.alert_id, e.c.ts, e.c.kind, e.c.actor, e.c.detail,
                  a.c.rule, a.c.severity, a.c.centre_id, a.c.summary)
        .join(a, a.c.id == e.c.alert_id)
        .where(e.c.ts >= to_ms(start), e.c.ts <= to_ms(end))
        .order_by(e.c.ts.desc(), e.c.id.desc())
    )
    if centre_ids is not None:
        stmt = stmt.where(a.c.centre_id.in_(list(centre_ids)))
    return _frame(store, stmt)
