"""The access-control tables: `audit_log`, `kiosk_links`, `web_sessions`.

The SQL of metrics/access (audit.py, kiosk.py, sessions.py), which keeps the rules (what an
action may be, how long a session lasts, what a token hashes to) and builds its own values
from the plain rows these return. Writes take the caller's connection, so an action and its
audit row commit together (`dialects.write_transaction`). Times are int ms UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store import schema as t

# --- audit_log


def insert_audit(conn: Connection, row: Mapping[str, Any]) -> None:
    """One audit row inside the caller's transaction."""
    conn.execute(t.audit_log.insert().values(**row))


def audit_rows(engine: Engine, columns: Iterable[str], *, start_ms: int | None = None,
               end_ms: int | None = None, actions: Sequence[str] | None = None,
               limit: int = 500) -> list[tuple]:
    """The newest audit rows (at most `limit`, newest first) as tuples of `columns`,
    optionally in [start_ms, end_ms] and of `actions`."""
    a = t.audit_log
    stmt = sa.select(*(a.c[name] for name in columns)).order_by(a.c.ts.desc(), a.c.id.desc())
    if start_ms is not None:
        stmt = stmt.where(a.c.ts >= start_ms)
    if end_ms is not None:
        stmt = stmt.where(a.c.ts <= end_ms)
    if actions:
        stmt = stmt.where(a.c.action.in_(actions))
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt.limit(limit))]


# --- kiosk_links


def insert_kiosk_link(conn: Connection, *, token_hash: str, label: str, scope: str,
                      created_at: int, created_by: str) -> int:
    """A new link row; its id."""
    k = t.kiosk_links
    return int(conn.execute(k.insert().values(
        token_hash=token_hash, label=label, scope=scope, created_at=created_at,
        created_by=created_by).returning(k.c.id)).scalar_one())


def revoke_kiosk_link(conn: Connection, link_id: int, *, now: int, by: str) -> int:
    """Mark link `link_id` revoked if it is not yet; how many rows changed (0 or 1)."""
    k = t.kiosk_links
    return int(conn.execute(k.update().where(k.c.id == link_id, k.c.revoked_at.is_(None))
                            .values(revoked_at=now, revoked_by=by)).rowcount)


def live_kiosk_link(engine: Engine, token_hash: str) -> tuple[int, str, str] | None:
    """(id, label, scope) of the unrevoked link with this token hash, or None."""
    k = t.kiosk_links
    with engine.connect() as conn:
        row = conn.execute(sa.select(k.c.id, k.c.label, k.c.scope).where(
            k.c.token_hash == token_hash, k.c.revoked_at.is_(None))).first()
    return None if row is None else (int(row.id), row.label, row.scope)


def kiosk_link_rows(engine: Engine, columns: Iterable[str]) -> list[tuple]:
    """Every link as tuples of `columns`, newest first."""
    k = t.kiosk_links
    stmt = sa.select(*(k.c[name] for name in columns)).order_by(k.c.id.desc())
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


# --- web_sessions


def delete_ended_sessions(conn: Connection, before: int) -> None:
    """Delete the sessions that expired or were revoked before `before`."""
    s = t.web_sessions
    conn.execute(s.delete().where(sa.or_(s.c.expires_at < before, s.c.revoked_at < before)))


def insert_session(conn: Connection, values: Mapping[str, Any]) -> int:
    """A new session row; its id."""
    s = t.web_sessions
    return int(conn.execute(s.insert().values(**values).returning(s.c.id)).scalar_one())


def session_by_hash(engine: Engine, token_hash: str) -> dict[str, Any] | None:
    """Every column of the session with this token hash, or None."""
    s = t.web_sessions
    with engine.connect() as conn:
        row = conn.execute(sa.select(s).where(s.c.token_hash == token_hash)).first()
    return None if row is None else dict(row._mapping)


def touch_session(conn: Connection, session_id: int, *, now: int, seen_before: int) -> int:
    """Set `last_seen` to `now` if it is at or before `seen_before`; rows changed (0 or 1)."""
    s = t.web_sessions
    return int(conn.execute(s.update().where(s.c.id == session_id,
                                             s.c.last_seen <= seen_before)
                            .values(last_seen=now)).rowcount)


def revoke_sessions(conn: Connection, *, by: str, now: int, session_id: int | None = None,
                    username: str | None = None) -> int:
    """Revoke the live sessions (of `session_id`, of `username`, or all when neither is
    given); how many there were."""
    s = t.web_sessions
    where = (s.c.id == session_id if session_id is not None
             else s.c.username == username if username is not None else sa.true())
    done = conn.execute(s.update().where(where, s.c.revoked_at.is_(None),
                                         s.c.expires_at > now)
                        .values(revoked_at=now, revoked_by=by))
    return int(done.rowcount)


def live_session_rows(engine: Engine, columns: Iterable[str], now: int) -> list[tuple]:
    """The sessions live at `now` as tuples of `columns`, newest first."""
    s = t.web_sessions
    stmt = (sa.select(*(s.c[name] for name in columns))
            .where(s.c.revoked_at.is_(None), s.c.expires_at > now)
            .order_by(s.c.created_at.desc(), s.c.id.desc()))
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]
