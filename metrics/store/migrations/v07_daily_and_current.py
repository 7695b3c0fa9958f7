"""Version 7: daily roll-ups and each series' newest sample, filled from what is stored."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 7: daily roll-ups (local days in Asia/Ho_Chi_Minh) and the newest sample of
    each series (frozen copies), both filled from what is already stored."""
    md = sa.MetaData()
    sa.Table("series", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FKs
    daily = sa.Table(
        "rollup_1d",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("sum_value", sa.Double, nullable=False),
        sa.Column("min_value", sa.Double, nullable=False),
        sa.Column("max_value", sa.Double, nullable=False),
        sa.Column("first_ts", sa.BigInteger, nullable=False),
        sa.Column("first_value", sa.Double, nullable=False),
        sa.Column("last_ts", sa.BigInteger, nullable=False),
        sa.Column("last_value", sa.Double, nullable=False),
        sa.Column("inc_within", sa.Double),
        sa.Index("ix_rollup_1d_unmerged", "series_id", "ts",
                 sqlite_where=sa.text("inc_within IS NULL")).ddl_if(dialect="sqlite"),
        sa.Index("ix_rollup_1d_ts_brin", "ts", postgresql_using="brin").ddl_if(
            dialect="postgresql"),
        sqlite_with_rowid=False,
    )
    latest = sa.Table(
        "series_latest",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sqlite_with_rowid=False,
    )
    md.create_all(conn, tables=[daily, latest])
    if conn.dialect.name == "postgresql":
        # Every write updates a day bucket and each series' row: leave room for HOT updates.
        conn.execute(sa.text("ALTER TABLE rollup_1d SET (fillfactor = 70)"))
        conn.execute(sa.text("ALTER TABLE series_latest SET (fillfactor = 50)"))
    _fill_latest(conn)
    fill_daily(conn)


def _fill_latest(conn: Connection) -> None:
    """The newest sample of every series: one primary-key seek per series, no scan."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("""
            INSERT INTO series_latest (series_id, ts, value)
            SELECT s.id, x.ts, x.value FROM series s CROSS JOIN LATERAL (
                SELECT ts, value FROM samples WHERE series_id = s.id
                ORDER BY ts DESC LIMIT 1) AS x"""))
        return
    conn.execute(sa.text("""
        INSERT INTO series_latest (series_id, ts, value)
        SELECT m.id, m.ts, x.value
        FROM (SELECT s.id, (SELECT max(ts) FROM samples WHERE series_id = s.id) AS ts
              FROM series s) AS m
        JOIN samples x ON x.series_id = m.id AND x.ts = m.ts"""))


V7_DAY_MS = 86_400_000
V7_LOCAL_OFFSET_MS = 25_200_000  # Asia/Ho_Chi_Minh, UTC+7: local midnight is 17:00 UTC
V7_SERIES_CHUNK = 1_000  # series per statement: a bounded sort, never the whole table


def fill_daily(conn: Connection) -> None:
    """Daily buckets combined from the hourly ones (as `rollups.combine` would), a chunk of
    series at a time, in SQL: each hour's window neighbours say whether it opens or
    closes its day, and the step from the previous hour of the same day is added."""
    lo, hi = conn.execute(sa.text("SELECT min(series_id), max(series_id) FROM rollup_1h")).one()
    if lo is None:
        return
    day, off = V7_DAY_MS, V7_LOCAL_OFFSET_MS
    opens = "(prev_ts IS NULL OR prev_ts < d)"
    step = "(CASE WHEN first_value >= prev THEN first_value - prev ELSE first_value END)"
    sql = sa.text(f"""
        INSERT INTO rollup_1d (series_id, ts, n, sum_value, min_value, max_value,
                               first_ts, first_value, last_ts, last_value, inc_within)
        SELECT series_id, d, sum(n), sum(sum_value), min(min_value), max(max_value),
               min(first_ts), max(CASE WHEN {opens} THEN first_value END),
               max(last_ts), max(CASE WHEN next_ts IS NULL OR next_ts >= d + {day}
                                      THEN last_value END),
               sum(inc_within + CASE WHEN {opens} THEN 0.0 ELSE {step} END)
        FROM (SELECT series_id, ts, n, sum_value, min_value, max_value, first_ts,
                     first_value, last_ts, last_value, inc_within,
                     ts - (ts + {off}) % {day} AS d,
                     lag(ts) OVER w AS prev_ts, lag(last_value) OVER w AS prev,
                     lead(ts) OVER w AS next_ts
              FROM rollup_1h WHERE series_id >= :lo AND series_id < :hi
              WINDOW w AS (PARTITION BY series_id ORDER BY ts)) AS x
        GROUP BY series_id, d""")
    for start in range(int(lo), int(hi) + 1, V7_SERIES_CHUNK):
        conn.execute(sql, {"lo": start, "hi": start + V7_SERIES_CHUNK})
