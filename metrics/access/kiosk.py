"""Read-only links for wall displays: `?kiosk=<token>`, revocable, stored only as a hash.

A token is 32 random bytes (URL-safe text) shown once when the link is made;
the store keeps its SHA-256 (a token that long needs no slow hash: it cannot
be guessed, only stolen). `lookup` finds an unrevoked link by token; the wall
calls it on every refresh, so a revoked link stops at the next one. Creating
and revoking are audited in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import polars as pl

from config.scope import Scope
from metrics.access import audit
from metrics.store import Store
from metrics.store import access as table

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 200  # anything longer in ?kiosk= is not one of ours
TIME = pl.Datetime("ms", "UTC")
SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "label": pl.String(), "scope": pl.String(), "created_at": TIME,
    "created_by": pl.String(), "revoked_at": TIME, "revoked_by": pl.String(),
}


@dataclass(frozen=True, slots=True)
class KioskLink:
    id: int
    label: str
    scope: Scope


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(now: int | None) -> int:
    return int(time.time() * 1000) if now is None else now


def create(store: Store, *, label: str, scope: Scope, actor: str, role: str = "admin",
           now: int | None = None) -> tuple[int, str]:
    """A new link: (its id, the token — shown once, never stored)."""
    label = label.strip()
    if not label:
        raise ValueError("label: say which display the link is for")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = _now(now)
    with audit.write(store) as conn:
        link_id = table.insert_kiosk_link(
            conn, token_hash=hash_token(token), label=label[:200], scope=str(scope),
            created_at=now, created_by=actor[:200])
        audit.record_in(conn, "kiosk_create", actor=actor, role=role, target=str(link_id),
                        detail=f"{label[:200]} · {scope}", now=now)
    return int(link_id), token


def revoke(store: Store, link_id: int, *, actor: str, role: str = "admin",
           now: int | None = None) -> None:
    """Revoke a link now. KeyError: no such link, or it was already revoked."""
    now = _now(now)
    with audit.write(store) as conn:
        if table.revoke_kiosk_link(conn, link_id, now=now, by=actor[:200]) != 1:
            raise KeyError(f"no active kiosk link with id {link_id}")
        audit.record_in(conn, "kiosk_revoke", actor=actor, role=role, target=str(link_id),
                        now=now)


def lookup(store: Store, token: str) -> KioskLink | None:
    """The unrevoked link with this token, or None (unknown, revoked, or not a token)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = table.live_kiosk_link(store.engine, hash_token(token))
    if row is None:
        return None
    link_id, label, scope = row
    return KioskLink(link_id, label, Scope.parse(scope))


def links(store: Store) -> pl.DataFrame:
    """Every link, newest first (no hashes). Columns: `SCHEMA`."""
    rows = table.kiosk_link_rows(store.engine, SCHEMA)
    raw = {n: (pl.Int64 if v == TIME else v) for n, v in SCHEMA.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    return frame.with_columns(pl.col("created_at", "revoked_at").cast(TIME))
