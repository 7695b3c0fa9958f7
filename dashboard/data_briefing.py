"""Cached loaders for the briefing page: each kind of data in one query for the whole fleet.

Keyed on the database URL, the data's freshness (`data.newest_ms`) and the
moment (minute precision), so sessions share one load per collection cycle.
Every read is cut to the viewer's scope in SQL (`data.scoped_centres`); the
exports (HTML, CSV) are made from the same frames.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import polars as pl
import streamlit as st

from config.settings import Settings
from dashboard import data, fmt
from metrics import alerts_read, polls_read
from metrics import briefing as br
from metrics import queries as q
from metrics.scope import Scope
from metrics.store import from_ms, to_ms
from metrics.today import Today


class BriefingFrames(NamedTuple):
    centres: pl.DataFrame
    counters: pl.DataFrame  # today's counter increases per series up to the moment
    polls: pl.DataFrame  # every poll since the previous briefing of centres with a failed one
    latest_polls: pl.DataFrame  # newest poll per centre at the moment
    gauges: pl.DataFrame  # newest status gauges at the moment
    alerts: pl.DataFrame  # alerts alive since the previous briefing
    today: Today  # what `counters` count (`counters` is its increases)


@st.cache_data(ttl=data.LIVE_TTL_S, max_entries=32, show_spinner=False)
def briefing_frames(url: str, freshness_ms: int | None, at_ms: int, day_start_ms: int,
                    previous_ms: int, scope_key: str) -> BriefingFrames:
    """Seven queries for the scope's fleet; `freshness_ms` is only the cache key.

    Incidents are runs of failed polls: only the centres with a failed poll since the
    previous briefing have their polls read (`polls_read.failed_centres`), not the
    whole fleet's (a national day's is ~1 M polls, nearly all answered)."""
    db = data.store(url)
    sc, centres, ids = data.scoped_centres(db, scope_key)
    at, previous = from_ms(at_ms), from_ms(previous_ms)
    day_start = from_ms(day_start_ms)
    today = data.today_increases(db, br.COUNTER_METRICS, day_start, at, ids, freshness_ms)
    return BriefingFrames(
        centres=centres,
        counters=today.increases,
        polls=db.polls(previous, at,
                       centre_ids=polls_read.failed_centres(db, previous, at, ids)),
        latest_polls=db.latest_polls(centre_ids=ids, at=at),
        gauges=db.latest(centre_ids=ids, metrics=q.STATUS_GAUGES, at=at,
                         lookback=data.GAUGE_LOOKBACK),
        alerts=alerts_read.alerts(db, previous, at, centre_ids=ids,
                                  provinces=sc.query_provinces()),
        today=today,
    )


def briefing_view(cfg: Settings, at: datetime, *, scope: Scope) -> br.Briefing:
    """The briefing at `at` within `scope` (loads cached; arithmetic in `metrics.briefing`)."""
    url = cfg.store.url
    dash = cfg.dashboard
    tz = dash.timezone
    at = at.replace(second=0, microsecond=0)
    previous = br.previous_briefing(at, br.parse_times(dash.briefing_times), tz)
    day_start = fmt.local_midnight(at, tz)
    freshness = data.newest_ms(url)
    frames = briefing_frames(url, freshness, to_ms(at), to_ms(day_start), to_ms(previous),
                             str(scope))
    status = q.centre_status(frames.centres, frames.latest_polls, frames.gauges, at,
                             dash.stale_after_s)
    down = tuple(status.filter(pl.col("status") == q.DOWN)["id"].to_list())
    if down:
        status = q.attach_down_since(status, data.down_runs(url, freshness, down, to_ms(at)))
    today = frames.today
    return br.build_from_increases(frames.centres, frames.counters, frames.polls, status,
                                   frames.alerts, at=at, previous=previous, day_start=day_start,
                                   resolution=today.resolution,
                                   counted_until=from_ms(today.until_ms))
