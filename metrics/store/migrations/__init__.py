"""The schema's migrations: one module per version, applied in the order of `MIGRATIONS`.

Step n (module `vNN_…`, function `upgrade`) takes a database from version n - 1 to n and
is frozen once released: it builds its own tables, never the current ones of
metrics/store/schema.py, so an old database and a new one end up the same. `meta` holds
the version; `migrate` applies what is missing in one transaction, under a lock.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store.dialects import write_transaction
from metrics.store.migrations import (
    v01_core_tables,
    v02_rejections_and_time_index,
    v03_alerting,
    v04_rollups,
    v05_collector_leases,
    v06_access,
    v07_daily_and_current,
    v08_collection_gaps,
    v09_web_sessions,
    v10_read_indexes,
    v11_alert_facts,
    v12_poll_confirmed,
    v13_assignments,
)
from metrics.store.schema import meta

MIGRATIONS: list[Callable[[Connection], None]] = [
    v01_core_tables.upgrade,
    v02_rejections_and_time_index.upgrade,
    v03_alerting.upgrade,
    v04_rollups.upgrade,
    v05_collector_leases.upgrade,
    v06_access.upgrade,
    v07_daily_and_current.upgrade,
    v08_collection_gaps.upgrade,
    v09_web_sessions.upgrade,
    v10_read_indexes.upgrade,
    v11_alert_facts.upgrade,
    v12_poll_confirmed.upgrade,
    v13_assignments.upgrade,
]
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_KEY = "schema_version"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release than this code."""


def current_version(conn: Connection) -> int:
    """The database's schema version; 0 for an empty database."""
    if not sa.inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def _lock(conn: Connection) -> None:
    """Serialise concurrent migrators (collector, backfill and dashboard may start together).

    SQLite: the caller's transaction began IMMEDIATE, which already holds the
    write lock. PostgreSQL: a transaction-scoped advisory lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7660766)"))


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to `target` in one transaction; return the version.

    Raises SchemaTooNewError when the database is newer than this code knows.
    """
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"target version must be 0..{SCHEMA_VERSION}, not {target}")
    with write_transaction(engine) as conn:
        _lock(conn)
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {version} is newer than this code's "
                f"{SCHEMA_VERSION}; upgrade the product before opening it"
            )
        for step in MIGRATIONS[version:target]:
            step(conn)
        if target > version:
            conn.execute(meta.delete().where(meta.c.key == VERSION_KEY))
            conn.execute(meta.insert().values(key=VERSION_KEY, value=str(target)))
        return max(version, target)
