"""Roll-ups: 5-minute, hourly and daily summaries of every series, kept up to date on ingest.

A bucket summarises the raw samples of one series whose time falls in
[start, start + width): how many (`n`), their sum, min and max, the first and
the last (time and value), and `inc_within`, the counter increase between
consecutive samples inside the bucket (a decrease is a reset: the new value
counts from 0). A bucket depends only on its own samples, so two summaries of
disjoint, time-ordered parts of a bucket merge exactly (`merge`), and an hour
is the merge of its twelve 5-minute buckets (`combine`), a day the merge of its
hours. Days are local days in Asia/Ho_Chi_Minh (`LOCAL_OFFSET_MS`); 5-minute and
hourly buckets are the same in UTC and local time. The increase across
the boundary with the series' previous bucket is added when reading
(`finish`), so the increases of consecutive buckets add up to what
`metrics.queries.increase` finds in the raw samples. A gap in collection is
an absent bucket, never zeros.

`maintain` is the store's hook, called inside `Store.write`'s transaction with
the sample rows it tried to insert and how many were new. When every row was
new (the usual case) it merges the batch's summaries into the stored buckets
with one upsert per table, never reading history; a bucket whose stored and
new samples interleave in time cannot be merged that way (its `inc_within`
becomes NULL) and is recomputed from its own raw rows. When some rows were
already stored (a replay), it recomputes just the touched buckets, 5-minute
ones from their raw samples, hourly ones from their 5-minute buckets and daily
ones from their hours, so a replay never counts twice.

The rest of the module is pure: bucket maths and resolution choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.resolutions import (
    DAY,
    DAY_MS,
    DEFAULT_KEEP,
    FIVE_MIN,
    HOUR,
    HOUR_MS,
    LOCAL_OFFSET_MS,
    MAX_SPAN,
    RAW,
    RESOLUTIONS,
    WIDTH_MS,
    bucket_start,
)
from metrics.store import dialects
from metrics.store.schema import rollup_1d, rollup_1h, rollup_5m, samples

TABLES = {FIVE_MIN: rollup_5m, HOUR: rollup_1h, DAY: rollup_1d}  # finest first
SOURCES = {HOUR: rollup_5m, DAY: rollup_1h}  # what a bucket is rebuilt from (5m: raw)

BUCKET_COLUMNS = (
    "series_id", "ts", "n", "sum_value", "min_value", "max_value",
    "first_ts", "first_value", "last_ts", "last_value", "inc_within",
)
IN_CHUNK = 500  # series ids per IN (…)


class Bucket(NamedTuple):
    """The summary of some samples of one series within one bucket (see the module doc).

    `inc` is None when the summary was merged from parts that interleave in time
    (then it must be recomputed from the samples).
    """

    n: int
    total: float
    lo: float
    hi: float
    first_ts: int
    first_value: float
    last_ts: int
    last_value: float
    inc: float | None


def step(prev: float, value: float) -> float:
    """A counter's increase from `prev` to `value`; a decrease is a reset to 0 first."""
    return value - prev if value >= prev else value


def day_answers(start_ms: int, end_ms: int, newest_ms: int | None, slack_ms: int = 0) -> bool:
    """Whether the one daily bucket starting at `start_ms` answers [start, end] exactly:
    `start_ms` is a local midnight and the day holds nothing after `end_ms` (the range
    covers the whole day, or reaches the newest data, within `slack_ms`). Reading today's
    counters from it is one row a series instead of one per hour."""
    if bucket_start(start_ms, DAY_MS) != start_ms or end_ms >= start_ms + DAY_MS:
        return False  # not from a local midnight, or reaching into the next day's bucket
    return end_ms == start_ms + DAY_MS - 1 or (
        newest_ms is not None and end_ms + slack_ms >= newest_ms)


def aggregate_rows(rows: Iterable[tuple[int, int, float]], width: int) -> list[tuple]:
    """Bucket rows (BUCKET_COLUMNS order, key order) of (series_id, ts, value) rows sorted
    by series then time. Samples with the same (series, ts) must not repeat."""
    out: list[tuple] = []
    append = out.append
    sid0 = b0 = -1
    n = 0
    total = lo = hi = first_value = last_value = inc = 0.0
    first_ts = last_ts = 0
    offset = LOCAL_OFFSET_MS
    for sid, ts, value in rows:
        b = ts - (ts + offset) % width
        if b != b0 or sid != sid0:
            if n:
                append((sid0, b0, n, total, lo, hi, first_ts, first_value, last_ts,
                        last_value, inc))
            sid0, b0, n, total, lo, hi = sid, b, 1, value, value, value
            first_ts, first_value, last_ts, last_value, inc = ts, value, ts, value, 0.0
            continue
        if ts <= last_ts:
            raise ValueError(f"series {sid}: samples out of order at ts {ts} (after {last_ts})")
        n += 1
        total += value
        lo = value if value < lo else lo
        hi = value if value > hi else hi
        inc += value - last_value if value >= last_value else value
        last_ts, last_value = ts, value
    if n:
        append((sid0, b0, n, total, lo, hi, first_ts, first_value, last_ts, last_value, inc))
    return out


