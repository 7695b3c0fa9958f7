"""The alert tables read for the dashboard: the SQL of metrics/alerts/read.py.

One query per call for the whole fleet (never one per centre); the history is filtered,
ordered, paged, counted and summarised here, in the database (a national month is 100,000
alerts). Rows come back as tuples (or mappings) of plain values; read.py frames them.
Times are int ms UTC. Scope: `centre_ids` keeps those centres' alerts and `provinces` the
province-wide ones (no centre) of those provinces; both None keeps every alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from metrics.store import schema as t

Chosen = Sequence[tuple[str, Sequence[str]]]  # (alerts column, the values kept)


def _rows(engine: Engine, stmt: sa.Select) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def _in_scope(a: sa.Table, centre_ids: Sequence[str] | None,
              provinces: Sequence[int] | None) -> sa.ColumnElement[bool] | None:
    """Alerts of `centre_ids`, plus those without a centre in `provinces` (a scope's
    province-wide alerts); None: no filter."""
    if centre_ids is None and provinces is None:
        return None
    parts: list[sa.ColumnElement[bool]] = []
    if centre_ids is not None:
        parts.append(a.c.centre_id.in_(list(centre_ids)))
    if provinces is not None:
        parts.append(sa.and_(a.c.centre_id.is_(None), a.c.province_code.in_(list(provinces))))
    return sa.or_(*parts)


def _alive(a: sa.Table, start_ms: int, end_ms: int, centre_ids: Sequence[str] | None,
           provinces: Sequence[int] | None) -> list[sa.ColumnElement[bool]]:
    """Alive at some moment in [start, end] (started by `end`, not resolved before
    `start`) and in the scope (`_in_scope`)."""
    where = [a.c.pending_since <= end_ms,
             sa.or_(a.c.resolved_at.is_(None), a.c.resolved_at >= start_ms)]
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        where.append(scoped)
    return where


def alive_alerts(engine: Engine, columns: Iterable[str], start_ms: int, end_ms: int, *,
                 centre_ids: Sequence[str] | None = None,
                 states: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> list[tuple]:
    """`columns` of the alerts alive in [start, end] (and in `states`), newest first."""
    a = t.alerts
    stmt = (sa.select(*(a.c[name] for name in columns))
            .where(*_alive(a, start_ms, end_ms, centre_ids, provinces))
            .order_by(a.c.pending_since.desc(), a.c.id.desc()))
    if states is not None:
        stmt = stmt.where(a.c.state.in_(list(states)))
    return _rows(engine, stmt)


def _board_order(a: sa.Table, severity_order: Mapping[str, int]) -> list[sa.ColumnElement]:
    """The board's order: severity by `severity_order`, then the oldest `since` (firing,
    else pending); ties newest first."""
    rank = sa.case(dict(severity_order), value=a.c.severity, else_=9)
    since = sa.func.coalesce(a.c.firing_since, a.c.pending_since)
    return [rank, since, a.c.pending_since.desc(), a.c.id.desc()]


def alive_alerts_page(engine: Engine, columns: Iterable[str], start_ms: int, end_ms: int, *,
                      limit: int, offset: int, chosen: Chosen,
                      severity_order: Mapping[str, int],
                      centre_ids: Sequence[str] | None = None,
                      provinces: Sequence[int] | None = None) -> list[tuple]:
    """Rows offset … offset + limit of the alerts alive in [start, end] whose columns hold
    one of the `chosen` values, in the board's order (`_board_order`)."""
    a = t.alerts
    stmt = (sa.select(*(a.c[name] for name in columns))
            .where(*_alive(a, start_ms, end_ms, centre_ids, provinces),
                   *(a.c[column].in_(list(values)) for column, values in chosen))
            .order_by(*_board_order(a, severity_order)).limit(limit).offset(offset))
    return _rows(engine, stmt)


def alert_groups(engine: Engine, start_ms: int, end_ms: int, *,
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None
                 ) -> list[tuple[str, bool, str, str, str | None, int]]:
    """(state, acknowledged, severity, rule, centre id, how many) per combination present
    among the alerts alive in [start, end]: one grouped query."""
    a = t.alerts
    acked = sa.case((a.c.acked_at.is_(None), 0), else_=1)
    stmt = (sa.select(a.c.state, acked, a.c.severity, a.c.rule, a.c.centre_id, sa.func.count())
            .where(*_alive(a, start_ms, end_ms, centre_ids, provinces))
            .group_by(a.c.state, acked, a.c.severity, a.c.rule, a.c.centre_id))
    return [(state, bool(ack), sev, rule, cid, int(n))
            for state, ack, sev, rule, cid, n in _rows(engine, stmt)]


