"""Version 12: `polls.confirmed`, the re-probe's confirmation as a column."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

V12_MARK = "[confirmed by re-probe]"  # what the collector appended to a confirmed detail
V12_BACKFILL_MS = 86_400_000  # the last day of polls: far more than any alert window


def upgrade(conn: Connection) -> None:
    """Version 12: polls.confirmed, whether the collector's re-probe saw the failure again.
    Failed polls of the newest day whose detail carries the re-probe's mark get true (one
    seek of the time index, so the alert windows open at the upgrade keep their
    confirmations); older ones stay false, their detail still saying it."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("polls")}
    if "confirmed" in columns:
        return
    conn.execute(sa.text("ALTER TABLE polls ADD COLUMN confirmed BOOLEAN NOT NULL DEFAULT false"))
    newest = conn.execute(sa.text("SELECT max(ts) FROM polls")).scalar()
    if newest is not None:
        conn.execute(sa.text("UPDATE polls SET confirmed = true WHERE ts >= :since "
                             "AND NOT ok AND detail LIKE :mark"),
                     {"since": int(newest) - V12_BACKFILL_MS, "mark": f"%{V12_MARK}%"})
