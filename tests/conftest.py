"""Shared fixtures: a store on each backend, and a seeded Huế store.

`store` (and `database`, for tests that need the URL) runs every test that uses
it twice: on a SQLite file in tmp_path and on PostgreSQL (IOC_TEST_PG_URL), in
a fresh schema per test that is dropped afterwards. PostgreSQL tests FAIL,
never skip, when the server is unreachable: a green run means both backends.
"""

from __future__ import annotations

import gc
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.loader import CONFIG_DIR, load_site
from config.registry import apply_site, fleet
from metrics.store import Store, dialects
from tests.fixtures.personas import BRIEFING_END, Seeded, seed

PG_URL = os.environ.get("IOC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Database:
    """Where a test's store lives: a URL and, on PostgreSQL, the test's own schema."""

    url: str
    schema: str | None

    @property
    def backend(self) -> str:
        return "postgresql" if self.schema else "sqlite"

    def open(self, **kwargs) -> Store:
        return Store.open(self.url, schema=self.schema, **kwargs)

    def engine(self) -> Engine:
        """A bare engine (no migrations run): for schema and migration tests."""
        return dialects.create_engine(self.url, self.schema)


def _pg_admin() -> Engine:
    return sa.create_engine(
        dialects.normalise_url(PG_URL), connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put `sys.modules["__main__"]` back after each test. AppTest runs dashboard/app.py as
    `__main__` and leaves it there; worker processes started later with the "spawn" method
    would then run the whole dashboard script as they start, and die."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database(f"sqlite:///{tmp_path / 'store.db'}", None)
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = _pg_admin()
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        shown = dialects.normalise_url(PG_URL).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL at {shown} is unreachable: {exc.orig}. Start the server "
            "or point IOC_TEST_PG_URL at one; these tests never skip.",
            pytrace=False,
        )
    try:
        yield Database(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    with database.open() as opened:
        yield opened


def classes_made(build: Callable[[], object]) -> int:
    """How many Python classes `build()` creates (the collector held off, so classes
    made and dropped in between are counted too)."""

    def classes() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, type))

    gc.collect()
    gc.disable()
    try:
        before = classes()
        build()
        return classes() - before
    finally:
        gc.enable()


def hue_centres():
    """Huế's 40 commune centres with the site file's (approximate) coordinates."""
    return apply_site(fleet("hue"), load_site(CONFIG_DIR / "sites" / "hue.yaml"))


@pytest.fixture
def seeded_store(tmp_path) -> Iterator[Callable[..., Seeded]]:
    """A factory: `seeded_store(hours=6, step_s=300, end=BRIEFING_END)` → `Seeded`.

    A SQLite store holding Huế's 40 centres and `hours` of synthetic polls from
    the personas (tests/fixtures/personas.py), every `step_s` seconds, ending at
    `end` (default 10:00 on 3 July 2025, Huế time). Closed after the test.
    """
    opened: list[Store] = []

    def make(hours: float = 6, step_s: float = 300, end: datetime = BRIEFING_END) -> Seeded:
        db = Store.open(f"sqlite:///{tmp_path / f'seeded-{len(opened)}.db'}")
        opened.append(db)
        return seed(db, hue_centres(), hours=hours, step_s=step_s, end=end)

    yield make
    for db in opened:
        db.close()
