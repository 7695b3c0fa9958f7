"""Collection gaps: stretches of cycles a collector polled but could not keep.

A gap is one row of `collection_gaps` (schema version 8): which collector, the first
and last lost poll (ms), how many cycles, the centres those cycles held, a reason code
and a JSON detail. The collector records a gap once the database is back
(`collectors/writing/gaps.py`); the dashboard reads them here.

Writes are idempotent on (collector, start_ts): a gap recorded again after a crash —
the database committed, the collector died before clearing its own record — only
updates the same row to what the record says (a superset), so each gap lands once.

Scope: a gap carries the ids of the centres its cycles held, so it is shown to a viewer
whose scope holds at least one of them (`between(..., centre_ids=...)`), never to a
province the lost cycles did not poll.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from metrics.store import dialects
from metrics.store.records import to_ms
from metrics.store.schema import collection_gaps as table

SPOOL_FULL = "spool_full"  # the spool's bound or its disk was full while the database was away
SPOOL_UNWRITABLE = "spool_unwritable"  # the spool folder was missing, read-only or unusable
TIME = pl.Datetime("ms", "UTC")
GAP_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "collector": pl.String(), "start": TIME, "end": TIME, "cycles": pl.Int64(),
    "centres": pl.List(pl.String()), "reason": pl.String(), "polls": pl.Int64(),
    "spool_bytes": pl.Int64(), "max_bytes": pl.Int64(),
}


@dataclass(frozen=True)
class Gap:
    """One contiguous stretch of lost cycles, as recorded."""

    start_ms: int  # the first lost poll
    end_ms: int  # the last lost poll
    cycles: int
    centres: tuple[str, ...]  # sorted ids
    reason: str = SPOOL_FULL
    detail: dict[str, Any] = field(default_factory=dict)  # polls, spool_bytes, max_bytes


def _insert(dialect: str) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def record(engine: sa.Engine, collector: str, gaps: Sequence[Gap]) -> int:
    """Write `gaps` of `collector` in one transaction (again: the same rows); how many."""
    if not gaps:
        return 0
    rows = [{"collector": collector, "start_ts": g.start_ms, "end_ts": g.end_ms,
             "cycles": g.cycles, "centres": ",".join(g.centres), "reason": g.reason,
             "detail": json.dumps(g.detail, sort_keys=True)} for g in gaps]
    stmt = _insert(engine.dialect.name)
    stmt = stmt.on_conflict_do_update(
        index_elements=["collector", "start_ts"],
        set_={c: stmt.excluded[c] for c in ("end_ts", "cycles", "centres", "reason", "detail")})
    with dialects.write_transaction(engine) as conn:
        conn.execute(stmt, rows)
    return len(rows)


def _number(detail: dict[str, Any], key: str) -> int | None:
    value = detail.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def frame(rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """`collection_gaps` rows (id, collector, start_ts, end_ts, cycles, centres, reason,
    detail) as a typed frame: times as Datetime, centres as a list, the detail's numbers
    as columns (null when a detail is unreadable)."""
    out = []
    for gap_id, collector, start, end, cycles, centres, reason, detail in rows:
        try:
            parsed = json.loads(detail or "{}")
        except json.JSONDecodeError:
            parsed = {}
        parsed = parsed if isinstance(parsed, dict) else {}
        out.append((gap_id, collector, start, end, cycles,
                    [c for c in (centres or "").split(",") if c], reason,
                    _number(parsed, "polls"), _number(parsed, "spool_bytes"),
                    _number(parsed, "max_bytes")))
    raw = {k: (pl.Int64 if v == TIME else v) for k, v in GAP_SCHEMA.items()}
    return (pl.DataFrame(out, schema=raw, orient="row")
            .with_columns(pl.col("start", "end").cast(TIME)))


def visible(gaps: pl.DataFrame, centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """The gaps holding at least one of `centre_ids` (None: every gap; []: none)."""
    if centre_ids is None:
        return gaps
    wanted = pl.Series(list(centre_ids), dtype=pl.String)
    return gaps.filter(pl.col("centres").list.set_intersection(wanted.implode()).list.len() > 0)


def between(engine: sa.Engine, start: datetime, end: datetime,
            centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Gaps overlapping [start, end] (bounds inclusive) seen by a scope with `centre_ids`
    (None: the whole country), newest first. Gaps are few (one per overflowed outage), so
    the scope is applied to the rows read rather than in SQL."""
    t = table
    stmt = (sa.select(t.c.id, t.c.collector, t.c.start_ts, t.c.end_ts, t.c.cycles, t.c.centres,
                      t.c.reason, t.c.detail)
            .where(t.c.end_ts >= to_ms(start), t.c.start_ts <= to_ms(end))
            .order_by(t.c.start_ts.desc(), t.c.id))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    return visible(frame(rows), centre_ids)
