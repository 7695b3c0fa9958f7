"""Dashboard sign-in sessions (local accounts): kept server side, found by a cookie's token.

A session starts when someone signs in with a local account: a random token
(32 bytes, URL-safe text) goes to the browser in a cookie, and the store keeps
only its SHA-256 (it cannot be guessed, only stolen, so a fast hash is enough)
with the user name, the role and scope signed in with, a stamp of the
password hash (a new password ends older sessions), and the times. A session
lasts `dashboard.session_hours` from sign-in (no sliding renewal), or until it
is revoked: by signing out, by `ioc users passwd|remove|signout`. Times are
int ms UTC.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import polars as pl

from config.scope import Scope
from metrics.access import audit
from metrics.store import Store
from metrics.store import access as table

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 200  # a longer cookie value is not one of ours
HOUR_MS = 3_600_000
TOUCH_EVERY_MS = 5 * 60_000  # `last_seen` is written at most this often per session
KEEP_ENDED_MS = 7 * 24 * HOUR_MS  # ended sessions are deleted this long after they end
TIME = pl.Datetime("ms", "UTC")
SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "username": pl.String(), "role": pl.String(), "scope": pl.String(),
    "created_at": TIME, "expires_at": TIME, "last_seen": TIME,
}


@dataclass(frozen=True, slots=True)
class WebSession:
    """One stored session (never its token)."""

    id: int
    token_hash: str
    username: str
    role: str
    scope: Scope
    credential_stamp: str
    created_at: int
    expires_at: int
    last_seen: int
    revoked_at: int | None

    def live(self, now_ms: int) -> bool:
        """Not revoked and not yet expired at `now_ms`."""
        return self.revoked_at is None and now_ms < self.expires_at


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expires_at(created_ms: int, hours: float) -> int:
    """When a session started at `created_ms` ends. ValueError unless 0 < hours."""
    if not hours > 0:
        raise ValueError(f"session hours must be > 0, not {hours!r}")
    return created_ms + round(hours * HOUR_MS)


def _now(now: int | None) -> int:
    return int(time.time() * 1000) if now is None else now


def create(store: Store, *, username: str, role: str, scope: Scope, credential_stamp: str,
           hours: float, now: int | None = None) -> tuple[WebSession, str]:
    """A new session: (it, its token — for the cookie, never stored). Sessions that ended
    more than `KEEP_ENDED_MS` ago are deleted in the same transaction."""
    now = _now(now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_hash, expires = hash_token(token), expires_at(now, hours)
    values = {"token_hash": token_hash, "username": username[:200], "role": role,
              "scope": str(scope), "credential_stamp": credential_stamp,
              "created_at": now, "expires_at": expires, "last_seen": now}
    with audit.write(store) as conn:
        table.delete_ended_sessions(conn, now - KEEP_ENDED_MS)
        session_id = table.insert_session(conn, values)
    return WebSession(id=int(session_id), token_hash=token_hash, username=username,
                      role=role, scope=scope, credential_stamp=credential_stamp,
                      created_at=now, expires_at=expires, last_seen=now,
                      revoked_at=None), token


def _session(row: dict[str, Any]) -> WebSession:
    return WebSession(id=int(row["id"]), token_hash=row["token_hash"],
                      username=row["username"], role=row["role"],
                      scope=Scope.parse(row["scope"]),
                      credential_stamp=row["credential_stamp"],
                      created_at=int(row["created_at"]), expires_at=int(row["expires_at"]),
                      last_seen=int(row["last_seen"]),
                      revoked_at=None if row["revoked_at"] is None else int(row["revoked_at"]))


def find(store: Store, token: str) -> WebSession | None:
    """The session this token opened, live or not; None for an unknown token or text that
    cannot be one (empty, too long)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return find_hash(store, hash_token(token))


def find_hash(store: Store, token_hash: str) -> WebSession | None:
    """The session with this token hash, live or not, or None."""
    row = table.session_by_hash(store.engine, token_hash)
    return None if row is None else _session(row)


def touch(store: Store, session: WebSession, now: int | None = None) -> bool:
    """Record that the session was used: writes `last_seen` only when it is older than
    `TOUCH_EVERY_MS` (so a busy page does not write on every run). True when written."""
    now = _now(now)
    if now - session.last_seen < TOUCH_EVERY_MS:
        return False
    with audit.write(store) as conn:
        done = table.touch_session(conn, session.id, now=now,
                                   seen_before=now - TOUCH_EVERY_MS)
    return done == 1


def revoke(store: Store, session_id: int, *, by: str, now: int | None = None) -> bool:
    """End one session now (signing out). True when it was live."""
    with audit.write(store) as conn:
        return table.revoke_sessions(conn, by=by[:200], now=_now(now),
                                     session_id=session_id) == 1


def revoke_user(store: Store, username: str, *, by: str, now: int | None = None) -> int:
    """End every live session of `username`; how many there were."""
    with audit.write(store) as conn:
        return table.revoke_sessions(conn, by=by[:200], now=_now(now), username=username)


def revoke_all(store: Store, *, by: str, now: int | None = None) -> int:
    """End every live session; how many there were."""
    with audit.write(store) as conn:
        return table.revoke_sessions(conn, by=by[:200], now=_now(now))


def active(store: Store, now: int | None = None) -> pl.DataFrame:
    """Live sessions, newest first (no hashes). Columns: `SCHEMA`."""
    rows = table.live_session_rows(store.engine, SCHEMA, _now(now))
    raw = {n: (pl.Int64() if v == TIME else v) for n, v in SCHEMA.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    return frame.with_columns(pl.col("created_at", "expires_at", "last_seen").cast(TIME))