def aggregate(rows: Iterable[tuple[int, int, float]], width: int
              ) -> dict[tuple[int, int], Bucket]:
    """`aggregate_rows` as {(series_id, bucket start): Bucket}, in key order."""
    return {(r[0], r[1]): Bucket(*r[2:]) for r in aggregate_rows(rows, width)}


def merge(a: Bucket, b: Bucket) -> Bucket:
    """One summary of two parts of a bucket; `inc` is None if their times interleave."""
    if b.first_ts < a.first_ts:
        a, b = b, a
    inc = (a.inc + b.inc + step(a.last_value, b.first_value)
           if a.last_ts < b.first_ts and a.inc is not None and b.inc is not None else None)
    return Bucket(
        a.n + b.n,
        a.total + b.total,
        min(a.lo, b.lo),
        max(a.hi, b.hi),
        a.first_ts,
        a.first_value,
        max(a.last_ts, b.last_ts),
        a.last_value if a.last_ts > b.last_ts else b.last_value,
        inc,
    )


def combine(parts: Sequence[Bucket]) -> Bucket:
    """Summaries of disjoint parts (e.g. an hour's 5-minute buckets) as one, in time order."""
    if not parts:
        raise ValueError("combine needs at least one bucket")
    ordered = sorted(parts, key=lambda b: b.first_ts)
    out = ordered[0]
    for part in ordered[1:]:
        out = merge(out, part)
    return out


def bucket_rows(buckets: Mapping[tuple[int, int], Bucket]) -> list[tuple]:
    """Rows in BUCKET_COLUMNS order, in the mapping's order (`aggregate` gives key order,
    which B-tree inserts like)."""
    return [(*key, *b) for key, b in buckets.items()]


# -- resolution selection (pure) ------------------------------------------------


def choose_resolution(start: datetime, end: datetime, now: datetime,
                      keep: Mapping[str, timedelta] = DEFAULT_KEEP,
                      requested: str = "auto") -> str:
    """The resolution to answer [start, end] with, at `now`.

    `requested` "raw", "5m", "1h" or "1d" is taken as is. "auto": the finest one whose
    MAX_SPAN covers end − start, then coarser while `start` is older than that
    resolution's retention (`keep`), since its rows there are already deleted;
    hourly when nothing keeps that far back.
    """
    if requested != "auto":
        if requested not in WIDTH_MS:
            raise ValueError(f"resolution must be auto, raw, 5m, 1h or 1d, not {requested!r}")
        return requested
    if end < start:
        raise ValueError(f"range ends ({end}) before it starts ({start})")
    span = end - start
    index = next(i for i, res in enumerate(RESOLUTIONS) if span <= MAX_SPAN[res])
    while index < len(RESOLUTIONS) - 1 and start < now - keep[RESOLUTIONS[index]]:
        index += 1
    return RESOLUTIONS[index]


# -- reading (pure) -----------------------------------------------------------

KEY = ["centre_id", "metric", "label"]
READ_SCHEMA = {
    "centre_id": pl.String, "metric": pl.String, "label": pl.String, "ts": pl.Int64,
    "n": pl.Int64, "sum_value": pl.Float64, "min_value": pl.Float64, "max_value": pl.Float64,
    "first_value": pl.Float64, "last_value": pl.Float64, "inc_within": pl.Float64,
}
SERIES_SCHEMA = pl.Schema({
    "centre_id": pl.String(), "metric": pl.String(), "label": pl.String(),
    "ts": pl.Datetime("ms", "UTC"), "count": pl.Int64(), "min": pl.Float64(),
    "max": pl.Float64(), "mean": pl.Float64(), "last": pl.Float64(), "increase": pl.Float64(),
})


