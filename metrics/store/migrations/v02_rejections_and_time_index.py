"""Version 2: `polls.rejected_detail` and the time index `ix_polls_ts`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 2: what a centre sent that validation refused; polls indexed by time."""
    conn.execute(sa.text("ALTER TABLE polls ADD COLUMN rejected_detail TEXT NOT NULL DEFAULT ''"))
    conn.execute(sa.text("CREATE INDEX ix_polls_ts ON polls (ts)"))
