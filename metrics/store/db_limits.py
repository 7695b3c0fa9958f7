"""Bounds on a database that stops answering, for a writer that must give up rather than wait.

`limit_statements(engine, s)` puts a statement timeout on every later connection of an engine
(PostgreSQL `statement_timeout` and `lock_timeout`, SQLite's busy timeout) and tracks the
connections in use; `sever(engine)` shuts their sockets down, so a thread blocked on a
PostgreSQL that stopped answering (a black hole: no refusal, no reset) fails at once instead
of when TCP gives up. The collector's writer uses both (collectors/writing/writer.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import weakref

import sqlalchemy as sa
from sqlalchemy.engine import Engine

_IN_USE: weakref.WeakKeyDictionary[Engine, set] = weakref.WeakKeyDictionary()


def limit_statements(engine: Engine, seconds: float) -> None:
    """From now on, no statement on `engine`'s connections waits past `seconds`: PostgreSQL
    `statement_timeout` (and `lock_timeout`, half of it), SQLite's busy timeout. Open
    connections are closed so every later one gets the limit, and the connections in use
    are tracked for `sever`. For a writer that must give up (and spool) rather than wait —
    not for migrations, which may take longer."""
    ms = max(1, round(seconds * 1000))
    in_use: set = set()
    _IN_USE[engine] = in_use
    sa.event.listen(engine, "checkout", lambda dbapi_conn, *_: in_use.add(dbapi_conn))
    sa.event.listen(engine, "checkin", lambda dbapi_conn, *_: in_use.discard(dbapi_conn))

    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        if engine.dialect.name == "postgresql":
            cur.execute(f"SET statement_timeout = {ms}")
            cur.execute(f"SET lock_timeout = {max(1, ms // 2)}")
            cur.close()
            dbapi_conn.commit()
        else:
            cur.execute(f"PRAGMA busy_timeout={ms}")
            cur.close()

    sa.event.listen(engine, "connect", on_connect)
    engine.dispose()


def sever(engine: Engine) -> int:
    """Shut down the sockets of `engine`'s PostgreSQL connections in use (tracked since
    `limit_statements`), so a thread blocked on a database that stopped answering fails at
    once instead of waiting for TCP to give up; how many. SQLite has no socket: 0."""
    n = 0
    for dbapi_conn in list(_IN_USE.get(engine, ())):
        try:
            fd = dbapi_conn.pgconn.socket  # psycopg 3's libpq connection
            s = socket.socket(fileno=os.dup(fd))  # the same socket; closing it closes the dup
        except Exception:  # SQLite, or a connection already closed: nothing to cut
            continue
        with contextlib.suppress(OSError), s:
            s.shutdown(socket.SHUT_RDWR)
            n += 1
    return n
