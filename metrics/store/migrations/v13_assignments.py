"""Version 13: `assignments`, the conference's follow-up loop."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 13: the conference's assignments (frozen copy)."""
    md = sa.MetaData()
    sa.Table("alerts", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FK
    table = sa.Table(
        "assignments",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id")),
        sa.Column("centre_id", sa.String(16)),
        sa.Column("province_code", sa.Integer),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("closed_at", sa.BigInteger),
        sa.Column("closed_by", sa.Text),
        sa.Column("close_note", sa.Text),
        sa.Column("escalated_at", sa.BigInteger),
        sa.Index("ix_assignments_created", "created_at"),
        sa.Index("ix_assignments_open", "closed_at", "due_at"),
        sa.Index("ix_assignments_centre", "centre_id", "created_at"),
    )
    md.create_all(conn, tables=[table])