def finish(rows: pl.DataFrame, start_ms: int, counters: set[str]) -> pl.DataFrame:
    """Stored buckets (READ_SCHEMA; may include each series' bucket before `start_ms`, as the
    baseline) → SERIES_SCHEMA frames: mean, and for counters the increase including
    the step from the previous bucket's last value; gauges' increase is null."""
    delta = (pl.when(pl.col("prev").is_null()).then(0.0)
             .when(pl.col("first_value") >= pl.col("prev"))
             .then(pl.col("first_value") - pl.col("prev"))
             .otherwise(pl.col("first_value")))
    out = (
        rows.sort([*KEY, "ts"])
        .with_columns(pl.col("last_value").shift(1).over(KEY).alias("prev"))
        .filter(pl.col("ts") >= start_ms)
        .with_columns(
            pl.when(pl.col("metric").is_in(sorted(counters)))
            .then(pl.col("inc_within") + delta).otherwise(None).alias("increase"),
            (pl.col("sum_value") / pl.col("n")).alias("mean"),
        )
        .select(
            *KEY,
            pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"),
            pl.col("n").alias("count"),
            pl.col("min_value").alias("min"),
            pl.col("max_value").alias("max"),
            "mean",
            pl.col("last_value").alias("last"),
            "increase",
        )
    )
    return out.cast(SERIES_SCHEMA)


# -- the SQL shell --------------------------------------------------------------

_D = "(CASE WHEN {v} >= {p} THEN {v} - {p} ELSE {v} END)"  # step(p, v) in SQL


def _merge_set(t: str) -> str:
    """ON CONFLICT DO UPDATE SET: the stored bucket `t` merged with `excluded` (see merge)."""
    e = "excluded"
    return ", ".join([
        f"n = {t}.n + {e}.n",
        f"sum_value = {t}.sum_value + {e}.sum_value",
        f"min_value = CASE WHEN {e}.min_value < {t}.min_value "
        f"THEN {e}.min_value ELSE {t}.min_value END",
        f"max_value = CASE WHEN {e}.max_value > {t}.max_value "
        f"THEN {e}.max_value ELSE {t}.max_value END",
        f"first_ts = CASE WHEN {e}.first_ts < {t}.first_ts THEN {e}.first_ts ELSE {t}.first_ts END",
        f"first_value = CASE WHEN {e}.first_ts < {t}.first_ts "
        f"THEN {e}.first_value ELSE {t}.first_value END",
        f"last_ts = CASE WHEN {e}.last_ts > {t}.last_ts THEN {e}.last_ts ELSE {t}.last_ts END",
        f"last_value = CASE WHEN {e}.last_ts > {t}.last_ts "
        f"THEN {e}.last_value ELSE {t}.last_value END",
        f"inc_within = CASE WHEN {e}.first_ts > {t}.last_ts THEN {t}.inc_within + {e}.inc_within"
        f" + {_D.format(v=f'{e}.first_value', p=f'{t}.last_value')}"
        f" WHEN {e}.last_ts < {t}.first_ts THEN {t}.inc_within + {e}.inc_within"
        f" + {_D.format(v=f'{t}.first_value', p=f'{e}.last_value')} END",
    ])


def _replace_set() -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in BUCKET_COLUMNS[2:])


def _upsert(conn: Connection, table: sa.Table, rows: list[tuple], *, merge_into: bool
            ) -> set[tuple[int, int]]:
    """Bucket rows (BUCKET_COLUMNS order, distinct keys) merged into or replacing the
    stored ones; returns the keys of buckets left unmerged (inc_within NULL)."""
    if not rows:
        return set()
    unmerged = dialects.bulk_upsert(conn, table, BUCKET_COLUMNS, rows, ("series_id", "ts"),
                                    _merge_set(table.name) if merge_into else _replace_set(),
                                    "inc_within")
    return {(int(sid), int(ts)) for sid, ts in unmerged}


def maintain(conn: Connection, rows: Sequence[tuple[int, int, float]], written: int,
             staged: bool = False) -> None:
    """Bring every roll-up up to date with a write of sample `rows` (series_id, ts, value;
    sorted) of which `written` were new, in the caller's transaction.

    `staged`: the rows hold one sample per series (a live cycle) and were staged
    (`dialects.stage_samples`), so each is its own bucket summary and the database makes
    and merges them (`_merge_staged`), with no aggregation in Python."""
    if not written:
        return
    if written == len(rows):
        if staged:
            unmerged = {res: _merge_staged(conn, res, rows) for res in TABLES}
        else:
            unmerged = {res: _upsert(conn, table, aggregate_rows(rows, WIDTH_MS[res]),
                                     merge_into=True) for res, table in TABLES.items()}
        for res, keys in unmerged.items():  # finest first: coarser ones are rebuilt from them
            if keys:
                recompute(conn, res, keys)
        return
    for res in TABLES:  # finest first, as above
        width = WIDTH_MS[res]
        recompute(conn, res, {(sid, bucket_start(ts, width)) for sid, ts, _ in rows})


