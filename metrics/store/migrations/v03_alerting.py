"""Version 3: alerting, the alerts, their events, silences and the notification outbox."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store.schema import alert_events, alerts, notifications, silences


def upgrade(conn: Connection) -> None:
    """Version 3: alerts, their events, silences and the notification outbox.

    Copies the tables of metrics/store/schema.py as they stand at version 3; a later change to them
    is a new migration step, and this one must then spell out its own copy.
    """
    md = sa.MetaData()
    for table in (alert_events, silences, notifications):
        table.to_metadata(md)
    # alerts as at version 3: its columns without those later steps add (facts, version 11).
    later = {"facts"}
    sa.Table("alerts", md,
             *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                         autoincrement=c.autoincrement)
               for c in alerts.columns if c.name not in later),
             *(sa.Index(i.name, *(c.name for c in i.columns)) for i in alerts.indexes))
    md.create_all(conn)
