"""How far a history backfill has got: written by `ioc backfill`, read by the pages.

A backfill that runs while the product is live (`ioc demo` starts the wall first and fills
the week behind it, newest first) records in `meta` under `history_fill` the range it is
filling, how many of its poll times are written, and the oldest time from which the history
is complete. The pages say the history is still loading (or that loading stopped) until
every time is written, so a half-filled week is never shown as complete, and the alert engine
does not judge a burn rate over a window that reaches before that time (it would read the
missing polls as a smaller window). One row, replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from metrics.store import dialects
from metrics.store.schema import meta

KEY = "history_fill"
STALLED_AFTER_S = 120.0  # no progress for this long: the backfill stopped


@dataclass(frozen=True, slots=True)
class Fill:
    """One backfill's progress."""

    from_ms: int  # the oldest time it fills
    to_ms: int  # the newest time it fills (the live data starts after it)
    complete_from_ms: int  # the history is complete from here to now
    done: int  # poll times written
    total: int  # poll times to write
    updated_ms: int  # when it last wrote

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def ratio(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    def stalled(self, now_ms: int, after_s: float = STALLED_AFTER_S) -> bool:
        """True when it is unfinished and has not written for `after_s`."""
        return not self.finished and now_ms - self.updated_ms > after_s * 1000


def record(engine: sa.Engine, fill: Fill) -> None:
    """Replace the row with `fill`."""
    value = json.dumps({"from_ms": fill.from_ms, "to_ms": fill.to_ms,
                        "complete_from_ms": fill.complete_from_ms, "done": fill.done,
                        "total": fill.total, "updated_ms": fill.updated_ms})
    with dialects.write_transaction(engine) as conn:
        conn.execute(meta.delete().where(meta.c.key == KEY))
        conn.execute(meta.insert().values(key=KEY, value=value))


def read(bind: sa.Engine | sa.Connection) -> Fill | None:
    """The latest backfill's progress, or None when none was recorded (or it does not
    parse)."""
    query = sa.select(meta.c.value).where(meta.c.key == KEY)
    if isinstance(bind, sa.Connection):
        value = bind.execute(query).scalar()
    else:
        with bind.connect() as conn:
            value = conn.execute(query).scalar()
    if value is None:
        return None
    try:
        v = json.loads(value)
        return Fill(int(v["from_ms"]), int(v["to_ms"]), int(v["complete_from_ms"]),
                    int(v["done"]), int(v["total"]), int(v["updated_ms"]))
    except (ValueError, KeyError, TypeError):
        return None