def _merge_staged(conn: Connection, resolution: str, rows: Sequence[tuple[int, int, float]]
                  ) -> set[tuple[int, int]]:
    """Merge the staged samples `rows` (`dialects.stage_samples`; one per series), each a
    one-sample bucket, into the stored `resolution` buckets; the keys left unmerged."""
    table, width = TABLES[resolution], WIDTH_MS[resolution]

    def one(sid: str, ts: str, v: str) -> str:
        bucket = f"{ts} - ({ts} + {LOCAL_OFFSET_MS}) % {width}"
        return f"{sid}, {bucket}, 1, {v}, {v}, {v}, {ts}, {v}, {ts}, {v}, 0.0"

    unmerged = dialects.upsert_staged(conn, table, BUCKET_COLUMNS, one, rows,
                                      ("series_id", "ts"), _merge_set(table.name),
                                      "inc_within")
    return {(int(sid), int(ts)) for sid, ts in unmerged}


def _by_bucket(keys: Iterable[tuple[int, int]]) -> Iterator[tuple[int, list[int]]]:
    """(bucket start, up to IN_CHUNK series ids) groups of (series_id, bucket) keys."""
    grouped: dict[int, list[int]] = defaultdict(list)
    for sid, ts in keys:
        grouped[ts].append(sid)
    for ts, sids in sorted(grouped.items()):
        sids.sort()
        for i in range(0, len(sids), IN_CHUNK):
            yield ts, sids[i:i + IN_CHUNK]


def recompute(conn: Connection, resolution: str, keys: set[tuple[int, int]]) -> None:
    """Rebuild the given (series_id, bucket start) buckets: 5-minute ones from raw samples,
    hourly ones from their 5-minute buckets, daily ones from their hours. A bucket with
    no source rows left (e.g. its raw samples already expired) is kept as it is."""
    width, table = WIDTH_MS[resolution], TABLES[resolution]
    for ts, sids in _by_bucket(keys):
        if resolution == FIVE_MIN:
            stmt = (sa.select(samples.c.series_id, samples.c.ts, samples.c.value)
                    .where(samples.c.series_id.in_(sids), samples.c.ts >= ts,
                           samples.c.ts < ts + width)
                    .order_by(samples.c.series_id, samples.c.ts))
            built = aggregate_rows(((s, t, v) for s, t, v in conn.execute(stmt)), width)
        else:
            src = SOURCES[resolution]
            stmt = (sa.select(*(src.c[c] for c in BUCKET_COLUMNS))
                    .where(src.c.series_id.in_(sids), src.c.ts >= ts, src.c.ts < ts + width)
                    .order_by(src.c.series_id, src.c.ts))
            parts: dict[int, list[Bucket]] = defaultdict(list)
            for row in conn.execute(stmt):
                parts[row[0]].append(Bucket._make(row[2:]))
            built = bucket_rows({(sid, ts): combine(p) for sid, p in parts.items()})
        _upsert(conn, table, built, merge_into=False)


def _columns(x, resolution: str) -> list:
    """Bucket columns (READ_SCHEMA after the key) of a roll-up table, or raw samples as
    one-sample buckets."""
    if resolution != RAW:
        return [x.ts, x.n, x.sum_value, x.min_value, x.max_value, x.first_value,
                x.last_value, x.inc_within]
    one, zero = sa.literal(1, sa.Integer), sa.literal(0.0, sa.Double)
    return [x.ts, one, x.value, x.value, x.value, x.value, x.value, zero]


