"""The audit log: sign-ins, alert actions, assignments, account and kiosk-link changes, one
row each.

Written by the dashboard's sign-in (`dashboard.session.signin`), the alert actions
(`metrics.alerts.actions`, inside the action's own transaction), the assignments
(`metrics.alerts.assignments_store`, likewise, and their escalation by the engine), the kiosk
links (`metrics.access.kiosk`) and `ioc users`. Read by the admins' audit page.
Never holds a password or a token. Times are int ms UTC.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import datetime

import polars as pl

from metrics.store import Connection, Store, dialects, to_ms
from metrics.store import access as table

ACTIONS = frozenset({
    "sign_in", "sign_out", "acknowledge", "unacknowledge", "silence", "cancel_silence",
    "kiosk_create", "kiosk_revoke", "user_add", "user_passwd", "user_remove",
    "sessions_end", "assign", "assign_close", "assign_escalate",
})
MAX_TEXT = 500  # characters kept of actor, target and detail (they can carry typed input)
TIME = pl.Datetime("ms", "UTC")
SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "ts": TIME, "actor": pl.String(), "role": pl.String(), "action": pl.String(),
    "ok": pl.Boolean(), "target": pl.String(), "detail": pl.String(),
}


def write(store: Store) -> AbstractContextManager[Connection]:
    """A write transaction (SQLite: BEGIN IMMEDIATE, so it waits for the lock up front)."""
    return dialects.write_transaction(store.engine)


def _row(action: str, actor: str, role: str, ok: bool, target: str, detail: str,
         now: int | None) -> dict:
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r}: one of {', '.join(sorted(ACTIONS))}")
    return {"ts": int(time.time() * 1000) if now is None else now,
            "actor": actor[:MAX_TEXT], "role": role[:40], "action": action, "ok": ok,
            "target": str(target)[:MAX_TEXT], "detail": detail[:MAX_TEXT]}


def record_in(conn: Connection, action: str, *, actor: str, role: str = "", ok: bool = True,
              target: str = "", detail: str = "", now: int | None = None) -> None:
    """One audit row inside the caller's transaction (it commits or rolls back with it)."""
    table.insert_audit(conn, _row(action, actor, role, ok, target, detail, now))


def record(store: Store, action: str, *, actor: str, role: str = "", ok: bool = True,
           target: str = "", detail: str = "", now: int | None = None) -> None:
    """One audit row in its own write transaction."""
    with write(store) as conn:
        record_in(conn, action, actor=actor, role=role, ok=ok, target=target, detail=detail,
                  now=now)


def entries(store: Store, *, start: datetime | None = None, end: datetime | None = None,
            actions: list[str] | None = None, limit: int = 500) -> pl.DataFrame:
    """The newest audit rows (at most `limit`), optionally in [start, end] and of `actions`.
    Columns: `SCHEMA`."""
    rows = table.audit_rows(store.engine, SCHEMA,
                            start_ms=None if start is None else to_ms(start),
                            end_ms=None if end is None else to_ms(end),
                            actions=actions, limit=limit)
    raw = {k: (pl.Int64 if v == TIME else v) for k, v in SCHEMA.items()}
    return pl.DataFrame(rows, schema=raw, orient="row").with_columns(pl.col("ts").cast(TIME))
