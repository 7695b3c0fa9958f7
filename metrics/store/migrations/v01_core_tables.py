"""Version 1: the first tables, centres, series, samples, polls and meta (frozen copies)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 1: centres, series, samples, polls (without rejection details), meta."""
    md = sa.MetaData()
    sa.Table(
        "meta",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    sa.Table(
        "centres",
        md,
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("province_code", sa.Integer, nullable=False),
        sa.Column("province_name", sa.Text, nullable=False),
        sa.Column("lat", sa.Double),
        sa.Column("lon", sa.Double),
        sa.Column("coords_approximate", sa.Boolean, nullable=False),
    )
    sa.Table(
        "series",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.UniqueConstraint("centre_id", "metric", "label", name="uq_series_key"),
    )
    sa.Table(
        "samples",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Double, nullable=False),
        sqlite_with_rowid=False,
    )
    sa.Table(
        "polls",
        md,
        sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("duration_s", sa.Double, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
    )
    md.create_all(conn)
