"""Cached loaders for the commune drill-down (dashboard/app_pages/commune.py).

Each kind of data is at most four queries for the centre (or, for the province
median, for the province's centres), one per `drilldown.cache_chunks` chunk: the
rest of the range's first local day or hour (HEAD), whole local days (CLOSED),
today's settled hours (SETTLED, before `metrics.store.settled.settled_before` of the
newest poll) and the last hour or so (LIVE). Only LIVE is read once per collection cycle
(`data.cycle`, like the centre's events, today's counters and newest samples), so a new
poll re-reads at most about 70 minutes; the others are `st.cache_data` keyed on the
store's late-writes count (`data.late_writes`), so a backfill into them makes them re-read.
CLOSED's key holds all day and SETTLED's for an hour, so a range that moves with
the clock (its start is on a 5-minute to hourly bucket) keeps hitting them; HEAD's
moves with the start and lives for `data.LIVE_TTL_S`. Every cache here is bounded
in time and entries: under a steady load the memory they hold stops growing within
`CLOSED_TTL_S`.
The charts read the roll-ups (5-minute buckets for 6 h and 24 h, hourly for
longer), never raw samples; only bucketed frames are cached.
Scope: only the viewer's centres can be found or opened (`commune_view`
refuses any other), and the province median is over the scope's centres.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from config import catalogue
from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import common as data
from dashboard.views import fmt
from metrics import drilldown as d
from metrics import queries as q
from metrics import resolutions
from metrics.alerts import read as alerts_read
from metrics.store import from_ms, polls_read, settled, to_ms
from metrics.today import Today

CLOSED_TTL_S = 600  # settled history changes only with the key: the ttl bounds memory
CLOSED_MAX = 128  # whole-days and settled-hours chunks kept (tens of kB each)
STATE_LOOKBACK = timedelta(days=1)  # an older component state is no state at all
MS = timedelta(milliseconds=1)


def centres(url: str, scope_key: str) -> pl.DataFrame:
    """The scope's stored centres (one query per collection cycle)."""
    return data.cycle(url).get(("centres", scope_key),
                               lambda: data.scoped_centres(data.store(url), scope_key)[1])


def _bounds(a_ms: int, b_ms: int, last: bool) -> tuple[datetime, datetime]:
    # A closed chunk holds a <= ts < b; the last one ends at b inclusive (Store bounds are).
    return from_ms(a_ms), from_ms(b_ms) if last else from_ms(b_ms) - MS


def resolution_for(every_s: int) -> str:
    """The roll-up a chart bucket of `every_s` is built from: hourly for hourly charts,
    5-minute ones for finer (the presets' 5 and 15 minutes); both align to local buckets
    (Asia/Ho_Chi_Minh is a whole number of hours from UTC)."""
    return resolutions.HOUR if every_s >= 3600 else resolutions.FIVE_MIN


