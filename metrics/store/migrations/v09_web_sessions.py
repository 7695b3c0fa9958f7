"""Version 9: `web_sessions`, local sign-in sessions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 9: local sign-in sessions (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "web_sessions",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("credential_stamp", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("revoked_by", sa.Text),
        sa.Index("ix_web_sessions_user", "username"),
        sa.Index("ix_web_sessions_expires", "expires_at"),
    )
    md.create_all(conn)
