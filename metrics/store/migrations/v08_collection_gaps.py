"""Version 8: `collection_gaps`, the stretches a collector polled but could not keep."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 8: the collectors' dropped stretches (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "collection_gaps",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collector", sa.String(128), nullable=False),
        sa.Column("start_ts", sa.BigInteger, nullable=False),
        sa.Column("end_ts", sa.BigInteger, nullable=False),
        sa.Column("cycles", sa.Integer, nullable=False),
        sa.Column("centres", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.UniqueConstraint("collector", "start_ts", name="uq_collection_gaps_start"),
        sa.Index("ix_collection_gaps_end", "end_ts"),
    )
    md.create_all(conn)
