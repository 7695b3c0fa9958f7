"""The reads behind `Store.today_increases` (`metrics.today` says what they answer).

Each is one statement for every series asked for: the closed hours summed in the
database (`rollups.increases`), each series' newest hourly bucket before the
rest (its last value is the baseline), and the rest as rows, 5-minute buckets
or raw samples (at most an hour's worth of each series).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics import dialects, rollups
from metrics import today as t
from metrics.schema import rollup_1h, samples, series


def _filtered(stmt: sa.Select, metrics: Sequence[str],
              centre_ids: Sequence[str] | None) -> sa.Select:
    stmt = stmt.where(series.c.metric.in_(list(metrics)))
    return stmt if centre_ids is None else stmt.where(series.c.centre_id.in_(list(centre_ids)))


KEYS = (series.c.centre_id, series.c.metric, series.c.label)


def baseline(conn: Connection, metrics: Sequence[str], lo_ms: int, hi_ms: int,
             centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """Each series' newest hourly bucket with lo <= ts <= hi: its last value
    (`today.BASELINE_SCHEMA`)."""
    joined, x = dialects.newest_join(conn.dialect.name, series, series.c.id, rollup_1h,
                                     "series_id", lo_ms - 1, hi_ms)
    stmt = _filtered(sa.select(*KEYS, x.last_value).select_from(joined), metrics, centre_ids)
    return pl.DataFrame(conn.execute(stmt).all(), schema=t.BASELINE_SCHEMA, orient="row")


def pieces(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
           end_ms: int, centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """5-minute buckets (`resolution` FIVE_MIN) or raw samples (RAW, as one-sample
    buckets) with start <= ts <= end (`today.PIECES_SCHEMA`)."""
    if resolution == rollups.RAW:
        table = samples
        cols = lambda x: [x.ts, x.value, x.value, sa.literal(0.0, sa.Double)]  # noqa: E731
    else:
        table = rollups.TABLES[resolution]
        cols = lambda x: [x.ts, x.first_value, x.last_value, x.inc_within]  # noqa: E731
    if conn.dialect.name == "postgresql":
        # One index range scan per series (see `rollups.read`: a time range alone makes
        # PostgreSQL read every series' rows of that time through the BRIN index).
        per = (sa.select(table).where(table.c.series_id == series.c.id,
                                      table.c.ts >= start_ms, table.c.ts <= end_ms)
               .lateral("p"))
        stmt = sa.select(*KEYS, *cols(per.c)).select_from(series.join(per, sa.true()))
    else:
        stmt = (sa.select(*KEYS, *cols(table.c))
                .select_from(series.join(table, table.c.series_id == series.c.id))
                .where(table.c.ts >= start_ms, table.c.ts <= end_ms))
    rows = conn.execute(_filtered(stmt, metrics, centre_ids)).all()
    return pl.DataFrame(rows, schema=t.PIECES_SCHEMA, orient="row")


def today_increases(conn: Connection, metrics: Sequence[str], day_start_ms: int, at_ms: int,
                    centre_ids: Sequence[str] | None, plan: t.Plan
                    ) -> tuple[pl.DataFrame, tuple[tuple[str, int, int], ...]]:
    """Today's increases per series as `plan` (`today.plan`) says to read them, and what
    was read: (resolution, first ms, last ms) per read, coarsest first."""
    if plan.whole is not None:
        return rollups.increases(conn, plan.whole, metrics, day_start_ms, at_ms, centre_ids,
                                 zero_start=True), ((plan.whole, day_start_ms, at_ms),)
    closed, read = t.empty(), []
    if plan.hours_end_ms > day_start_ms:
        read.append((rollups.HOUR, day_start_ms, plan.hours_end_ms - 1))
        closed = rollups.increases(conn, rollups.HOUR, metrics, day_start_ms,
                                   plan.hours_end_ms - 1, centre_ids, zero_start=True)
    parts = []
    if plan.fives_end_ms > plan.hours_end_ms:
        read.append((rollups.FIVE_MIN, plan.hours_end_ms, plan.fives_end_ms - 1))
        parts.append(pieces(conn, rollups.FIVE_MIN, metrics, *read[-1][1:], centre_ids))
    if plan.raw:
        read.append((rollups.RAW, plan.fives_end_ms, at_ms))
        parts.append(pieces(conn, rollups.RAW, metrics, *read[-1][1:], centre_ids))
    if not parts:
        return closed, tuple(read)
    base = baseline(conn, metrics, day_start_ms - rollups.HOUR_MS, plan.hours_end_ms - 1,
                    centre_ids)
    return t.chain(closed, base, pl.concat(parts)), tuple(read)
