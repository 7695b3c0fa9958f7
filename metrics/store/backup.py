"""`ioc store backup` / `ioc store restore` for SQLite, with SQLite's online backup API.

**Backup** copies the live database page by page in one step, inside one read transaction:
in WAL mode that transaction sees one consistent snapshot while the collector goes on
writing (readers never block the writer), so the copy holds whole cycles only. The copy is
written beside the target as a temporary file, switched to a self-contained rollback
journal (no -wal file to carry around), checked (`PRAGMA quick_check`) and then renamed
into place, so a backup file is either whole or absent.

**Restore** checks the backup (integrity, an IOC schema no newer than this code), refuses
while any other process has the database open (the collector and the dashboard must be
stopped: a running writer would keep ids cached from the old file), keeps the current
database as `<name>.pre-restore-<time>.db`, then copies the backup in with the same API
and turns WAL back on. An older schema in the backup is migrated by the next process that
opens it (every process migrates on start).

PostgreSQL has its own tools; `BackupError` then says which command to run
(`pg_dump_command`, `pg_restore_command`; docs/operations.md).

**Before a migration** (`ioc store migrate`, `backup_before_migrate`): a SQLite store is
backed up as above, by default beside the database as `<name>.pre-migrate-v<N>-<time>.db`;
a PostgreSQL store is dumped with `pg_dump --format=custom` to the file given.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from metrics.durable import fsync_path
from metrics.store.check import sqlite_path
from metrics.store.dialects import normalise_url
from metrics.store.migrations import SCHEMA_VERSION

LOCK_TIMEOUT_S = 5.0
PG_DUMP_TIMEOUT_S = 3600.0


class BackupError(Exception):
    """Why a backup or a restore did not happen (nothing was changed)."""


def pg_dump_command(url: str, path: str | Path) -> str:
    """The pg_dump command for a PostgreSQL store URL (the password stays in PGPASSWORD)."""
    return f"pg_dump --format=custom --file={path} {_libpq_args(url)}"


def pg_restore_command(url: str, path: str | Path) -> str:
    return f"pg_restore --clean --if-exists --no-owner {_libpq_args(url)} {path}"


def _libpq_args(url: str) -> str:
    u = normalise_url(url)
    args = [f"--host={u.host or 'localhost'}", f"--port={u.port or 5432}"]
    if u.username:
        args.append(f"--username={u.username}")
    args.append(f"--dbname={u.database or ''}")
    return " ".join(args)


def _sqlite_file(url: str, action: str, path: Path) -> Path:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        command = pg_dump_command(url, path) if action == "backup" else \
            pg_restore_command(url, path)
        raise BackupError(f"store.url is PostgreSQL: use its own tools, e.g. `{command}` "
                          "(docs/operations.md)")
    db = sqlite_path(url)
    if db is None:
        raise BackupError(f"store.url {url!r} is not a SQLite file")
    return db


def _connect(path: Path, mode: str = "rw") -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path.resolve()}?mode={mode}", uri=True,
                           timeout=LOCK_TIMEOUT_S, isolation_level=None)


def _inspect(conn: sqlite3.Connection, where: Path) -> int:
    """The schema version of an IOC database; BackupError when damaged or not one."""
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"{where}: integrity check failed: {check}")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{where}: not an IOC database ({exc})") from None
    if row is None:
        raise BackupError(f"{where}: not an IOC database (no schema version)")
    return int(row[0])


def backup(url: str, target: str | Path, *, overwrite: bool = False,
           clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Copy the SQLite store at `url` to `target` while it is in use; a summary."""
    target = Path(target)
    source = _sqlite_file(url, "backup", target)
    if not source.exists():
        raise BackupError(f"no SQLite database at {source} (store.url)")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists: choose another name or pass --force")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not be the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    started = clock()
    try:
        src = _connect(source)
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(dst)  # pages=-1: one step, one read transaction, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                version = _inspect(dst, tmp)
            finally:
                dst.close()
        finally:
            src.close()
        fsync_path(tmp)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return {"backup": str(target), "database": str(source), "bytes": target.stat().st_size,
            "schema_version": version, "seconds": round(clock() - started, 3)}


