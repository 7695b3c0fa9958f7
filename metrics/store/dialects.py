"""Where SQLite and PostgreSQL differ: engine set-up, upserts, sizes. Used by the store only.

Everything else in the store is the same SQLAlchemy Core code on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL

from metrics.store import write_turns

# How long a SQLite writer waits for another writer's lock before failing. A
# national batch takes about a second; backfill and the collector may overlap.
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BEGIN_OPTION = "sqlite_begin"  # execution option: "IMMEDIATE" for writers
# libpq defaults for a database that stops answering (rather than refusing): give up on a
# connect after 10 s and notice a dead TCP peer within about a minute, so no process hangs
# forever on it. A setting of the same name in the URL's query wins.
# tcp_user_timeout: data sent and never acknowledged (a peer gone without a word) fails
# the connection after 60 s instead of the kernel's ~15 minutes of retransmissions.
PG_CONNECT_DEFAULTS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
                       "keepalives_interval": 10, "keepalives_count": 3,
                       "tcp_user_timeout": 60_000}


def _psycopg(conn: Connection) -> psycopg.Connection:
    """The psycopg connection under `conn` (PostgreSQL only), in the same transaction."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("metrics.store.dialects: the connection has no driver connection")
    return driver


def normalise_url(url: str) -> URL:
    """The URL with PostgreSQL's driver pinned to psycopg 3 (the one installed)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(
            f"unsupported database {parsed.get_backend_name()!r}: "
            "use sqlite:///path or postgresql+psycopg://…"
        )
    return parsed


def redacted_url(url: str) -> str:
    """A database URL fit for a log line: its password, if any, masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(not a URL)"


def with_pg_connect_args(url: str, args: Mapping[str, object]) -> str:
    """`url` with `args` added to its query if it is PostgreSQL's (a setting already in the
    URL wins); any other URL as it is."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    extra = {k: str(v) for k, v in args.items() if k not in parsed.query}
    return parsed.update_query_dict(extra).render_as_string(hide_password=False)


def create_engine(url: str, schema: str | None = None) -> Engine:
    """An engine for `url`; SQLite gets its folder, WAL and our own BEGIN handling.

    `schema` (PostgreSQL only) puts that schema first on the search path, so
    tests can each use a fresh one.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, object] = {
            k: v for k, v in PG_CONNECT_DEFAULTS.items() if k not in parsed.query}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
        sa.event.listen(engine, "connect", _pg_on_connect)
        return engine
    if schema:
        raise ValueError("schema is for PostgreSQL; a SQLite file is its own namespace")
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed)
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _pg_on_connect(dbapi_conn, _record) -> None:
    # No JIT: the roll-up reads are tens of thousands of tiny index scans (one per series);
    # their estimated cost triggers JIT, which compiles for ~120 ms a query and saves nothing.
    cur = dbapi_conn.cursor()
    cur.execute("SET jit = off")
    cur.close()
    dbapi_conn.commit()


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    # Take BEGIN away from the sqlite3 module, which would not emit it before
    # DDL (migrations must be atomic); `_sqlite_on_begin` emits it instead.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL: readers (the dashboard) never block the writer and vice versa.
    # synchronous=NORMAL: in WAL mode a crash cannot corrupt the database; the
    # last commits before a power cut may be lost, which a poller can afford.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers begin IMMEDIATE: they take the write lock up front and wait
    # (busy_timeout) for it, instead of failing when a read turns into a write.
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed on exit, rolled back on an error.
    SQLite: after this process's writers that asked before (`write_turns`), then BEGIN
    IMMEDIATE, so it waits for other processes' writers up front."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    with write_turns.turns(engine).turn(SQLITE_BUSY_TIMEOUT_MS / 1000), engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


def _insert(dialect: str, table: sa.Table):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignore(dialect: str, table: sa.Table) -> sa.Insert:
    """INSERT … ON CONFLICT DO NOTHING: a replayed row is skipped, never duplicated."""
    return _insert(dialect, table).on_conflict_do_nothing()


