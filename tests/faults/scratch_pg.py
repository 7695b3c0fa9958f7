"""A scratch PostgreSQL database that the test can take away from its clients and give back.

`cut()` makes the database refuse new connections (`ALLOW_CONNECTIONS false`) and
terminates every backend connected to it; `drop_connections()` only terminates them (the
clients' next connection works); `restore()` lets connections in again. The database is
created empty under a random name on the server `IOC_TEST_PG_URL` points at, and dropped
(FORCE) afterwards.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from metrics.store import dialects


class ScratchDatabase:
    def __init__(self, server_url: str):
        self.name = f"ioc_faults_{uuid.uuid4().hex[:12]}"
        base = dialects.normalise_url(server_url)
        self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT",
                                      connect_args={"connect_timeout": 5})
        self.url = make_url(base).set(database=self.name) \
            .render_as_string(hide_password=False)

    def create(self) -> ScratchDatabase:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self

    def _terminate(self, conn: sa.Connection) -> int:
        return len(conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": self.name}).all())

    def drop_connections(self) -> int:
        """Terminate every client backend of the database; how many there were."""
        with self.admin.connect() as conn:
            return self._terminate(conn)

    def cut(self) -> int:
        """Refuse new connections and terminate the open ones; how many were cut."""
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            return self._terminate(conn)

    def restore(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
