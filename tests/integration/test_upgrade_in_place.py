"""Existing installs upgrade in place, on SQLite and PostgreSQL.

A store and a configuration the previous version wrote (tests/fixtures/previous/, made by
commit dea4b77 with its own `ioc`; its README says how) go through this code's
`ioc store migrate` in a real subprocess: the backup is taken first, the schema version is
this code's afterwards, every row the old code wrote is still there and reads through the
Store API (polls, samples, today's counts, alerts and their acknowledgement, silences, the
kiosk link, the sign-in session, audit, assignments), and `ioc check-config` accepts the old
configuration.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from config.catalogue import METRICS, is_counter
from metrics.access import audit, kiosk, sessions
from metrics.alerts import assignments_store, read
from metrics.store import Store, dialects
from metrics.store.migrations import SCHEMA_VERSION, migrate
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = ROOT / "tests" / "fixtures" / "previous"
MADE = json.loads((PREVIOUS / "made.json").read_text(encoding="utf-8"))
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class OldInstall:
    """A copy of the previous version's store and configuration, for one test."""

    backend: str  # "sqlite" | "postgresql"
    url: str
    config: Path  # the copied ioc.yaml
    made: dict[str, Any]  # tokens printed when the fixture was made

    def ioc(self, *args: str) -> subprocess.CompletedProcess:
        """`python -m collectors.cli ARGS` with IOC_CONFIG and IOC_DB_URL on this install."""
        env = {**os.environ, "IOC_CONFIG": str(self.config), "IOC_DB_URL": self.url}
        return subprocess.run([sys.executable, "-m", "collectors.cli", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)


def _copy_config(tmp_path: Path) -> Path:
    shutil.copytree(PREVIOUS / "config", tmp_path / "config")
    return tmp_path / "config" / "ioc.yaml"


def _sqlite_install(tmp_path: Path) -> OldInstall:
    db = tmp_path / "data" / "ioc.db"
    db.parent.mkdir()
    db.write_bytes(gzip.decompress((PREVIOUS / "ioc.db.gz").read_bytes()))
    return OldInstall("sqlite", f"sqlite:///{db}", _copy_config(tmp_path), MADE["sqlite"])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_install(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OldInstall]:
    """The previous version's store: the SQLite file, or its pg_dump restored into a
    fresh PostgreSQL database (with psql, as an operator would)."""
    if request.param == "sqlite":
        yield _sqlite_install(tmp_path)
        return
    name = f"ioc_prev_{uuid.uuid4().hex[:10]}"
    url = dialects.normalise_url(PG_URL).set(database=name)
    admin = sa.create_engine(dialects.normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        dump = tmp_path / "ioc-postgresql.sql"
        dump.write_bytes(gzip.decompress((PREVIOUS / "ioc-postgresql.sql.gz").read_bytes()))
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        done = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq, "-f",
                               str(dump)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        yield OldInstall("postgresql", url.render_as_string(hide_password=False),
                         _copy_config(tmp_path), MADE["postgresql"])
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def row_counts(url: str) -> dict[str, int]:
    """Every table of the database and its number of rows, read with plain SQL."""
    engine = dialects.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one()
                    for n in names}
    finally:
        engine.dispose()


def schema_version(url: str) -> int:
    engine = dialects.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one())
    finally:
        engine.dispose()


def read_everything(url: str, made: dict[str, Any]) -> dict[str, Any]:
    """What this code's Store API reads from the store: the figures the test compares."""
    with Store.open(url) as store:
        newest = store.newest_ts()
        assert newest is not None, "no polls read"
        start, end = newest - timedelta(days=1), newest
        counters = [m for m in METRICS if is_counter(m)]
        day = newest.astimezone(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0)
        alerts = read.alerts(store, start, end)
        acked = alerts.filter(alerts["id"] == made["acked_alert"])
        link = kiosk.lookup(store, made["kiosk_token"])
        session = sessions.find(store, made["session_token"])
        return {
            "centres": store.centres().height,
            "polls": store.polls(start, end).height,
            "latest_polls": store.latest_polls(at=end).height,
            "samples": store.samples(list(METRICS), start, end).height,
            "today": store.today_increases(counters, day, end, newest=newest).increases.height,
            "alerts": alerts.height,
            "acked_by": acked["acked_by"].to_list(),
            # the fixture's one silence began within minutes of the newest poll, for 4 h
            "silences": len(read.silences_at(store, end + timedelta(minutes=30))),
            "kiosk": link.label if link else None,
            "session": session.username if session else None,
            "audit": audit.entries(store).height,
            "assignments": assignments_store.assignments(store).height,
        }


