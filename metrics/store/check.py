"""Does the store answer? A read-only probe for health checks and `ioc store version`.

`check_store(url)` opens one fresh connection (no pool, a short timeout), reads the schema
version and closes it. It never creates or migrates anything: a SQLite file that is missing
stays missing (opened `mode=rw`), so a deleted database is reported, not silently
recreated empty. The store is ready when it answers with this code's schema version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from metrics.store.dialects import normalise_url
from metrics.store.migrations import SCHEMA_VERSION, current_version

DEFAULT_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class StoreCheck:
    """The outcome of one probe: `ok`, and `reason` saying why not (or what was found)."""

    ok: bool
    reason: str
    backend: str  # "sqlite" | "postgresql" | "" when the URL itself is bad
    schema_version: int | None  # the database's, None when it did not answer
    code_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sqlite_path(url: str) -> Path | None:
    """The file a sqlite URL names (relative to the working directory); None for memory."""
    parsed = normalise_url(url)
    db = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or db in ("", ":memory:") or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def _engine(url: str, timeout_s: float) -> sa.Engine:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed, poolclass=NullPool,
                                connect_args={"connect_timeout": max(1, round(timeout_s))})
    path = sqlite_path(url)
    if path is None:
        return sa.create_engine(parsed, poolclass=NullPool)
    target = f"file:{path.resolve()}?mode=rw"  # never create the file
    return sa.create_engine("sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(
        target, uri=True, timeout=timeout_s, check_same_thread=False))


def _brief(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0][:200] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {text}" if text else type(orig).__name__


def check_store(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> StoreCheck:
    """Probe the database at `url`: reachable, and at this code's schema version?"""
    try:
        backend = normalise_url(url).get_backend_name()
    except (ValueError, sa.exc.ArgumentError) as exc:
        return StoreCheck(False, f"store.url: {exc}", "", None)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return StoreCheck(False, f"database unreachable: no SQLite file at {path}", backend, None)
    try:
        engine = _engine(url, timeout_s)
        try:
            with engine.connect() as conn:
                version = current_version(conn)
        finally:
            engine.dispose()
    except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError) as exc:
        return StoreCheck(False, f"database unreachable: {_brief(exc)}", backend, None)
    if version == SCHEMA_VERSION:
        return StoreCheck(True, f"database answers, schema version {version}", backend, version)
    if version == 0:
        why = "the database has no IOC schema (empty, or not this product's)"
    elif version < SCHEMA_VERSION:
        why = (f"schema version {version} is older than this code's {SCHEMA_VERSION}: "
               "run `ioc store migrate` (every process also migrates when it starts)")
    else:
        why = (f"schema version {version} is newer than this code's {SCHEMA_VERSION}: "
               "upgrade the product")
    return StoreCheck(False, why, backend, version)
