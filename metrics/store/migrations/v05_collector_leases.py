"""Version 5: `collector_leases`, how several collectors share the fleet."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 5: the leases several collectors share the fleet by (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "collector_leases",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    md.create_all(conn)