def recovery_by_centre(engine: Engine, start_ms: int, end_ms: int, *,
                       centre_ids: Sequence[str] | None = None,
                       provinces: Sequence[int] | None = None
                       ) -> list[tuple[str, int, float, float]]:
    """(centre id, alerts, median s, longest s) from firing to resolution, per centre, over
    the alerts alive in [start, end] that fired and resolved; the median is the middle one,
    or the mean of the middle two."""
    a = t.alerts
    ms = (a.c.resolved_at - a.c.firing_since).label("ms")
    done = (sa.select(a.c.centre_id, ms)
            .where(*_alive(a, start_ms, end_ms, centre_ids, provinces),
                   a.c.centre_id.is_not(None),
                   a.c.firing_since.is_not(None), a.c.resolved_at.is_not(None))
            .subquery("done"))
    ranked = sa.select(
        done.c.centre_id, done.c.ms,
        sa.func.row_number().over(partition_by=done.c.centre_id,
                                  order_by=done.c.ms).label("rn"),
        sa.func.count().over(partition_by=done.c.centre_id).label("n"),
        sa.func.max(done.c.ms).over(partition_by=done.c.centre_id).label("longest"),
    ).subquery("ranked")
    # The middle row (n odd), or the middle two (n even): 2·rn in [n, n + 2].
    middle = (2 * ranked.c.rn >= ranked.c.n) & (2 * ranked.c.rn <= ranked.c.n + 2)
    stmt = (sa.select(ranked.c.centre_id, sa.func.max(ranked.c.n), sa.func.avg(ranked.c.ms),
                      sa.func.max(ranked.c.longest))
            .where(middle).group_by(ranked.c.centre_id))
    return [(cid, int(n), float(med) / 1000, float(top) / 1000)
            for cid, n, med, top in _rows(engine, stmt)]


def event_rows(engine: Engine, start_ms: int, end_ms: int, *,
               centre_ids: Sequence[str] | None = None,
               provinces: Sequence[int] | None = None) -> list[tuple]:
    """Events in [start, end], newest first: (id, alert_id, ts, kind, actor, detail) and
    their alert's (rule, severity, centre_id, summary)."""
    e, a = t.alert_events, t.alerts
    stmt = (
        sa.select(e.c.id, e.c.alert_id, e.c.ts, e.c.kind, e.c.actor, e.c.detail,
                  a.c.rule, a.c.severity, a.c.centre_id, a.c.summary)
        .join(a, a.c.id == e.c.alert_id)
        .where(e.c.ts >= start_ms, e.c.ts <= end_ms)
        .order_by(e.c.ts.desc(), e.c.id.desc())
    )
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        stmt = stmt.where(scoped)
    return _rows(engine, stmt)


def notification_rows(engine: Engine, columns: Iterable[str], *,
                      states: Sequence[str] | None, failed_only: bool,
                      limit: int) -> list[tuple]:
    """`columns` of outbox rows (of `states`; with `failed_only`, only those with an
    error), newest first, at most `limit`."""
    n = t.notifications
    stmt = (sa.select(*(n.c[name] for name in columns))
            .order_by(n.c.created_at.desc(), n.c.id.desc()).limit(limit))
    if states is not None:
        stmt = stmt.where(n.c.state.in_(list(states)))
    if failed_only:
        stmt = stmt.where(n.c.last_error != "")
    return _rows(engine, stmt)


def silences_at(engine: Engine, ms: int) -> list[Mapping[Any, Any]]:
    """Every column of the silences in force at `ms`: begun by then, not ended, not
    cancelled by then."""
    s = t.silences
    with engine.connect() as conn:
        return list(conn.execute(sa.select(s).where(
            s.c.starts_at <= ms, s.c.ends_at > ms,
            sa.or_(s.c.cancelled_at.is_(None), s.c.cancelled_at > ms))).mappings().all())


def version(engine: Engine) -> tuple[int, int, int]:
    """(newest alert id, newest event id, newest evaluation time in ms)."""
    a, e = t.alerts, t.alert_events
    with engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.select(sa.func.max(a.c.id)).scalar_subquery(),
            sa.select(sa.func.max(e.c.id)).scalar_subquery(),
            sa.select(sa.func.max(a.c.last_eval)).scalar_subquery())).one()
    alert_id, event_id, last_eval = (int(v or 0) for v in row)
    return alert_id, event_id, last_eval
