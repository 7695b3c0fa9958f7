"""PostgreSQL connections give up on a silent server instead of hanging
(metrics/store/dialects.py)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from metrics.store import db_limits, dialects
from tests.conftest import PG_URL


def _libpq_parameters(url: str) -> dict[str, str]:
    """The parameters libpq used for a real connection to `url`."""
    engine = dialects.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            return conn.connection.dbapi_connection.info.get_parameters()
    finally:
        engine.dispose()


def test_pg_connections_time_out_and_keep_alive_by_default():
    got = _libpq_parameters(PG_URL)
    assert got["connect_timeout"] == "10"
    assert (got["keepalives_idle"], got["keepalives_interval"], got["keepalives_count"]) == (
        "30", "10", "3")
    assert got["tcp_user_timeout"] == "60000"


def test_a_setting_in_the_url_wins_over_the_default():
    sep = "&" if "?" in PG_URL else "?"
    got = _libpq_parameters(f"{PG_URL}{sep}keepalives_idle=45&connect_timeout=3")
    assert (got["keepalives_idle"], got["connect_timeout"]) == ("45", "3")


def test_limited_statements_give_up_at_the_limit_and_sever_frees_a_blocked_caller():
    engine = dialects.create_engine(PG_URL)
    try:
        db_limits.limit_statements(engine, 0.5)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "500ms"
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "250ms"
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                conn.execute(sa.text("SELECT pg_sleep(3)"))
        blocked: list[BaseException] = []

        def wait_forever() -> None:
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SET statement_timeout = 0"))
                    conn.execute(sa.text("SELECT pg_sleep(60)"))
            except sa.exc.DBAPIError as exc:
                blocked.append(exc)

        t = threading.Thread(target=wait_forever, daemon=True)
        t.start()
        watcher = dialects.create_engine(PG_URL)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until the sleep runs on the server
                with watcher.connect() as conn:
                    if conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE "
                                            "query = 'SELECT pg_sleep(60)'")).scalar():
                        break
                time.sleep(0.1)
        finally:
            watcher.dispose()
        assert db_limits.sever(engine) == 1
        t.join(10)
        assert not t.is_alive() and blocked  # freed at once, with an error, not after 60 s
    finally:
        engine.dispose()


def test_limited_statements_set_sqlites_busy_timeout(tmp_path):
    engine = dialects.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        db_limits.limit_statements(engine, 1.5)
        with engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 1500
        assert db_limits.sever(engine) == 0
    finally:
        engine.dispose()