def read(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
         end_ms: int, centre_ids: Sequence[str] | None, counters: set[str]) -> pl.DataFrame:
    """Buckets (or raw samples) of `metrics` from the one holding `start_ms` to `end_ms`,
    as SERIES_SCHEMA; counters get their previous bucket as the increase baseline."""
    from metrics.store.schema import series

    table = samples if resolution == RAW else TABLES[resolution]
    lo = bucket_start(start_ms, WIDTH_MS[resolution]) if resolution != RAW else start_ms

    def filtered(stmt: sa.Select, names: Sequence[str]) -> sa.Select:
        stmt = stmt.where(series.c.metric.in_(list(names)))
        return stmt if centre_ids is None else stmt.where(series.c.centre_id.in_(list(centre_ids)))

    keys = (series.c.centre_id, series.c.metric, series.c.label)
    if conn.dialect.name == "postgresql":
        # One index range scan per series: with a time range alone PostgreSQL would take
        # the BRIN index and read every series' rows of that time (measured: 1 M pages
        # for a national day), then throw most away.
        per_series = (sa.select(table).where(table.c.series_id == series.c.id,
                                             table.c.ts >= lo, table.c.ts <= end_ms)
                      .lateral("r"))
        stmt = filtered(sa.select(*keys, *_columns(per_series.c, resolution))
                        .select_from(series.join(per_series, sa.true())), metrics)
    else:
        stmt = filtered(
            sa.select(*keys, *_columns(table.c, resolution))
            .select_from(series.join(table, table.c.series_id == series.c.id))
            .where(table.c.ts >= lo, table.c.ts <= end_ms), metrics)
    rows = conn.execute(stmt).all()  # one fetchall, not a fetch per row
    if wanted := [m for m in metrics if m in counters]:
        joined, x = dialects.newest_join(conn.dialect.name, series, series.c.id, table,
                                         "series_id", None, lo - 1)
        rows = [*rows, *conn.execute(filtered(sa.select(*keys, *_columns(x, resolution))
                                              .select_from(joined), wanted))]
    frame = pl.DataFrame(rows, schema=READ_SCHEMA, orient="row")
    return finish(frame, lo, counters)


MEANS_SCHEMA = {"centre_id": pl.String, "metric": pl.String, "ts": pl.Int64,
                "count": pl.Int64, "mean": pl.Float64}


def gauge_means(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
                end_ms: int, centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """Only each roll-up bucket's sample count and mean of `metrics` (gauges) from the
    bucket holding `start_ms` to `end_ms`: what comparing centres needs, in five columns
    instead of `read`'s eleven (fetching the rows is most of such a read's cost). Columns:
    centre_id, metric, ts (bucket start, UTC), count, mean."""
    from metrics.store.schema import series

    table = TABLES[resolution]
    lo = bucket_start(start_ms, WIDTH_MS[resolution])
    x: sa.FromClause
    if conn.dialect.name == "postgresql":  # per series through LATERAL (see `read`)
        x = (sa.select(table.c.ts, table.c.n, table.c.sum_value)
             .where(table.c.series_id == series.c.id, table.c.ts >= lo, table.c.ts <= end_ms)
             .lateral("r"))
        joined = series.join(x, sa.true())
    else:
        x = table
        joined = series.join(table, table.c.series_id == series.c.id)
    stmt = (sa.select(series.c.centre_id, series.c.metric, x.c.ts, x.c.n,
                      x.c.sum_value / x.c.n)
            .select_from(joined)
            .where(series.c.metric.in_(list(metrics)), x.c.ts >= lo, x.c.ts <= end_ms))
    if centre_ids is not None:
        stmt = stmt.where(series.c.centre_id.in_(list(centre_ids)))
    frame = pl.DataFrame(conn.execute(stmt).all(), schema=MEANS_SCHEMA, orient="row")
    return frame.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))