def test_previous_store_migrates_after_a_backup_and_every_row_reads(old_install, tmp_path):
    before = row_counts(old_install.url)
    assert schema_version(old_install.url) <= SCHEMA_VERSION
    backup_file = tmp_path / "pre-migrate.dump"
    args = [str(backup_file)] if old_install.backend == "postgresql" else []

    done = old_install.ioc("store", "migrate", *args)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["to"] == result["code_version"] == SCHEMA_VERSION
    assert schema_version(old_install.url) == SCHEMA_VERSION
    kept = Path(result["backup"])
    assert kept.is_file()
    if old_install.backend == "sqlite":
        assert kept.parent == Path(old_install.url.removeprefix("sqlite:///")).parent
        assert kept.name.startswith(f"ioc.pre-migrate-v{result['from']}-")
        assert row_counts(f"sqlite:///{kept}") == before  # the store as the old code left it
    else:
        assert kept == backup_file and kept.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom
    after = row_counts(old_install.url)
    assert {name: after.get(name) for name in before} == before  # no table lost or emptied

    got = read_everything(old_install.url, old_install.made)
    assert got == {
        "centres": before["centres"],
        "polls": before["polls"],
        "latest_polls": before["centres"],
        "samples": before["samples"],
        "today": got["today"],
        "alerts": before["alerts"],
        "acked_by": ["an.nguyen"],
        "silences": before["silences"],
        "kiosk": "Phòng IOC màn 1",
        "session": "an.nguyen",
        "audit": before["audit_log"],
        "assignments": before["assignments"],
    }
    assert got["today"] > 0  # today's counters add up from the old samples and roll-ups

    checked = old_install.ioc("check-config", str(old_install.config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    version = old_install.ioc("store", "version")
    assert version.returncode == 0 and json.loads(version.stdout)["ok"] is True


def test_reading_the_previous_store_fails_when_one_of_its_tables_is_renamed(tmp_path):
    install = _sqlite_install(tmp_path)
    with sqlite3.connect(install.url.removeprefix("sqlite:///")) as conn:
        conn.execute("ALTER TABLE kiosk_links RENAME TO kiosk_links_old")
    assert install.ioc("store", "migrate").returncode == 0  # same version: nothing to do
    with pytest.raises(sa.exc.OperationalError, match="kiosk_links"):
        read_everything(install.url, install.made)


def test_store_migrate_backs_up_first_and_migrates_nothing_when_the_backup_fails(tmp_path):
    older = tmp_path / "v12.db"
    engine = dialects.create_engine(f"sqlite:///{older}")
    try:
        migrate(engine, target=SCHEMA_VERSION - 1)
    finally:
        engine.dispose()
    install = OldInstall("sqlite", f"sqlite:///{older}", _copy_config(tmp_path), {})
    taken = tmp_path / "taken.db"
    taken.write_text("not a backup")

    refused = install.ioc("store", "migrate", str(taken))
    assert refused.returncode == 2
    assert refused.stderr.startswith("ioc store migrate: nothing migrated, no backup: ")
    assert schema_version(install.url) == SCHEMA_VERSION - 1

    done = install.ioc("store", "migrate", str(tmp_path / "before.db"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backup"] == str(tmp_path / "before.db")
    assert schema_version(f"sqlite:///{tmp_path / 'before.db'}") == SCHEMA_VERSION - 1
    assert schema_version(install.url) == SCHEMA_VERSION


@pytest.mark.postgres
def test_store_migrate_on_postgresql_wants_a_file_for_pg_dump_or_no_backup(tmp_path):
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(dialects.normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = dialects.create_engine(PG_URL, schema)
        try:
            migrate(engine, target=SCHEMA_VERSION - 1)
        finally:
            engine.dispose()
        url = dialects.normalise_url(PG_URL).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        install = OldInstall("postgresql", url, _copy_config(tmp_path), {})
        refused = install.ioc("store", "migrate")
        assert refused.returncode == 2 and "pg_dump" in refused.stderr
        assert "--no-backup" in refused.stderr
        done = install.ioc("store", "migrate", "--no-backup")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"from": SCHEMA_VERSION - 1, "to": SCHEMA_VERSION,
                                           "code_version": SCHEMA_VERSION, "backup": None}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
