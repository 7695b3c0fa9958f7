"""PostgreSQL connections give up on a silent server instead of hanging (metrics/dialects.py)."""

from __future__ import annotations

import sqlalchemy as sa

from metrics import dialects
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


def test_a_setting_in_the_url_wins_over_the_default():
    sep = "&" if "?" in PG_URL else "?"
    got = _libpq_parameters(f"{PG_URL}{sep}keepalives_idle=45&connect_timeout=3")
    assert (got["keepalives_idle"], got["connect_timeout"]) == ("45", "3")
