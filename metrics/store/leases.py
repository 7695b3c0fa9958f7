"""The `collector_leases` table: the SQL of the collectors' lease shell
(collectors/polling/leases.py).

Plain rows in and out; the shell decides (`collectors.polling.shard.plan`). Times are ms on the
database's clock (PostgreSQL's `clock_timestamp()`; SQLite: this machine's, the only one
writing).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store import dialects
from metrics.store.schema import collector_leases as leases


def db_now_ms(conn: Connection) -> int:
    """The database's clock in ms (SQLite: this machine's, the only one writing)."""
    if conn.dialect.name == "postgresql":
        return int(conn.execute(sa.text(
            "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint")).scalar_one())
    return int(time.time() * 1000)


def read(conn: Connection) -> dict[str, tuple[str, int]]:
    """Every lease: key → (holder, expires_at ms)."""
    return {k: (h, int(e)) for k, h, e in conn.execute(
        sa.select(leases.c.key, leases.c.holder, leases.c.expires_at))}


def try_acquire(conn: Connection, key: str, me: str, now: int, until: int) -> bool:
    """Take `key` if it is free, expired or already ours; True when this collector holds it."""
    taken = conn.execute(
        leases.update()
        .where(leases.c.key == key)
        .where(sa.or_(leases.c.holder == me, leases.c.expires_at < now))
        .values(holder=me, expires_at=until)
    ).rowcount
    if taken:
        return True
    inserted = conn.execute(
        dialects.insert_ignore(conn.dialect.name, leases).values(
            key=key, holder=me, expires_at=until)
    ).rowcount
    return bool(inserted)


def delete(conn: Connection, me: str, keys: Iterable[str]) -> None:
    """Give up `me`'s leases on `keys`."""
    conn.execute(leases.delete().where(leases.c.holder == me)
                 .where(leases.c.key.in_(sorted(keys))))


def extend(conn: Connection, me: str, keys: Iterable[str], until: int) -> int:
    """Move `me`'s leases on `keys` to expire at `until`; how many were extended."""
    return conn.execute(
        leases.update().where(leases.c.holder == me)
        .where(leases.c.key.in_(sorted(keys))).values(expires_at=until)
    ).rowcount


def release_all(engine: Engine, me: str) -> None:
    """Give up every lease `me` holds, at once."""
    with dialects.write_transaction(engine) as conn:
        conn.execute(leases.delete().where(leases.c.holder == me))
