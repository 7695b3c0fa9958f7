"""When collection last fell behind its interval: written by the collector, read by the pages.

A collector that misses ticks (a cycle's polling or write took longer than the interval)
records it in `meta` under `behind:<collector>`: when, how many ticks, the interval. The
pages say so while it is recent (`recent`), because the data may still look fresh while
every other tick is lost. One row per collector, replaced each time: nothing grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from metrics.store import dialects
from metrics.store.schema import meta

PREFIX = "behind:"
RECENT_S = 600.0  # the pages mention a fall-behind this long after it happened


@dataclass(frozen=True, slots=True)
class Behind:
    """One collector's latest fall-behind."""

    collector: str
    at_ms: int  # when the tick was missed
    missed: int  # ticks missed that time
    total: int  # ticks missed since the collector started
    interval_s: float


def record(engine: sa.Engine, collector: str, at_ms: int, missed: int, total: int,
           interval_s: float) -> None:
    """Replace `collector`'s row with this fall-behind."""
    key = (PREFIX + (collector or "collector"))[:64]
    value = json.dumps({"at_ms": at_ms, "missed": missed, "total": total,
                        "interval_s": interval_s})
    with dialects.write_transaction(engine) as conn:
        conn.execute(meta.delete().where(meta.c.key == key))
        conn.execute(meta.insert().values(key=key, value=value))


def read(engine: sa.Engine) -> list[Behind]:
    """Every collector's latest fall-behind, newest first; a row that does not parse is
    passed over."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(meta.c.key, meta.c.value)
                            .where(meta.c.key.startswith(PREFIX))).all()
    out = []
    for key, value in rows:
        try:
            v = json.loads(value)
            out.append(Behind(key[len(PREFIX):], int(v["at_ms"]), int(v["missed"]),
                              int(v["total"]), float(v["interval_s"])))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=lambda b: -b.at_ms)


def recent(found: list[Behind], now_ms: int, within_s: float = RECENT_S) -> Behind | None:
    """The newest fall-behind within `within_s` of `now_ms`, or None."""
    return next((b for b in found if 0 <= now_ms - b.at_ms <= within_s * 1000), None)
