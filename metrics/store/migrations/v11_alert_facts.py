"""Version 11: `alerts.facts`, the figures behind an alert's words."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def upgrade(conn: Connection) -> None:
    """Version 11: alerts.facts, the structured figures behind an alert's words (added only
    where it is missing: a table rebuilt from the current shape already has it)."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("alerts")}
    if "facts" not in columns:
        conn.execute(sa.text("ALTER TABLE alerts ADD COLUMN facts TEXT"))
