"""Loaders of collection gaps (metrics/store/gaps.py) for the wall and the commune page.

One query per range, once per collection cycle (`data.cycle`): a collector records its gaps
when the database is back, in the same cycle as fresh polls, so a new gap always comes
with a new cycle. Scope: only gaps holding one of the viewer's centres are read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import common as data
from metrics.store import from_ms, gaps, to_ms

WALL_LOOKBACK = timedelta(hours=24)  # the wall names the gaps of the last day
HOUR_MS = 3_600_000


def _gaps(url: str, start_ms: int, end_ms: int, scope_key: str, province: int | None,
          centre_id: str | None) -> pl.DataFrame:
    """Gaps overlapping [start, end] in the scope (and `province`, or one centre), read once
    per collection cycle."""
    return data.cycle(url).get(("gaps", start_ms, end_ms, scope_key, province, centre_id),
                               lambda: _read(url, start_ms, end_ms, scope_key, province,
                                             centre_id))


def _read(url: str, start_ms: int, end_ms: int, scope_key: str, province: int | None,
          centre_id: str | None) -> pl.DataFrame:
    db = data.store(url)
    _sc, centres, ids = data.scoped_centres(db, scope_key, province)
    if centre_id is not None:
        ids = [centre_id] if centre_id in set(centres["id"]) else []
    return gaps.between(db.engine, from_ms(start_ms), from_ms(end_ms), ids)


def recent(found: pl.DataFrame, now: datetime, lookback: timedelta = WALL_LOOKBACK
           ) -> pl.DataFrame:
    """The gaps that ended within `lookback` before `now` and began by `now` (pure)."""
    return found.filter(pl.col("end").dt.epoch("ms") >= to_ms(now - lookback),
                        pl.col("start").dt.epoch("ms") <= to_ms(now))


def wall_gaps(cfg: Settings, now: datetime, *, scope: Scope, replay: bool = False,
              province: int | None = None) -> pl.DataFrame:
    """The gaps the wall names: those of the last 24 h before `now`, newest first.

    Read by whole hours (the cache key moves once an hour, not every refresh), then cut
    to the exact day before `now`.
    """
    url = cfg.store.url
    start = to_ms(now - WALL_LOOKBACK) // HOUR_MS * HOUR_MS
    end = to_ms(now) if replay else (to_ms(datetime.now(UTC)) // HOUR_MS + 2) * HOUR_MS
    return recent(_gaps(url, start, end, str(scope), province, None), now)


def centre_gaps(cfg: Settings, centre_id: str, start: datetime, end: datetime, *,
                scope: Scope) -> pl.DataFrame:
    """The gaps holding `centre_id` that overlap [start, end] (the commune page's range)."""
    url = cfg.store.url
    return _gaps(url, to_ms(start), to_ms(end), str(scope), None, centre_id)