def bulk_insert_ignore(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple]
) -> int:
    """Insert many rows (tuples in `columns` order), skipping existing keys; return how
    many were new. Runs in the caller's transaction, straight through the DBAPI.

    SQLite: one prepared INSERT … ON CONFLICT DO NOTHING, executemany. PostgreSQL:
    COPY into a session temp table, then one INSERT … SELECT … ON CONFLICT DO
    NOTHING (executemany there is several times slower and does not count rows).
    """
    if not rows:
        return 0
    cols = ", ".join(columns)
    if conn.dialect.name != "postgresql":
        sql = str(
            insert_ignore("sqlite", table).compile(dialect=conn.dialect, column_keys=list(columns))
        )
        return conn.exec_driver_sql(sql, list(rows)).rowcount
    with _psycopg(conn).cursor() as cur:
        stage = _copy_to_stage(cur, table, cols, rows)
        cur.execute(
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING"
        )
        return cur.rowcount


def bulk_upsert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple],
                key: Sequence[str], set_sql: str, null_column: str | None = None
                ) -> list[tuple]:
    """Insert many rows (tuples in `columns` order); on a key conflict run `set_sql`, an
    ON CONFLICT DO UPDATE SET list that may name the stored row as `<table>.col` and the
    new one as `excluded.col` (and may end in `WHERE …`: only rows it holds for change).
    Rows must have distinct keys. The caller's transaction.
    Returns the keys of rows whose `null_column` is NULL afterwards (none without one).

    SQLite: one prepared statement, executemany; then a query (give `null_column` a
    partial index). PostgreSQL: COPY into a session temp table, then one
    INSERT … SELECT … ON CONFLICT … DO UPDATE … RETURNING.
    """
    if not rows:
        return []
    cols = ", ".join(columns)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({cols}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {set_sql}", list(rows)
        )
        return _nulls(conn, table, key, null_column)
    with _psycopg(conn).cursor() as cur:
        stage = _copy_to_stage(cur, table, cols, rows)
    return upsert_select(conn, table, columns, f"SELECT {cols} FROM {stage} WHERE true", key,
                         set_sql, null_column)


def upsert_select(conn: Connection, table: sa.Table, columns: Sequence[str], select_sql: str,
                  key: Sequence[str], set_sql: str, null_column: str | None = None
                  ) -> list[tuple]:
    """INSERT INTO `table` (`columns`) `select_sql` ON CONFLICT (`key`) DO UPDATE SET
    `set_sql` (as in `bulk_upsert`), run in the database alone. `select_sql` must have a
    WHERE clause (SQLite's parser needs one before an upsert's ON CONFLICT) and select
    rows with distinct keys. Returns the keys of rows whose `null_column` is NULL
    afterwards (SQLite: a query; PostgreSQL: RETURNING of the rows it wrote)."""
    keys = ", ".join(key)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) {select_sql} "
           f"ON CONFLICT ({keys}) DO UPDATE SET {set_sql}")
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(sql)
        return _nulls(conn, table, key, null_column)
    with _psycopg(conn).cursor() as cur:  # no parameters: % is modulo
        if null_column is None:
            cur.execute(sql)
            return []
        cur.execute(f"WITH up AS ({sql} RETURNING {keys}, {null_column}) "
                    f"SELECT {keys} FROM up WHERE {null_column} IS NULL")
        return [tuple(r) for r in cur.fetchall()]


def _nulls(conn: Connection, table: sa.Table, key: Sequence[str], null_column: str | None
           ) -> list[tuple]:
    if null_column is None:
        return []
    return [tuple(r) for r in conn.exec_driver_sql(
        f"SELECT {', '.join(key)} FROM {table.name} WHERE {null_column} IS NULL")]


STAGE = "stage_batch"  # PostgreSQL: the session temp table of `stage_samples`
STAGE_COLUMNS = ("series_id", "ts", "value")


