"""The reads behind `Store.today_increases` (`metrics.today` says what they answer).

Each is one statement for every series asked for, one row a series back: the
closed hours summed in the database (`rollups.increases`), each series' newest
hourly bucket before the rest (its last value is the baseline), and the rest, the
hour's closed 5-minute buckets and the raw samples of the last minutes, each
summarised in the database as one piece a series.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics import resolutions
from metrics import today as t
from metrics.store import dialects, rollups
from metrics.store.schema import rollup_1h, series


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


# One piece per series: the rows in range merged in time order (`rollups.merge`): the first
# row's first value, the last row's last value, and the increase within them all.
_STEP = "(CASE WHEN r.fv >= r.prev THEN r.fv - r.prev ELSE r.fv END)"  # rollups.step in SQL
_ROWS = """SELECT ts, {first} AS fv, {last} AS lv, {inc} AS inc,
                  lag({last}) OVER (PARTITION BY series_id ORDER BY ts) AS prev,
                  first_value({first}) OVER (PARTITION BY series_id ORDER BY ts) AS f0,
                  last_value({last}) OVER (PARTITION BY series_id ORDER BY ts ROWS BETWEEN
                      UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS l1{sid}
           FROM {table} b WHERE {where} b.ts >= :lo AND b.ts <= :hi"""
_SUMS = (f"min(r.ts), max(r.f0), max(r.l1), "
         f"sum(r.inc + CASE WHEN r.prev IS NULL THEN 0.0 ELSE {_STEP} END)")


def pieces(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
           end_ms: int, centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """Per series, its 5-minute buckets (`resolution` FIVE_MIN) or raw samples (RAW) with
    start <= ts <= end summarised in the database as one piece (`today.PIECES_SCHEMA`: the
    first ts, first value, last value, and the increase within, resets counted), so a
    national fleet's few minutes of samples come back as one row a series."""
    if resolution == resolutions.RAW:
        cols = {"first": "b.value", "last": "b.value", "inc": "0.0", "table": "samples"}
    else:
        cols = {"first": "b.first_value", "last": "b.last_value", "inc": "b.inc_within",
                "table": rollups.TABLES[resolution].name}
    where = ["s.metric IN :metrics"] + ([] if centre_ids is None else ["s.centre_id IN :ids"])
    if conn.dialect.name == "postgresql":
        # Per series through LATERAL: one index range scan each (see `rollups.read`).
        rows = _ROWS.format(**cols, sid="", where="b.series_id = s.id AND")
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, x.*
        FROM series s CROSS JOIN LATERAL (SELECT {_SUMS} FROM ({rows}) AS r) AS x(ts, f, l, i)
        WHERE {' AND '.join(where)} AND x.ts IS NOT NULL
        ORDER BY s.centre_id, s.metric, s.label"""
    else:
        ids = f"b.series_id IN (SELECT s.id FROM series s WHERE {' AND '.join(where)}) AND"
        rows = _ROWS.format(**cols, sid=", series_id", where=ids)
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, {_SUMS}
        FROM ({rows}) AS r JOIN series s ON s.id = r.series_id
        GROUP BY s.centre_id, s.metric, s.label
        ORDER BY s.centre_id, s.metric, s.label"""
    stmt = sa.text(sql).bindparams(
        sa.bindparam("metrics", expanding=True, type_=sa.String),
        *([] if centre_ids is None else [sa.bindparam("ids", expanding=True, type_=sa.String)]))
    params: dict = {"metrics": list(metrics), "lo": start_ms, "hi": end_ms}
    if centre_ids is not None:
        params["ids"] = list(centre_ids)
    got = conn.execute(stmt, params).all()
    return pl.DataFrame(got, schema=t.PIECES_SCHEMA, orient="row")


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
        read.append((resolutions.HOUR, day_start_ms, plan.hours_end_ms - 1))
        closed = rollups.increases(conn, resolutions.HOUR, metrics, day_start_ms,
                                   plan.hours_end_ms - 1, centre_ids, zero_start=True)
    parts = []
    if plan.fives_end_ms > plan.hours_end_ms:
        read.append((resolutions.FIVE_MIN, plan.hours_end_ms, plan.fives_end_ms - 1))
        parts.append(pieces(conn, resolutions.FIVE_MIN, metrics, *read[-1][1:], centre_ids))
    if plan.raw:
        read.append((resolutions.RAW, plan.fives_end_ms, at_ms))
        parts.append(pieces(conn, resolutions.RAW, metrics, *read[-1][1:], centre_ids))
    if not parts:
        return closed, tuple(read)
    base = baseline(conn, metrics, day_start_ms - resolutions.HOUR_MS, plan.hours_end_ms - 1,
                    centre_ids)
    return t.chain(closed, base, pl.concat(parts)), tuple(read)
