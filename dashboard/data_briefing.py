"""Cached loaders for the briefing page: each kind of data in one query for the whole fleet.

Keyed on the database URL, the data's freshness (`data.newest_ms`) and the
moment (minute precision), so sessions share one load per collection cycle.
Every read is cut to the viewer's scope in SQL (`data.scoped_centres`); the
exports (HTML, CSV) are made from the same frames.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

import polars as pl
import streamlit as st

from config.settings import Settings
from dashboard import data, data_availability, fmt
from metrics import alerts_read, polls_read
from metrics import briefing as br
from metrics.scope import Scope
from metrics.store import from_ms, to_ms
from metrics.today import Today


class BriefingFrames(NamedTuple):
    centres: pl.DataFrame
    counters: pl.DataFrame  # today's counter increases per series up to the moment
    polls: pl.DataFrame  # every poll since the previous briefing of centres with a failed one
    alerts: pl.DataFrame  # alerts alive since the previous briefing
    today: Today  # what `counters` count (`counters` is its increases)


@st.cache_data(ttl=data.LIVE_TTL_S, max_entries=32, show_spinner=False)
def briefing_frames(url: str, freshness_ms: int | None, at_ms: int, day_start_ms: int,
                    previous_ms: int, scope_key: str) -> BriefingFrames:
    """Five queries for the scope's fleet (the centres' state is the wall's);
    `freshness_ms` is only the cache key.

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
        polls=_failed_polls(db, previous, at, ids),
        alerts=alerts_read.alerts(db, previous, at, centre_ids=ids,
                                  provinces=sc.query_provinces()),
        today=today,
    )


def _failed_polls(db, start: datetime, end: datetime, ids: list[str] | None) -> pl.DataFrame:
    """Every poll from `start` to `end` of the centres with a failed (or self-reported
    down) poll then, such polls counted as failed (`polls_read.with_system_down`)."""
    failing = polls_read.failed_centres(db, start, end, ids)
    return polls_read.with_system_down(db.polls(start, end, centre_ids=failing),
                                       polls_read.system_down_polls(db, start, end, failing))


LIVE_WITHIN_MS = 60_000  # `at` is a minute: live, the polls taken in it count (availability)


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
    # The wall's own evaluation at `at` (the alert rules' thresholds, open alerts folded in).
    status = data.wall_view(cfg, at, scope=scope, replay=True).status
    today = frames.today
    built = br.build_from_increases(frames.centres, frames.counters, frames.polls, status,
                                    frames.alerts, at=at, previous=previous,
                                    day_start=day_start, rules=attention_rules(cfg),
                                    resolution=today.resolution,
                                    counted_until=from_ms(today.until_ms))
    # `at` is a minute: live, the polls taken in it count.
    end = data_availability.window_end(at, freshness, timedelta(milliseconds=LIVE_WITHIN_MS))
    return replace(built, availability_end=end,
                   availability=data_availability.availability_24h(cfg, end, scope=scope))


def attention_rules(cfg: Settings) -> br.AttentionRules:
    """The briefing's on-time mark: the finder's own rule (dashboard.lagging), when set."""
    marks = [r.threshold for r in cfg.dashboard.lagging
             if r.metric == "on_time_rate_today" and r.comparison == "below"]
    return br.AttentionRules(on_time_min=marks[0]) if marks else br.AttentionRules()
