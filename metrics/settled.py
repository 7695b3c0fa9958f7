"""When stored history stops changing, and a counter that says when it changed anyway.

A poll's samples are written seconds after they were taken, so the hours before the
last few minutes are settled: readers may cache them. Any write that stores a sample
more than `LATE_AFTER` older than the writer's clock (a spool replayed after a
database cut, a backfill, a benchmark history) bumps the `late_writes` counter in
`meta`, in the same transaction as the samples. A reader caches the settled part of
a range (before `settled_before`) under the counter's value, read before the data:
a late write then changes the key, and the next read sees it.

`settled_before` leaves twice `LATE_AFTER`, so a write not counted as late (its
samples at most `LATE_AFTER` old by the writer's clock) cannot land in a settled
hour unless the writer's and reader's clocks differ by more than `LATE_AFTER`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics import dialects
from metrics.schema import meta

LATE_AFTER = timedelta(minutes=5)
LATE_AFTER_MS = int(LATE_AFTER.total_seconds() * 1000)
KEY = "late_writes"
HOUR = timedelta(hours=1)


def is_late(oldest_ts_ms: int, now_ms: int) -> bool:
    """Whether a write whose oldest sample is at `oldest_ts_ms` is late at `now_ms`."""
    return oldest_ts_ms < now_ms - LATE_AFTER_MS


def settled_before(when: datetime) -> datetime:
    """The hour boundary (UTC; local hours are the same in Asia/Ho_Chi_Minh) before which
    stored history is settled at `when`: `when` less twice `LATE_AFTER`, floored to the hour."""
    earlier = when - 2 * LATE_AFTER
    return earlier.replace(minute=0, second=0, microsecond=0)


def bump(conn: Connection) -> None:
    """Count one late write (in the caller's transaction)."""
    conn.execute(dialects.insert_ignore(conn.dialect.name, meta).values(key=KEY, value="0"))
    conn.execute(meta.update().where(meta.c.key == KEY).values(
        value=sa.cast(sa.cast(meta.c.value, sa.BigInteger) + 1, sa.Text)))


def version(conn: Connection) -> int:
    """How many late writes the store has counted (0 when none ever was)."""
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == KEY)).scalar_one_or_none()
    return int(value) if value is not None else 0
