"""`ioc store prune|version|migrate|backup|restore`: store maintenance. Each prints JSON.

- `prune [--budget S]`: delete rows past their retention (metrics/store/retention.py).
- `version`: the database's schema version and this code's, without changing anything;
  exit 1 when the database does not answer or the versions differ.
- `migrate [PATH] [--no-backup]`: back the store up, then apply the missing migrations now
  (every process also migrates when it opens the store; this is for upgrading on purpose,
  before starting the new release). SQLite: to PATH, by default beside the database as
  `<name>.pre-migrate-v<N>-<time>.db`; PostgreSQL: `pg_dump` into PATH, which it then needs.
  Nothing is migrated when the backup fails (exit 2).
- `backup PATH [--force]`, `restore PATH [--no-keep]`: SQLite (metrics/store/backup.py);
  on PostgreSQL they name the pg_dump / pg_restore command to run instead (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from config.settings import Settings

ACTIONS = ("prune", "version", "migrate", "backup", "restore")


def add_parser(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("store", help="store maintenance: prune, version, migrate, backup, "
                        "restore")
    st.add_argument("action", choices=ACTIONS)
    st.add_argument("path", nargs="?", help="backup/restore: the backup file; migrate: where "
                    "to back up first")
    st.add_argument("--budget", type=float, help="prune: stop after this many seconds "
                    "(default: all)")
    st.add_argument("--force", action="store_true", help="backup: overwrite PATH")
    st.add_argument("--no-keep", action="store_true",
                    help="restore: do not keep the current database as *.pre-restore-*.db")
    st.add_argument("--no-backup", action="store_true",
                    help="migrate: do not back up first (you have your own backup)")


def _print(result: dict[str, Any]) -> None:
    print(json.dumps(result, ensure_ascii=False), flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.store.url
    if args.action in ("backup", "restore") and not args.path:
        print(f"ioc store {args.action}: give the backup file's path", file=sys.stderr)
        return 2
    if args.action == "prune":
        from metrics.store import Store
        from metrics.store.retention import Pruner

        with Store.open(url) as store:
            _print(Pruner(store.engine, settings.store.retention).run(budget_s=args.budget))
        return 0
    if args.action == "version":
        from metrics.store.check import check_store

        result = check_store(url)
        _print(result.to_json())
        return 0 if result.ok else 1
    if args.action == "migrate":
        return _migrate(url, args.path, backup_first=not args.no_backup)
    from metrics.store.backup import BackupError, backup, restore

    try:
        if args.action == "backup":
            _print(backup(url, args.path, overwrite=args.force))
        else:
            _print(restore(url, args.path, keep_current=not args.no_keep))
    except BackupError as exc:
        print(f"ioc store {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def _migrate(url: str, path: str | None, *, backup_first: bool) -> int:
    """`ioc store migrate`: back up a store that has a schema, then migrate it."""
    import sqlalchemy as sa

    from metrics.store import dialects
    from metrics.store.backup import BackupError, backup_before_migrate
    from metrics.store.migrations import (
        SCHEMA_VERSION,
        SchemaTooNewError,
        current_version,
        migrate,
    )

    engine = dialects.create_engine(url)
    kept = None
    try:
        with engine.connect() as conn:
            before = current_version(conn)
        if backup_first and 0 < before <= SCHEMA_VERSION:
            kept = backup_before_migrate(url, before, path)
        after = migrate(engine)
    except BackupError as exc:
        print(f"ioc store migrate: nothing migrated, no backup: {exc}", file=sys.stderr)
        return 2
    except (sa.exc.SQLAlchemyError, SchemaTooNewError) as exc:
        print(f"ioc store migrate: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    _print({"from": before, "to": after, "code_version": SCHEMA_VERSION,
            "backup": kept["backup"] if kept else None})
    return 0
