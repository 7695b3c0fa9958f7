"""Version 10: read indexes, a covering daily index (PostgreSQL) and alerts by centre."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store.schema import DAILY_COVER


def upgrade(conn: Connection) -> None:
    """Version 10: a covering index for the daily reads (PostgreSQL) and alerts by centre
    and time (a province's alert history)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "CREATE INDEX IF NOT EXISTS ix_rollup_1d_cover ON rollup_1d (series_id, ts) "
            f"INCLUDE ({', '.join(DAILY_COVER)})"))
    conn.execute(sa.text(
        "CREATE INDEX IF NOT EXISTS ix_alerts_centre_pending ON alerts (centre_id, pending_since)"))