def stage_samples(conn: Connection, rows: Sequence[tuple[int, int, float]]) -> None:
    """Stage sample rows (series_id, ts, value; distinct series) for `insert_staged` and
    `upsert_staged`, in the caller's transaction.

    PostgreSQL: COPY into an emptied session temp table, which the statements then read in
    the database instead of each receiving every row again. SQLite: nothing; its statements
    bind the rows themselves, one execution a row (a single-row statement needs no
    statement journal, which an INSERT … SELECT of every series keeps of every page it
    changes: measured 0.7 GB more written a cycle with a quarter hour of national history).
    """
    if conn.dialect.name != "postgresql":
        return
    with _psycopg(conn).cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (series_id integer NOT NULL, "
                    "ts bigint NOT NULL, value double precision NOT NULL) "
                    "ON COMMIT DELETE ROWS")
        cur.execute(f"DELETE FROM {STAGE}")
        with cur.copy(f"COPY {STAGE} (series_id, ts, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert_staged(conn: Connection, table: sa.Table,
                  rows: Sequence[tuple[int, int, float]]) -> int:
    """The staged sample `rows` (`stage_samples`) into `table` (series_id, ts, value),
    skipping keys already stored; how many were new.

    PostgreSQL first tries a plain INSERT under a savepoint: a live cycle's rows are all
    new, and a plain insert does less per row than ON CONFLICT's speculative one (0.68 s
    against 0.88 s for a national cycle); only when a key is already stored (a replay) is
    the insert rolled back and made again with ON CONFLICT DO NOTHING."""
    if conn.dialect.name != "postgresql":
        return bulk_insert_ignore(conn, table, STAGE_COLUMNS, rows)
    cols = ", ".join(STAGE_COLUMNS)
    plain = f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {STAGE}"
    with _psycopg(conn).cursor() as cur:
        cur.execute("SAVEPOINT insert_staged")
        try:
            cur.execute(plain)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT insert_staged")
            cur.execute(f"{plain} ON CONFLICT DO NOTHING")
        written = cur.rowcount
        cur.execute("RELEASE SAVEPOINT insert_staged")
        return written


def upsert_staged(conn: Connection, table: sa.Table, columns: Sequence[str],
                  values: Callable[[str, str, str], str],
                  rows: Sequence[tuple[int, int, float]], key: Sequence[str], set_sql: str,
                  null_column: str | None = None) -> list[tuple]:
    """One row of `table` (`columns`) for each staged sample row (`stage_samples`), made in
    the database: `values(series_id, ts, value)` is the SQL of its column values given the
    SQL of the sample's three fields. On a key conflict `set_sql`, and the return value,
    as in `bulk_upsert`. The rows must give distinct keys."""
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
            f"({values('?1', '?2', '?3')}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            f"{set_sql}", list(rows))
        return _nulls(conn, table, key, null_column)
    return upsert_select(conn, table, columns,
                         f"SELECT {values(*STAGE_COLUMNS)} FROM {STAGE} WHERE true", key,
                         set_sql, null_column)


def _copy_to_stage(cur, table: sa.Table, cols: str, rows: Sequence[tuple]) -> str:
    """COPY `rows` into an emptied session temp table shaped like `table`; its name."""
    stage = f"stage_{table.name}"
    cur.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DELETE ROWS"
    )
    cur.execute(f"TRUNCATE {stage}")
    with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return stage


def upsert(dialect: str, table: sa.Table, key: Sequence[str]) -> sa.Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE every other column to the new values."""
    stmt = _insert(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key},
    )


def bytes_on_disk(conn: Connection) -> int:
    """Bytes the database occupies: SQLite's file (after a WAL checkpoint), or the
    PostgreSQL tables and indexes of the current schema."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        return int(pages) * int(size)
    return int(
        conn.execute(
            sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).scalar_one()
    )


def newest_join(
    dialect: str,
    outer: sa.FromClause,
    outer_key: sa.Column,
    inner: sa.Table,
    inner_key: str,
    lo: int | None,
    hi: int,
    where: Callable[[sa.Table], list[sa.ColumnElement[bool]]] | None = None,
):
    """`outer` joined to its newest `inner` row with lo < ts <= hi (lo None: unbounded)
    and, when given, the conditions `where(inner table)` returns.

    Returns (from clause, the inner columns to select). Both plans walk `outer`
    and seek the (key, ts) primary key once per row, whatever the table size:
    PostgreSQL through LATERAL … ORDER BY ts DESC LIMIT 1 (its planner would
    otherwise hash-join the whole table), SQLite, which has no LATERAL, through
    ts = (correlated max(ts)), which it plans as two seeks.
    """

    def window(table) -> list:
        bounds = [table.c[inner_key] == outer_key, table.c.ts <= hi,
                  *(where(table) if where else [])]
        return bounds if lo is None else [*bounds, table.c.ts > lo]

    if dialect == "postgresql":
        newest = (
            sa.select(inner)
            .where(*window(inner))
            .order_by(inner.c.ts.desc())
            .limit(1)
            .lateral("newest")
        )
        return outer.join(newest, sa.true()), newest.c
    other = inner.alias(f"{inner.name}_newest")
    newest_ts = sa.select(sa.func.max(other.c.ts)).where(*window(other)).scalar_subquery()
    return (
        outer.join(inner, sa.and_(inner.c[inner_key] == outer_key, inner.c.ts == newest_ts)),
        inner.c,
    )
