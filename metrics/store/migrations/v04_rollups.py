"""Version 4: 5-minute and hourly roll-ups, filled from the stored samples; BRIN on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 4: 5-minute and hourly roll-ups; on PostgreSQL, BRIN indexes on time.

    Spells out its own copy of the roll-up tables (frozen, like version 1's) and fills
    them from the samples already stored, so a migrated database keeps its history.
    """
    md = sa.MetaData()
    sa.Table("series", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FKs
    made = [
        sa.Table(
            name,
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
            sa.Index(f"ix_{name}_unmerged", "series_id", "ts",
                     sqlite_where=sa.text("inc_within IS NULL")).ddl_if(dialect="sqlite"),
            sa.Index(f"ix_{name}_ts_brin", "ts", postgresql_using="brin").ddl_if(
                dialect="postgresql"),
            sqlite_with_rowid=False,
        )
        for name in ("rollup_5m", "rollup_1h")
    ]
    md.create_all(conn, tables=made)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("CREATE INDEX ix_samples_ts_brin ON samples USING brin (ts)"))
        for table in made:
            conn.execute(sa.text(f"ALTER TABLE {table.name} SET (fillfactor = 70)"))
    _fill_rollups(conn)


def _fill_rollups(conn: Connection) -> None:
    """Roll-ups of the samples already stored, one SQL pass per table (no Python loop)."""
    w5, w1 = 300_000, 3_600_000
    for name, width in (("rollup_5m", w5), ("rollup_1h", w1)):
        conn.execute(sa.text(f"""
            INSERT INTO {name} (series_id, ts, n, sum_value, min_value, max_value,
                                first_ts, first_value, last_ts, last_value, inc_within)
            SELECT series_id, b, count(*), sum(value), min(value), max(value),
                   min(ts), max(CASE WHEN rn = 1 THEN value END),
                   max(ts), max(CASE WHEN rd = 1 THEN value END),
                   sum(CASE WHEN prev IS NULL THEN 0.0 WHEN value >= prev THEN value - prev
                            ELSE value END)
            FROM (SELECT series_id, ts, value, ts - ts % {width} AS b,
                         lag(value) OVER w AS prev,
                         row_number() OVER w AS rn,
                         row_number() OVER (PARTITION BY series_id, ts - ts % {width}
                                            ORDER BY ts DESC) AS rd
                  FROM samples
                  WINDOW w AS (PARTITION BY series_id, ts - ts % {width} ORDER BY ts)) AS x
            GROUP BY series_id, b"""))
