"""`ioc store backup` / `restore` on real SQLite files, one backup taken while another
connection keeps writing; and the pg_dump / pg_restore commands docs/operations.md gives,
run against the real PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.registry import fleet
from metrics.results import ProbeResult, Sample
from metrics.store import Store, dialects
from metrics.store.backup import BackupError, backup, pg_dump_command, pg_restore_command, restore
from metrics.store.migrations import SCHEMA_VERSION
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
CENTRES = fleet("hue")[:5]
PER_POLL = 20  # samples in every poll: a batch in the backup is whole or absent
T0 = 1_751_511_600.0  # 2025-07-03 10:00 in Huế


def batch(n: int) -> list[ProbeResult]:
    """Batch `n`: every centre polled at T0 + n seconds, PER_POLL samples each."""
    return [ProbeResult(c.id, T0 + n, True, 0.05,
                        samples=[Sample("dossiers_received_by_procedure_total", float(n), f"p{i}")
                                 for i in range(PER_POLL)]) for c in CENTRES]


def counts(url: str) -> tuple[int, int]:
    engine = dialects.create_engine(url)
    try:
        with engine.connect() as conn:
            return (conn.execute(sa.text("SELECT count(*) FROM polls")).scalar_one(),
                    conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one())
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Writes batch after batch through its own Store (its own connections) until stopped."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.done, self.stop, self.error = url, 0, threading.Event(), None

    def run(self) -> None:
        try:
            with Store.open(self.url) as store:
                store.sync_centres(CENTRES)
                while not self.stop.is_set():
                    store.write(batch(self.done))
                    self.done += 1
        except Exception as exc:  # reported by the test
            self.error = exc

    def wait_for(self, batches: int) -> None:
        while self.done < batches and self.is_alive():
            self.stop.wait(0.01)


def test_backup_taken_while_the_collector_writes_restores_whole_batches(tmp_path):
    url = f"sqlite:///{tmp_path / 'live' / 'ioc.db'}"
    writer = Writer(url)
    writer.start()
    try:
        writer.wait_for(500)  # a few MB: the copy takes long enough to overlap writes
        before = writer.done
        summary = backup(url, tmp_path / "backups" / "ioc-1.db")
        after = writer.done
        writer.wait_for(after + 10)  # the writer was never blocked by the backup
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None and writer.done >= after + 10
    assert summary["schema_version"] == SCHEMA_VERSION and summary["bytes"] > 0

    restored = f"sqlite:///{tmp_path / 'restored' / 'ioc.db'}"
    result = restore(restored, tmp_path / "backups" / "ioc-1.db")
    assert result["previous_kept_as"] is None  # nothing was there
    polls, samples = counts(restored)
    assert polls % len(CENTRES) == 0 and before <= polls // len(CENTRES) <= after
    assert samples == polls * PER_POLL  # every batch whole: one consistent snapshot
    with Store.open(restored) as store:  # opens, at the current schema, in WAL mode
        assert store.latest_polls().height == len(CENTRES)
    mode = sqlite3.connect(tmp_path / "restored" / "ioc.db").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"
    assert not list((tmp_path / "backups").glob(".*tmp*"))  # no temporary file left


def test_restore_replaces_the_database_and_keeps_the_previous_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    with Store.open(url) as store:
        store.sync_centres(CENTRES)
        store.write(batch(0))
    backup(url, tmp_path / "monday.db")
    with Store.open(url) as store:
        store.write(batch(1))
        store.write(batch(2))
    assert counts(url)[0] == 3 * len(CENTRES)

    result = restore(url, tmp_path / "monday.db", now=lambda: datetime(2025, 7, 3, 10, 5))
    assert counts(url) == (len(CENTRES), len(CENTRES) * PER_POLL)
    kept = Path(result["previous_kept_as"])
    assert kept.name == "ioc.pre-restore-20250703-100500.db"
    assert counts(f"sqlite:///{kept}")[0] == 3 * len(CENTRES)


def test_restore_refuses_while_another_process_has_the_database_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    backup_file = tmp_path / "b.db"
    with Store.open(url) as store:
        store.sync_centres(CENTRES)
        store.write(batch(0))
        backup(url, backup_file)
        store.write(batch(1))
        store.latest_polls()  # the pool keeps a connection open, as a running dashboard does
        with pytest.raises(BackupError, match="open in another process: stop the collector"):
            restore(url, backup_file)
        assert counts(url)[0] == 2 * len(CENTRES)  # untouched
    assert not list(tmp_path.glob("*.pre-restore-*"))


def test_restore_refuses_a_damaged_or_foreign_file_and_backup_an_existing_target(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    Store.open(url).close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match=r"junk\.db"):
        restore(url, junk)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(BackupError, match="not an IOC database"):
        restore(url, foreign)
    backup(url, tmp_path / "b.db")
    with pytest.raises(BackupError, match="exists: choose another name or pass --force"):
        backup(url, tmp_path / "b.db")
    assert backup(url, tmp_path / "b.db", overwrite=True)["backup"] == str(tmp_path / "b.db")


def test_backup_on_postgresql_names_the_pg_dump_command():
    with pytest.raises(BackupError, match=re.escape(
            "pg_dump --format=custom --file=x.dump --host=db --port=5432 --username=ioc "
            "--dbname=ioc")):
        backup("postgresql+psycopg://ioc@db/ioc", "x.dump")


def test_store_backup_and_restore_from_the_command_line(tmp_path):
    env = {**os.environ, "IOC_DB_URL": f"sqlite:///{tmp_path / 'ioc.db'}"}
    with Store.open(env["IOC_DB_URL"]) as store:
        store.sync_centres(CENTRES)
        store.write(batch(0))

    def ioc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "collectors.cli", "store", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    made = ioc("backup", str(tmp_path / "b.db"))
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["schema_version"] == SCHEMA_VERSION
    again = ioc("backup", str(tmp_path / "b.db"))
    assert again.returncode == 2 and "pass --force" in again.stderr
    back = ioc("restore", str(tmp_path / "b.db"), "--no-keep")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["previous_kept_as"] is None
    assert ioc("restore").returncode == 2


@pytest.mark.postgres
def test_the_documented_pg_dump_and_pg_restore_commands_round_trip(tmp_path):
    admin = sa.create_engine(dialects.normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    names = [f"ioc_ops_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    urls = [dialects.normalise_url(PG_URL).set(database=n).render_as_string(
        hide_password=False) for n in names]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        with Store.open(urls[0]) as store:
            store.sync_centres(CENTRES)
            for n in range(3):
                store.write(batch(n))
        dump = tmp_path / "ioc.dump"
        for command in (pg_dump_command(urls[0], dump), pg_restore_command(urls[1], dump)):
            done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, f"{command}: {done.stderr}"
        assert counts(urls[1]) == (3 * len(CENTRES), 3 * len(CENTRES) * PER_POLL)
        with Store.open(urls[1]) as store:  # at this code's schema: nothing to migrate
            assert store.latest_polls().height == len(CENTRES)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
