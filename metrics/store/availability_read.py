"""What time-weighted availability reads: polls and "system down" reports of a window.

`polls`: two queries, in fewer bytes than `Store.polls` and `Store.samples`: each poll's
centre, time, outcome and failure reason, and only the `system_state` samples that say
down; the arithmetic is then `metrics.availability`'s. `chunk_seconds_sql`: the same
arithmetic summed in the database, for the dashboard's fleet-wide reads. Reads only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from config.catalogue import STATE_DOWN
from metrics import availability as av
from metrics.resolutions import FIVE_MIN_MS
from metrics.store import Store, to_ms
from metrics.store import schema as t

POLL_SCHEMA = {"centre_id": pl.String, "ts": pl.Int64, "ok": pl.Boolean, "reason": pl.String}
REPORT_SCHEMA = {"centre_id": pl.String, "ts": pl.Int64, "value": pl.Float64}


def polls(store: Store, start: datetime, end: datetime,
          centre_ids: Sequence[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(polls, system-down reports) with start <= ts <= end, ts in ms: the inputs of
    `availability.poll_states`. A failed poll's reason is read, an answered one's not."""
    p = t.polls
    lo, hi = to_ms(start), to_ms(end)
    poll_stmt = (sa.select(p.c.centre_id, p.c.ts, p.c.ok,
                           sa.case((sa.not_(p.c.ok), p.c.reason), else_=sa.null()))
                 .where(p.c.ts >= lo, p.c.ts <= hi))
    if centre_ids is not None:
        poll_stmt = poll_stmt.where(p.c.centre_id.in_(list(centre_ids)))
    report_stmt = down_reports(lo, hi, centre_ids)
    with store.engine.connect() as conn:
        poll_rows = conn.execute(poll_stmt).all()
        report_rows = conn.execute(report_stmt).all()
    return (pl.DataFrame(poll_rows, schema=POLL_SCHEMA, orient="row"),
            pl.DataFrame([(c, ts, STATE_DOWN) for c, ts in report_rows], schema=REPORT_SCHEMA,
                         orient="row"))


def down_reports(lo_ms: int, hi_ms: int, centre_ids: Sequence[str] | None = None) -> sa.Select:
    """(centre_id, ts) of every `system_state` sample saying down at lo_ms <= ts <= hi_ms.

    Found through the 5-minute roll-up: only the buckets whose minimum is "down" have their
    raw samples read, since a fleet-wide time range of raw samples holds every metric's
    (~49 a poll) and these reports are rare."""
    s, x, b = t.series, t.samples, t.rollup_5m
    first_bucket = lo_ms - lo_ms % FIVE_MIN_MS
    stmt = (sa.select(s.c.centre_id, x.c.ts)
            .select_from(s.join(b, b.c.series_id == s.c.id).join(
                x, sa.and_(x.c.series_id == s.c.id, x.c.ts >= b.c.ts,
                           x.c.ts < b.c.ts + FIVE_MIN_MS)))
            .where(s.c.metric == "system_state", s.c.label == "",
                   b.c.ts >= first_bucket, b.c.ts <= hi_ms, b.c.min_value == STATE_DOWN,
                   x.c.ts >= lo_ms, x.c.ts <= hi_ms, x.c.value == STATE_DOWN))
    if centre_ids is not None:
        stmt = stmt.where(s.c.centre_id.in_(list(centre_ids)))
    return stmt


def chunk_seconds(store: Store, a: datetime, b: datetime, hold_s: float,
                  centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """`availability.state_seconds` of the chunk [a, b), from its polls from `hold_s`
    before `a` to `hold_s` after `b`, read into polars (`polls`)."""
    hold = timedelta(seconds=hold_s)
    got, reports = polls(store, a - hold, b + hold, centre_ids)
    return av.state_seconds(av.poll_states(got, reports), a, b, hold_s)


def _least(x: sa.ColumnElement, y: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((x < y, x), else_=y)


def _greatest(x: sa.ColumnElement, y: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((x > y, x), else_=y)


def chunk_seconds_sql(store: Store, a: datetime, b: datetime, hold_s: float,
                      centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """`chunk_seconds` summed in the database: the same rule (`availability.poll_states`
    and `state_seconds`, step for step), one row per centre returned instead of every
    poll. The loaders use this one: a national hour is ~800,000 polls, which cost far
    more to fetch than to sum (docs/dashboard.md). tests/contract pins it to the pure
    function on SQLite and PostgreSQL."""
    p = t.polls
    hold = round(hold_s * 1000)
    if hold <= 0:
        raise ValueError(f"hold_s must be positive, not {hold_s}")
    a_ms, b_ms = to_ms(a), to_ms(b)
    lo, hi = a_ms - hold, b_ms + hold
    window = sa.select(p.c.centre_id, p.c.ts, p.c.ok, p.c.reason)
    window = window.where(p.c.ts >= lo, p.c.ts <= hi)
    if centre_ids is not None:
        window = window.where(p.c.centre_id.in_(list(centre_ids)))
    r, w = down_reports(lo, hi, centre_ids).subquery("r"), window.subquery("w")
    state = sa.case((sa.and_(sa.not_(w.c.ok), w.c.reason == av.SKIPPED), av.UNKNOWN),
                    (sa.not_(w.c.ok), av.DOWN), (r.c.ts.is_not(None), av.DOWN),
                    else_=av.UP)
    nxt = sa.func.lead(w.c.ts).over(partition_by=w.c.centre_id, order_by=w.c.ts)
    held = (sa.select(w.c.centre_id, w.c.ts, state.label("state"), nxt.label("next"))
            .select_from(w.outerjoin(r, sa.and_(r.c.centre_id == w.c.centre_id,
                                                 r.c.ts == w.c.ts)))
            .subquery("h"))
    until = _least(sa.case((held.c.next.is_(None), held.c.ts + hold),
                           else_=_least(held.c.next, held.c.ts + hold)), sa.literal(b_ms))
    ms = until - _greatest(held.c.ts, sa.literal(a_ms))
    counted = sa.case((ms > 0, ms), else_=0)
    stmt = (sa.select(held.c.centre_id,
                      sa.func.sum(sa.case((held.c.state == av.UP, counted), else_=0)),
                      sa.func.sum(sa.case((held.c.state == av.DOWN, counted), else_=0)))
            .group_by(held.c.centre_id).order_by(held.c.centre_id))
    with store.engine.connect() as conn:
        rows = [(c, float(up) / 1000, float(down) / 1000) for c, up, down in conn.execute(stmt)]
    return pl.DataFrame(rows, schema=av.SECONDS_SCHEMA, orient="row")


def chunk_seconds_fastest(store: Store, a: datetime, b: datetime, hold_s: float,
                          centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """`chunk_seconds` the cheaper way for the store's database (the same figures, pinned
    by tests/contract): PostgreSQL sums in the database, since fetching a national hour's
    polls costs ~4× summing them there; SQLite, in the process, fetches them cheaply and
    polars sums them faster than its window functions do (docs/dashboard.md)."""
    if store.dialect == "postgresql":
        return chunk_seconds_sql(store, a, b, hold_s, centre_ids)
    return chunk_seconds(store, a, b, hold_s, centre_ids)
