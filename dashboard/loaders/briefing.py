"""Cached loaders for the briefing page: each kind of data in one query for the whole fleet.

Read once per collection cycle for the moment (minute precision) and scope
(`data.cycle`), so sessions share one load per cycle.
Every read is cut to the viewer's scope in SQL (`data.scoped_centres`); the
exports (HTML, CSV) are made from the same frames.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import polars as pl

from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.loaders import compare as data_compare
from dashboard.views import fmt
from metrics import briefing as br
from metrics.alerts import read as alerts_read
from metrics.store import from_ms, polls_read, to_ms
from metrics.today import Today


class BriefingFrames(NamedTuple):
    centres: pl.DataFrame
    counters: pl.DataFrame  # today's counter increases per series up to the moment
    polls: pl.DataFrame  # every poll since the previous briefing of centres with a failed one
    alerts: pl.DataFrame  # alerts alive since the previous briefing
    today: Today  # what `counters` count (`counters` is its increases)


def period_increases(db, metrics: list[str], start: datetime, at: datetime,
                     ids: list[str] | None, freshness_ms: int | None, tz: str) -> Today:
    """Counter increases from the local midnight `start` to `at`: each earlier local day
    whole (`data.today_increases` to its last millisecond: the centres' counters restart
    at midnight), plus `at`'s day up to `at`, summed per series. What it counts
    (`resolution`, `until_ms`) is `at`'s day's, unless an earlier day had only roll-ups."""
    last = fmt.local_midnight(at, tz)
    day = start.astimezone(ZoneInfo(tz))
    parts: list[Today] = []
    while day < last:
        nxt = day + timedelta(days=1)  # wall-clock: the next local midnight
        parts.append(data.today_increases(db, metrics, day, nxt - timedelta(milliseconds=1),
                                          ids, freshness_ms))
        day = nxt
    today = data.today_increases(db, metrics, last, at, ids, freshness_ms)
    if not parts:
        return today
    inc = (pl.concat([p.increases for p in [*parts, today]])
           .group_by("centre_id", "metric", "label", maintain_order=True)
           .agg(pl.col("increase").sum()))
    inexact = next((p for p in parts if not p.exact), None)
    if inexact is not None:  # an earlier day counted only up to its roll-up's bucket
        return replace(today, increases=inc, resolution=inexact.resolution,
                       until_ms=inexact.until_ms)
    return replace(today, increases=inc)


def period_start(at: datetime, since: date | None, tz: str) -> datetime:
    """The local midnight the dossier counts start from: `at`'s own ("today"), or that of
    an earlier day `since` (a period such as the first days of the new centres)."""
    midnight = fmt.local_midnight(at, tz)
    if since is None or since >= midnight.date():
        return midnight
    return datetime.combine(since, time(), tzinfo=ZoneInfo(tz))


def briefing_frames(url: str, freshness_ms: int | None, at_ms: int, day_start_ms: int,
                    previous_ms: int, scope_key: str,
                    tz: str = "Asia/Ho_Chi_Minh") -> BriefingFrames:
    """Five queries for the scope's fleet (the centres' state is the wall's), the newest
    poll being at `freshness_ms`. `day_start_ms`: the local midnight the dossier
    counts start from (`period_start`; several days: `period_increases`).

    Incidents are runs of failed polls: only the centres with a failed poll since the
    previous briefing have their polls read (`polls_read.failed_centres`), not the
    whole fleet's (a national day's is ~1 M polls, nearly all answered)."""
    db = data.store(url)
    sc, centres, ids = data.scoped_centres(db, scope_key)
    at, previous = from_ms(at_ms), from_ms(previous_ms)
    day_start = from_ms(day_start_ms)
    today = period_increases(db, br.COUNTER_METRICS, day_start, at, ids, freshness_ms, tz)
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


def briefing_view(cfg: Settings, at: datetime, *, scope: Scope,
                  since: date | None = None) -> br.Briefing:
    """The briefing at `at` within `scope` (loads cached; arithmetic in `metrics.briefing`);
    the dossiers counted from the start of `since` when that is an earlier day, else
    today's."""
    url = cfg.store.url
    dash = cfg.dashboard
    tz = dash.timezone
    at = at.replace(second=0, microsecond=0)
    previous = br.previous_briefing(at, br.parse_times(dash.briefing_times), tz)
    day_start = period_start(at, since, tz)
    now_cycle = data.cycle(url)
    freshness = now_cycle.marker[0]
    frames = now_cycle.get(
        ("briefing", to_ms(at), to_ms(day_start), to_ms(previous), str(scope), tz),
        lambda: briefing_frames(url, freshness, to_ms(at), to_ms(day_start), to_ms(previous),
                                str(scope), tz))
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
    # Today next to the same moment last week: the tiles' own figures when they are today's;
    # over a period (`since`) the comparison reads today's alone.
    today_only = today if day_start == fmt.local_midnight(at, tz) else None
    week = data_compare.week_comparison(cfg, at, scope=scope, today=today_only)
    return replace(built, availability_end=end, week=week,
                   availability=data_availability.availability_24h(cfg, end, scope=scope))


def attention_rules(cfg: Settings) -> br.AttentionRules:
    """The briefing's on-time mark: the finder's own rule (dashboard.lagging), when set."""
    marks = [r.threshold for r in cfg.dashboard.lagging
             if r.metric == "on_time_rate_today" and r.comparison == "below"]
    return br.AttentionRules(on_time_min=marks[0]) if marks else br.AttentionRules()
