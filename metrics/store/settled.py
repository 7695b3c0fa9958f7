"""When stored history stops changing, and a counter that says when it changed anyway.

Time here is the data's own: the newest stored poll, not any host's clock, so a
collector and a dashboard on different hosts need not agree on the time. Polls are
written in time order, seconds after they were taken, so history more than a few
minutes before the newest poll is settled: readers may cache it. Any write that
stores a sample more than `LATE_AFTER` older than the newest poll already stored (a
spool replayed after newer polls went in, a backfill into a live store, a collector
whose clock runs behind another's; a spool replayed before any newer poll only extends
the live end, which is not cached as settled) bumps the `late_writes` counter in `meta`, in the same
transaction as the samples. A reader caches history before `settled_before(newest)`
under the counter's value, both read before the data: a late write then changes the
key, and the next read sees it. A write that is not late holds samples at most
`LATE_AFTER` older than the newest poll it saw, which is no older than any the
reader saw (SQLite serialises writes; on PostgreSQL it holds unless a write's
transaction stays open for more than `LATE_AFTER`), so it cannot land in an hour
that `settled_before` leaves twice `LATE_AFTER` back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store import dialects
from metrics.store.schema import meta

LATE_AFTER = timedelta(minutes=5)
LATE_AFTER_MS = int(LATE_AFTER.total_seconds() * 1000)
KEY = "late_writes"
HOUR = timedelta(hours=1)


def is_late(oldest_ts_ms: int, newest_poll_ms: int | None) -> bool:
    """Whether a write whose oldest sample is at `oldest_ts_ms` is late, the newest poll
    already stored being at `newest_poll_ms` (None: nothing stored, nothing is late)."""
    return newest_poll_ms is not None and oldest_ts_ms < newest_poll_ms - LATE_AFTER_MS


def settled_before(newest: datetime) -> datetime:
    """The hour boundary (UTC; local hours are the same in Asia/Ho_Chi_Minh) before which
    stored history is settled when the newest stored poll is at `newest` (or earlier):
    `newest` less twice `LATE_AFTER`, floored to the hour."""
    earlier = newest - 2 * LATE_AFTER
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