def restore(url: str, backup_file: str | Path, *, keep_current: bool = True,
            now: Callable[[], datetime] = datetime.now) -> dict[str, Any]:
    """Replace the SQLite store at `url` with `backup_file`; a summary.

    Refuses (BackupError, nothing changed) if the backup is damaged, not an IOC database,
    newer than this code, or if another process has the database open.
    """
    backup_file = Path(backup_file)
    db = _sqlite_file(url, "restore", backup_file)
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    try:
        src = _connect(backup_file, "ro")
    except sqlite3.Error as exc:
        raise BackupError(f"{backup_file}: cannot open: {exc}") from None
    try:
        version = _inspect(src, backup_file)
        if version > SCHEMA_VERSION:
            raise BackupError(f"{backup_file}: schema version {version} is newer than this "
                              f"code's {SCHEMA_VERSION}: restore it with the newer release")
        db.parent.mkdir(parents=True, exist_ok=True)
        existed = db.exists() and db.stat().st_size > 0
        dst = sqlite3.connect(db, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        try:
            kept = None
            if existed:
                _refuse_if_in_use(dst, db)
                kept = _keep_copy(dst, db, now()) if keep_current else None
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore of {backup_file} into {db} failed: {exc}") from None
    finally:
        src.close()
    return {"restored": str(backup_file), "database": str(db), "schema_version": version,
            "code_version": SCHEMA_VERSION, "previous_kept_as": str(kept) if kept else None}


def _refuse_if_in_use(conn: sqlite3.Connection, db: Path) -> None:
    """Leaving WAL mode needs the only connection: if it fails, someone has the file open."""
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    if mode == "wal":
        raise BackupError(f"{db} is open in another process: stop the collector and the "
                          "dashboard first (systemctl stop ioc-collector ioc-dashboard)")


def _keep_copy(conn: sqlite3.Connection, db: Path, when: datetime) -> Path:
    """Copy the database `conn` has open to `<name>.pre-restore-<time>.db`; its path."""
    kept = db.with_name(f"{db.stem}.pre-restore-{when:%Y%m%d-%H%M%S}{db.suffix or '.db'}")
    dst = sqlite3.connect(kept, isolation_level=None)
    try:
        conn.backup(dst)
    finally:
        dst.close()
    return kept


def pre_migrate_path(db: Path, version: int, when: datetime) -> Path:
    """Where `ioc store migrate` keeps a SQLite store at `version` by default: beside it."""
    return db.with_name(f"{db.stem}.pre-migrate-v{version}-{when:%Y%m%d-%H%M%S}"
                        f"{db.suffix or '.db'}")


def backup_before_migrate(url: str, version: int, target: str | Path | None = None, *,
                          now: Callable[[], datetime] = datetime.now) -> dict[str, Any]:
    """Back up the store at `url` (at schema `version`) before a migration; a summary.

    SQLite: `backup` to `target`, or to `pre_migrate_path` when none is given. PostgreSQL:
    `pg_dump --format=custom` into `target`, which it needs (the password, if the URL has
    one, goes in PGPASSWORD). BackupError when no backup was made.
    """
    if normalise_url(url).get_backend_name() != "postgresql":
        db = _sqlite_file(url, "backup", Path(target or "."))
        return backup(url, target or pre_migrate_path(db, version, now()))
    if target is None:
        raise BackupError("store.url is PostgreSQL: give the file pg_dump should write, e.g. "
                          "`ioc store migrate /var/backups/ioc/pre-migrate.dump`, or pass "
                          "--no-backup after your own pg_dump (docs/operations.md)")
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists: choose another name")
    password = normalise_url(url).password
    env = {**os.environ, "PGPASSWORD": str(password)} if password else None
    command = pg_dump_command(url, target)
    try:
        done = subprocess.run(shlex.split(command), env=env, capture_output=True, text=True,
                              timeout=PG_DUMP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"`{command}` did not run: {exc}") from None
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
        raise BackupError(f"`{command}` failed: {why}")
    return {"backup": str(target), "bytes": target.stat().st_size, "schema_version": version}