def increases(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
              end_ms: int, centre_ids: Sequence[str] | None, zero_start: bool
              ) -> pl.DataFrame:
    """Each counter series' increase over the buckets from the one holding `start_ms` to
    `end_ms`, summed in SQL (one row per series, whatever the span): every bucket's
    `inc_within` plus the step from the previous bucket's last value (a decrease is a
    reset). The baseline is the bucket before the first one if its last sample falls in
    the hour before that bucket, like the raw reads' hour (so whole local days give the
    same from "1d" as from "1h"); without it the first bucket's first value counts in full
    when `zero_start` (counters that restart at the period's start, e.g. local midnight),
    else nothing. Columns: centre_id, metric, label, increase; a series with no bucket
    in the range is absent."""
    width = WIDTH_MS[resolution]
    if not width:
        raise ValueError("increases reads roll-ups: resolution must be 5m, 1h or 1d")
    lo = bucket_start(start_ms, width)
    first = "r.first_value" if zero_start else "0.0"
    where = ["s.metric IN :metrics"] + ([] if centre_ids is None else ["s.centre_id IN :ids"])
    inc = (f"sum(CASE WHEN r.prev IS NULL THEN r.inc_within + {first} ELSE r.inc_within + "
           f"{_D.format(v='r.first_value', p='r.prev')} END)")
    if conn.dialect.name == "postgresql":
        # Per series through LATERAL: one index range scan each (see `read`).
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, x.inc
        FROM series s CROSS JOIN LATERAL (
            SELECT {inc} AS inc, count(*) AS n
            FROM (SELECT ts, inc_within, first_value, lag(last_value) OVER (ORDER BY ts) AS prev
                  FROM {TABLES[resolution].name} b
                  WHERE b.series_id = s.id AND b.ts >= :lo_base AND b.ts <= :hi
                    AND (b.ts >= :lo OR b.last_ts >= :recent)) AS r
            WHERE r.ts >= :lo) AS x
        WHERE {' AND '.join(where)} AND x.n > 0
        ORDER BY s.centre_id, s.metric, s.label"""
    else:
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, {inc}
        FROM (SELECT series_id, ts, inc_within, first_value,
                     lag(last_value) OVER w AS prev
              FROM {TABLES[resolution].name}
              WHERE series_id IN (SELECT s.id FROM series s WHERE {' AND '.join(where)})
                AND ts >= :lo_base AND ts <= :hi AND (ts >= :lo OR last_ts >= :recent)
              WINDOW w AS (PARTITION BY series_id ORDER BY ts)) AS r
        JOIN series s ON s.id = r.series_id
        WHERE r.ts >= :lo
        GROUP BY s.centre_id, s.metric, s.label
        ORDER BY s.centre_id, s.metric, s.label"""
    stmt = sa.text(sql).bindparams(
        sa.bindparam("metrics", expanding=True, type_=sa.String),
        *([] if centre_ids is None else [sa.bindparam("ids", expanding=True, type_=sa.String)]))
    params: dict = {"metrics": list(metrics), "lo_base": lo - max(width, HOUR_MS), "lo": lo,
                    "recent": lo - HOUR_MS, "hi": end_ms}
    if centre_ids is not None:
        params["ids"] = list(centre_ids)
    rows = conn.execute(stmt, params).all()
    return pl.DataFrame(rows, schema={"centre_id": pl.String, "metric": pl.String,
                                      "label": pl.String, "increase": pl.Float64},
                        orient="row")


def totals(conn: Connection, resolution: str, metrics: Sequence[str], start_ms: int,
           end_ms: int, centre_ids: Sequence[str] | None) -> pl.DataFrame:
    """Per series, over the buckets from the one holding `start_ms` to `end_ms`, summed in
    SQL: samples (`count`), their `sum`, `min` and `max`. Columns: centre_id, metric,
    label, count, sum, min, max; a series with no bucket in the range is absent."""
    table = TABLES[resolution]
    lo = bucket_start(start_ms, WIDTH_MS[resolution])
    where = ["s.metric IN :metrics"] + ([] if centre_ids is None else ["s.centre_id IN :ids"])
    sums = "sum(r.n), sum(r.sum_value), min(r.min_value), max(r.max_value)"
    if conn.dialect.name == "postgresql":  # per series through LATERAL (see `read`)
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, x.n, x.total, x.lo, x.hi
        FROM series s CROSS JOIN LATERAL (
            SELECT sum(r.n) AS n, sum(r.sum_value) AS total, min(r.min_value) AS lo,
                   max(r.max_value) AS hi
            FROM {table.name} r WHERE r.series_id = s.id AND r.ts >= :lo AND r.ts <= :hi) AS x
        WHERE {' AND '.join(where)} AND x.n IS NOT NULL
        ORDER BY s.centre_id, s.metric, s.label"""
    else:
        sql = f"""
        SELECT s.centre_id, s.metric, s.label, {sums}
        FROM series s JOIN {table.name} r ON r.series_id = s.id
        WHERE {' AND '.join(where)} AND r.ts >= :lo AND r.ts <= :hi
        GROUP BY s.centre_id, s.metric, s.label
        ORDER BY s.centre_id, s.metric, s.label"""
    stmt = sa.text(sql).bindparams(
        sa.bindparam("metrics", expanding=True, type_=sa.String),
        *([] if centre_ids is None else [sa.bindparam("ids", expanding=True, type_=sa.String)]))
    params: dict = {"metrics": list(metrics), "lo": lo, "hi": end_ms}
    if centre_ids is not None:
        params["ids"] = list(centre_ids)
    return pl.DataFrame(conn.execute(stmt, params).all(), orient="row", schema={
        "centre_id": pl.String, "metric": pl.String, "label": pl.String, "count": pl.Int64,
        "sum": pl.Float64, "min": pl.Float64, "max": pl.Float64})