def _centre_chunk(url: str, centre_id: str, a_ms: int, b_ms: int, kind: str, every_s: int,
                  tz: str, key: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`_load_centre_chunk`, cached by chunk kind (`drilldown.cache_chunks`): whole days
    and settled hours for `CLOSED_TTL_S`, a first day's or hour's rest for
    `data.LIVE_TTL_S` (`key`, the store's late-writes count, is only their cache key), and
    the chunk ending now once per collection cycle."""
    if kind == d.LIVE:
        return data.cycle(url).get(
            ("centre_chunk", centre_id, a_ms, b_ms, every_s, tz),
            lambda: _load_centre_chunk(url, centre_id, a_ms, b_ms, True, every_s, tz))
    if kind == d.HEAD:
        return _centre_chunk_head(url, centre_id, a_ms, b_ms, every_s, tz, key)
    return _centre_chunk_closed(url, centre_id, a_ms, b_ms, every_s, tz, key)


@st.cache_data(ttl=CLOSED_TTL_S, max_entries=CLOSED_MAX, show_spinner=False)
def _centre_chunk_closed(url: str, centre_id: str, a_ms: int, b_ms: int, every_s: int,
                         tz: str, key: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _load_centre_chunk(url, centre_id, a_ms, b_ms, False, every_s, tz)


@st.cache_data(ttl=data.LIVE_TTL_S, max_entries=64, show_spinner=False)
def _centre_chunk_head(url: str, centre_id: str, a_ms: int, b_ms: int, every_s: int,
                       tz: str, key: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _load_centre_chunk(url, centre_id, a_ms, b_ms, False, every_s, tz)


def _load_centre_chunk(url: str, centre_id: str, a_ms: int, b_ms: int, last: bool,
                       every_s: int, tz: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(gauges per bucket, counter increases per hour) of one centre in one chunk, from the
    roll-ups (a 30-day range is ~720 hourly rows a series, not 172,800 raw samples)."""
    a, b = _bounds(a_ms, b_ms, last)
    db = data.store(url)
    gauges, _ = db.series(d.GAUGES, a, b, centre_ids=[centre_id],
                          resolution=resolution_for(every_s))
    counters, _ = db.series(d.COUNTERS, a, b, centre_ids=[centre_id],
                            resolution=resolution_for(every_s))
    return (d.rollup_gauges(gauges, timedelta(seconds=every_s), tz),
            d.rollup_increase(counters, d.HOUR, tz))


def _province_chunk(url: str, centre_ids: tuple[str, ...], a_ms: int, b_ms: int, kind: str,
                    every_s: int, tz: str, key: int | None) -> pl.DataFrame:
    """`_load_province_chunk`, cached like `_centre_chunk`."""
    if kind == d.LIVE:
        return data.cycle(url).get(
            ("province_chunk", centre_ids, a_ms, b_ms, every_s, tz),
            lambda: _load_province_chunk(url, centre_ids, a_ms, b_ms, True, every_s, tz))
    if kind == d.HEAD:
        return _province_chunk_head(url, centre_ids, a_ms, b_ms, every_s, tz, key)
    return _province_chunk_closed(url, centre_ids, a_ms, b_ms, every_s, tz, key)


@st.cache_data(ttl=CLOSED_TTL_S, max_entries=CLOSED_MAX, show_spinner=False)
def _province_chunk_closed(url: str, centre_ids: tuple[str, ...], a_ms: int, b_ms: int,
                           every_s: int, tz: str, key: int | None) -> pl.DataFrame:
    return _load_province_chunk(url, centre_ids, a_ms, b_ms, False, every_s, tz)


@st.cache_data(ttl=data.LIVE_TTL_S, max_entries=64, show_spinner=False)
def _province_chunk_head(url: str, centre_ids: tuple[str, ...], a_ms: int, b_ms: int,
                         every_s: int, tz: str, key: int | None) -> pl.DataFrame:
    return _load_province_chunk(url, centre_ids, a_ms, b_ms, False, every_s, tz)


def _load_province_chunk(url: str, centre_ids: tuple[str, ...], a_ms: int, b_ms: int,
                         last: bool, every_s: int, tz: str) -> pl.DataFrame:
    """The province median per bucket of the compared gauges in one chunk (one roll-up
    query for the province's centres)."""
    a, b = _bounds(a_ms, b_ms, last)
    rolled = data.store(url).gauge_means(d.COMPARED, a, b, centre_ids=list(centre_ids),
                                         resolution=resolution_for(every_s))
    width = timedelta(milliseconds=resolutions.WIDTH_MS[resolution_for(every_s)])
    return d.province_median(d.rollup_gauges_at(rolled, timedelta(seconds=every_s), width, tz))


def _events(url: str, centre_id: str, start_ms: int, end_ms: int
            ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(outage runs, alerts, alert events, newest state samples, newest poll) of one centre,
    read once per collection cycle (whose marker holds the alert tables' version)."""
    return data.cycle(url).get(("events", centre_id, start_ms, end_ms),
                               lambda: _read_events(url, centre_id, start_ms, end_ms))


def _read_events(url: str, centre_id: str, start_ms: int, end_ms: int
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame,
                            pl.DataFrame]:
    db = data.store(url)
    start, end = from_ms(start_ms), from_ms(end_ms)
    ids = [centre_id]
    runs = d.outages(polls_read.outcomes(db, start, end, centre_ids=ids))
    alerts = alerts_read.alerts(db, start, end, centre_ids=ids)
    events = alerts_read.alert_events(db, start, end, centre_ids=ids)
    states = db.latest(centre_ids=ids, metrics=d.STATE_METRICS, at=end, lookback=STATE_LOOKBACK)
    poll = db.latest_polls(centre_ids=ids, at=end)
    return runs, alerts, events, states, poll


def _today(url: str, centre_id: str, day_start_ms: int, at_ms: int | None) -> Today:
    """One centre's today counters up to `at_ms` (None: now), read once per collection
    cycle."""
    now_cycle = data.cycle(url)

    def read() -> Today:
        at = datetime.now(UTC) if at_ms is None else from_ms(at_ms)
        return data.today_increases(data.store(url), q.TODAY_COUNTERS, from_ms(day_start_ms),
                                    at, [centre_id], now_cycle.marker[0])

    return now_cycle.get(("today", centre_id, day_start_ms, at_ms), read)


def today(cfg: Settings, centre: dict, now: datetime, *, scope: Scope,
          replay: bool = False) -> Today:
    """The centre's dossiers today up to `now` (`data.today_increases`: the wall's,
    finder's, KPI page's and briefing's figures); `replay` reads them as of `now`.
    PermissionError when the centre is outside `scope`."""
    if not scope.covers(centre["id"], centre["province_code"]):
        raise PermissionError(f"centre {centre['id']} is outside scope {scope}")
    url = cfg.store.url
    day_start = fmt.local_midnight(now, cfg.dashboard.timezone)
    return _today(url, centre["id"], to_ms(day_start), to_ms(now) if replay else None)


def _site_latest(url: str, centre_id: str, metrics: tuple[str, ...],
                 at_ms: int | None) -> pl.DataFrame:
    """The newest sample of each of `metrics` for one centre, at `at_ms` (None: now), read
    once per collection cycle."""
    at = None if at_ms is None else from_ms(at_ms)
    return data.cycle(url).get(
        ("site_latest", centre_id, metrics, at_ms),
        lambda: data.store(url).latest(centre_ids=[centre_id], metrics=list(metrics), at=at,
                                       lookback=STATE_LOOKBACK))


def site_metrics(cfg: Settings, centre: dict, now: datetime, *, scope: Scope,
                 replay: bool = False) -> pl.DataFrame:
    """The newest value (within a day) of each of the deployment's own metrics
    (metrics.yaml, `catalogue.site_metrics`) for the centre: centre_id, metric, label, ts,
    value; empty when the deployment has none. PermissionError outside `scope`."""
    if not scope.covers(centre["id"], centre["province_code"]):
        raise PermissionError(f"centre {centre['id']} is outside scope {scope}")
    names = tuple(m.name for m in catalogue.site_metrics())
    if not names:
        return pl.DataFrame()
    url = cfg.store.url
    return _site_latest(url, centre["id"], names, to_ms(now) if replay else None)


@dataclass(frozen=True)
class CommuneView:
    """Everything the drill-down shows for one centre and one range."""

    centre: dict  # the centre's row (id, name, kind, province_name, …)
    start: datetime
    end: datetime
    every: timedelta
    states: list[d.ComponentState]
    last_poll: datetime | None
    last_poll_ok: bool | None
    last_poll_reason: str | None  # a Reason value when the newest poll failed
    last_poll_detail: str  # the probe's words for it (untrusted text: shown as text only)
    gauges: pl.DataFrame  # metric, bucket, value — null rows at gaps
    median: pl.DataFrame  # metric, bucket, value — the province median, null rows at gaps
    hourly: pl.DataFrame  # metric, label, bucket, increase (dossier counters per hour)
    daily: pl.DataFrame  # the same per local day
    mix: pl.DataFrame  # label, increase over the range (received, by procedure)
    timeline: pl.DataFrame  # drilldown.timeline rows
    province_centres: int

    @property
    def has_data(self) -> bool:
        return not (self.gauges.is_empty() and self.hourly.is_empty())


def find_centre(cfg: Settings, centre_id: str, *, scope: Scope) -> dict | None:
    """The centre's row, or None when no centre in `scope` has that id."""
    url = cfg.store.url
    rows = centres(url, str(scope)).filter(pl.col("id") == centre_id)
    return rows.row(0, named=True) if rows.height else None


def commune_view(cfg: Settings, centre: dict, start: datetime, end: datetime,
                 every: timedelta, now: datetime, *, scope: Scope) -> CommuneView:
    """Load (cached) and compute the drill-down of `centre` over [start, end].

    PermissionError when the centre is outside `scope`.
    """
    if not scope.covers(centre["id"], centre["province_code"]):
        raise PermissionError(f"centre {centre['id']} is outside scope {scope}")
    url, tz = cfg.store.url, cfg.dashboard.timezone
    now_cycle = data.cycle(url)  # its marker read before any chunk: a later write changes it
    freshness, late = now_cycle.marker[0], now_cycle.marker[2]
    fleet = centres(url, str(scope))
    province_ids = tuple(fleet.filter(pl.col("province_code") == centre["province_code"])["id"])
    every_s = int(every.total_seconds())
    # Settled: hours well before the newest poll seen (before any chunk is read).
    cut = start if freshness is None else settled.settled_before(min(end, from_ms(freshness)))
    gauges, hourly, median = [], [], []
    for a, b, kind in d.cache_chunks(start, end, tz, cut):
        g, h = _centre_chunk(url, centre["id"], to_ms(a), to_ms(b), kind, every_s, tz, late)
        gauges.append(g)
        hourly.append(h)
        median.append(_province_chunk(url, province_ids, to_ms(a), to_ms(b), kind, every_s,
                                      tz, late))
    g_all, h_all, m_all = pl.concat(gauges), pl.concat(hourly), pl.concat(median)
    runs, alerts, events, states, poll = _events(url, centre["id"], to_ms(start), to_ms(end))
    return CommuneView(
        centre=centre, start=start, end=end, every=every,
        states=d.component_states(states, poll, now, data.policy(cfg).stale_after_s),
        last_poll=poll["ts"][0] if poll.height else None,
        last_poll_ok=bool(poll["ok"][0]) if poll.height else None,
        last_poll_reason=poll["reason"][0] if poll.height and not poll["ok"][0] else None,
        last_poll_detail=str(poll["detail"][0] or "") if poll.height and not poll["ok"][0]
        else "",
        gauges=d.fill_gaps(g_all.drop("centre_id"), every, start, end, tz, ["metric"]),
        median=d.fill_gaps(m_all.drop("centres"), every, start, end, tz, ["metric"]),
        hourly=h_all, daily=d.per_day(h_all, tz), mix=d.procedure_mix(h_all),
        timeline=d.timeline(runs, alerts, events), province_centres=len(province_ids))
