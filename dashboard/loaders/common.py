"""The dashboard's only cached loaders: settings, the Store, and the frames each page reads.

The Store is a `st.cache_resource` (one engine per database URL for every
session). What the wall shows of the current collection cycle (its frames, the open
alerts, the computed view) is read and computed once per cycle for the whole process
(`cycle`, `dashboard.runtime.live`) and every session gets the same object (nothing
changes it); the cycle's marker is read at most every `NEWEST_TTL_S`. Other pages'
frames are `st.cache_data` (a copy per caller). Each kind of data is one query for the
whole fleet, never one per centre or per tile.

Scope: every loader takes the viewer's scope (config/scope.py; its text is
part of the cache key) and passes the scope's centre ids (and provinces, for
alerts) to every Store and `alerts_read` call, so rows outside it are never
read. A page narrowed to one province (the wall's `?province=`, a playlist
item) passes that province too: the queries then take only the province's
centres within the scope (an intersection, never wider), and the province is
part of the cache key. The centres registry is read whole and cut right away.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import polars as pl
import streamlit as st

from config import catalogue
from config.alerts import AlertsConfig, alerts_path, load_alerts
from config.deployment import unwatched_ids
from config.loader import config_path, load_settings
from config.scope import Scope
from config.settings import Settings
from dashboard.runtime import live
from dashboard.views import fmt
from metrics import geo
from metrics import queries as q
from metrics.alerts import lifecycle
from metrics.alerts import read as alerts_read
from metrics.alerts import stats as alert_stats
from metrics.alerts.problems import Policy
from metrics.store import DatabaseError, Store, cadence, from_ms, retention, to_ms
from metrics.today import Today

GAUGE_LOOKBACK = timedelta(days=1)  # a gauge older than this is no current state at all
DOWN_LOOKBACK = timedelta(hours=24)  # how far back "down since" looks
CACHE_TTL_S = 3600  # closed periods, which no longer change; the ttl only bounds memory
# Entries whose key moves with the clock (a range's first hour, the assignments' version and
# minute) are read again only for a short while: drop them after two minutes.
LIVE_TTL_S = 120
ALERT_LOOKBACK = timedelta(days=30)  # pending_since bound when reading open alerts
NEWEST_TTL_S = 2  # the freshness probe, shared by sessions (refresh_s is at least 2 s)


def _env_key() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("IOC_")))


@st.cache_resource(show_spinner=False)
def _settings(env_key: tuple[tuple[str, str], ...]) -> Settings:
    env = dict(env_key)
    settings = load_settings(env=env)
    # The deployment's own metrics (metrics.yaml beside the settings) join the catalogue,
    # as in the collector: the pages name them and show their units.
    catalogue.use_deployment(config_path(None, env))
    return settings


def settings() -> Settings:
    """Settings from IOC_CONFIG and IOC_* (loaded once per distinct environment)."""
    return _settings(_env_key())


@st.cache_resource(show_spinner=False)
def _unwatched(env_key: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return unwatched_ids(_settings(env_key), config_path(None, dict(env_key)))


def unwatched() -> frozenset[str]:
    """Centres the site file disables (`config.deployment.unwatched_ids`), once per
    environment."""
    return _unwatched(_env_key())


@st.cache_resource(show_spinner=False)
def _alerts_config(path: str, interval_s: float) -> AlertsConfig:
    return load_alerts(path, interval_s=interval_s)


def alerts_config(cfg: Settings | None = None) -> AlertsConfig:
    """The alert rules beside the settings file (IOC_CONFIG), loaded once, their
    interval-relative thresholds in seconds for the collector's interval (`cfg`'s; None:
    the settings of IOC_CONFIG and IOC_*)."""
    interval_s = (cfg or settings()).collector.interval_s
    return _alerts_config(str(alerts_path(os.environ.get("IOC_CONFIG"))), interval_s)


@st.cache_resource(show_spinner=False)
def _policy(path: str, interval_s: float) -> Policy:
    return Policy.from_alerts(_alerts_config(path, interval_s), interval_s)


def policy(cfg: Settings | None = None) -> Policy:
    """Every threshold the pages judge a centre by: the alert rules' (`metrics.alerts.problems`),
    built once per rules file and interval (every wall refresh reads it)."""
    interval_s = (cfg or settings()).collector.interval_s
    return _policy(str(alerts_path(os.environ.get("IOC_CONFIG"))), interval_s)


@st.cache_resource(show_spinner=False)
def store(url: str) -> Store:
    """One Store (engine and pool) per database URL, shared by every session."""
    return Store.open(url)


@st.cache_data(ttl=NEWEST_TTL_S, show_spinner=False)
def newest_ms(url: str) -> int | None:
    """The newest poll time (ms since the epoch), or None when nothing was ever polled."""
    newest = store(url).newest_ts()
    return None if newest is None else to_ms(newest)


@st.cache_data(ttl=NEWEST_TTL_S, show_spinner=False)
def collection_behind(url: str) -> cadence.Behind | None:
    """The collectors' most recent fall-behind, if recent (metrics/store/cadence.py); None when
    there is none or the store does not answer (the banner says that)."""
    try:
        return cadence.recent(cadence.read(store(url).engine), int(time.time() * 1000))
    except (DatabaseError, OSError):
        return None


@st.cache_resource(show_spinner=False)
def _outages() -> dict[str, datetime]:
    """Per database URL, when this process first failed to reach it (dropped on success)."""
    return {}


def freshness(url: str) -> tuple[int | None, datetime | None]:
    """(the newest poll time in ms or None, None) while the store answers; (None, since when
    it has not) while it does not."""
    outages = _outages()
    try:
        newest = newest_ms(url)
    except (DatabaseError, OSError):
        return None, outages.setdefault(url, datetime.now(UTC))
    outages.pop(url, None)
    return newest, None


@st.cache_data(ttl=NEWEST_TTL_S, show_spinner=False)
def late_writes(url: str) -> int:
    """The store's late-writes count (`metrics.store.settled`): the cache key of settled history."""
    return store(url).late_writes()


def scoped_centres(db: Store, scope_key: str, province: int | None = None
                   ) -> tuple[Scope, pl.DataFrame, list[str] | None]:
    """(the scope, its centres, the ids to pass to Store reads: None for the whole country).

    `province`: only that province's centres within the scope (none when the scope
    does not cover it)."""
    sc = Scope.parse(scope_key)
    centres = sc.filter_centres(db.centres())
    left_out = unwatched()
    if left_out:  # disabled in the site file: shown nowhere, neither down nor stale
        centres = centres.filter(~pl.col("id").is_in(list(left_out)))
    if province is not None:
        centres = centres.filter(pl.col("province_code") == province)
    ids = sc.query_ids(centres, province)
    return sc, centres, centres["id"].to_list() if ids is None and left_out else ids


class WallFrames(NamedTuple):
    centres: pl.DataFrame
    polls: pl.DataFrame  # newest observed (not skipped) poll per centre
    gauges: pl.DataFrame  # newest sample per status gauge series
    today: Today  # per series: increase of today's counters since local midnight
    load: int  # which load this is (unique in the process): part of a computed wall's key


_loads = itertools.count(1)


@st.cache_resource(show_spinner=False)
def _live(url: str) -> live.Live:
    return live.Live()


def marker(url: str) -> live.Marker:
    """What names the current collection cycle of the database at `url`: the newest poll,
    the alert tables' version and the late-writes count, each read at most every
    `NEWEST_TTL_S` for the whole process."""
    return (newest_ms(url), alerts_version(url), late_writes(url))


def cycle(url: str) -> live.Cycle:
    """The current collection cycle of the database at `url` (`dashboard.runtime.live`),
    named by its `marker`."""
    return _live(url).at(marker(url))


def forget_live() -> None:
    """Drop every database's live state: the next page run reads and computes afresh."""
    _live.clear()


def wall_frames(url: str, freshness_ms: int | None, day_start_ms: int,
                at_ms: int | None, scope_key: str, province: int | None = None) -> WallFrames:
    """Four queries for the scope's fleet (or its part in `province`), up to `at_ms` (None:
    now, the newest poll being at `freshness_ms`).

    Today's counters come from `today_increases` (the one definition of "today up to
    a moment"): live, summed per series in the database from the daily roll-up, so
    neither the query nor the live state holds the day's samples (a national day is ~16 M
    of them at a 15 s interval); replaying, closed hours from the roll-ups and only
    the last minutes from raw samples.
    """
    db = store(url)
    _sc, centres, ids = scoped_centres(db, scope_key, province)
    at = None if at_ms is None else from_ms(at_ms)
    end = at or datetime.now(UTC)
    return WallFrames(
        centres=centres,
        polls=db.latest_polls(centre_ids=ids, at=at, observed=True),
        gauges=db.latest(centre_ids=ids, metrics=sorted({*q.STATUS_GAUGES, *policy().metrics}),
                         at=at, lookback=GAUGE_LOOKBACK),
        today=today_increases(db, q.TODAY_COUNTERS, from_ms(day_start_ms), end, ids,
                              freshness_ms),
        load=next(_loads),
    )


class WallState(NamedTuple):
    """What the wall of one (database, scope, province) reads in one collection cycle."""

    newest_ms: int | None  # the cycle's newest poll (ms), None when nothing was polled
    frames: WallFrames
    opened: pl.DataFrame  # `open_alerts`


def wall_state(url: str, day_start_ms: int, at_ms: int | None, scope_key: str,
               province: int | None = None) -> WallState:
    """The wall's frames and open alerts for the scope (or its part in `province`), read once
    per collection cycle and shared by every session (`at_ms`: a replayed moment)."""
    now_cycle = cycle(url)
    newest = now_cycle.marker[0]

    def load() -> WallState:
        return WallState(newest, wall_frames(url, newest, day_start_ms, at_ms, scope_key,
                                             province),
                         _open_alerts(now_cycle, url, at_ms, scope_key, province))

    return now_cycle.get(("wall", day_start_ms, at_ms, scope_key, province), load)


def today_increases(db: Store, metrics: list[str], day_start: datetime, at: datetime,
                    ids: list[str] | None, freshness_ms: int | None) -> Today:
    """Today's counter increases up to `at` (`Store.today_increases`), with the
    deployment's retention: every page's "today" figures come from here. A live `at`
    (the clock) outside the day of `day_start` (a midnight passed since the caller
    took it) is held to that day."""
    at = min(max(at, day_start), day_start + timedelta(days=1, milliseconds=-1))
    return db.today_increases(metrics, day_start, at, centre_ids=ids,
                              newest=None if freshness_ms is None else from_ms(freshness_ms),
                              keep=retention.keep(settings().store.retention))


def down_runs(url: str, centre_ids: tuple[str, ...], end_ms: int) -> pl.DataFrame:
    """When each listed centre's current outage began (one query for all of them)."""
    end = from_ms(end_ms)
    samples = store(url).samples(["up", "system_state"], end - DOWN_LOOKBACK, end,
                                 centre_ids=list(centre_ids))
    return q.down_since(samples)


@dataclass(frozen=True)
class WallView:
    """Everything the wall shows for one state of the data (shared by the sessions showing
    it: nothing in it may be changed)."""

    key: tuple  # identifies this state: the same key, the same view (`wall_view`)
    newest: datetime | None  # newest poll at or before the moment shown
    stale: bool  # newest poll older than the collector-silent threshold (or none at all)
    status: pl.DataFrame  # queries.centre_status rows with down_since
    kpis: q.Kpis
    lagging: pl.DataFrame
    provinces: pl.DataFrame  # geo.province_summary rows (one per province shown)
    today: Today  # today's counters behind kpis (its resolution and until)


def wall_view(cfg: Settings, now: datetime, *, scope: Scope, replay: bool = False,
              province: int | None = None) -> WallView:
    """The wall at `now` (`wall_state`'s data, computed once and shared); `replay` reads the
    data as of `now`.

    `scope`: what the viewer may see (only that is read). `province`: only that
    province's centres within the scope (a national deployment's drill-in or a
    playlist item), and only they are read; None: all of the scope.

    Every centre's state is `queries.centre_status` under the alert rules' thresholds
    (`policy(cfg)`), with the alerts open at that moment folded in (`queries.with_alerts`):
    the same evaluation the alerts, finder and briefing read.

    Given the state, `now` changes the view only by which polls are older than
    `now - stale_after_s`, and as `now` moves that set only grows, so its size pins it
    down exactly. Fifty walls refreshing at random moments then cost one computation per
    collection cycle, not fifty.
    """
    url = cfg.store.url
    dash = cfg.dashboard
    rules = policy(cfg)
    day_start = fmt.local_midnight(now, dash.timezone)
    at_ms = to_ms(now) if replay else None
    state = wall_state(url, to_ms(day_start), at_ms, str(scope), province)
    frames, opened, freshness = state.frames, state.opened, state.newest_ms
    stale_before = now.astimezone(UTC) - timedelta(seconds=rules.stale_after_s)
    older = int((frames.polls["ts"] < stale_before).sum()) if frames.polls.height else 0
    # Live, "down since" reads up to the data's own newest time (the key changes with the
    # data only); replaying, up to the moment replayed.
    end_ms = to_ms(now) if replay or freshness is None else freshness
    store_stale = freshness is None or (to_ms(now) - (newest_ms_of(frames) or 0)
                                        > rules.store_stale_after_s * 1000)
    key = (url, frames.load, older, hash(rules), end_ms, tuple(opened["id"].to_list()),
           store_stale)
    return cycle(url).get(("view", key), lambda: _computed_wall(key, frames, now, opened,
                                                                rules))


def newest_ms_of(frames: WallFrames) -> int | None:
    """The newest poll in the frames (ms), None when there is none."""
    return to_ms(frames.polls.select(pl.col("ts").max()).item()) if frames.polls.height else None


def _computed_wall(key: tuple, frames: WallFrames, now: datetime, opened: pl.DataFrame,
                   rules: Policy) -> WallView:
    """The wall for `key` (`wall_view`'s), computed from `frames` and the open alerts
    `opened` at `now` under `rules`."""
    url, _load, _older, _rules_hash, end_ms, _ids, store_stale = key
    status = q.with_alerts(q.centre_status(frames.centres, frames.polls, frames.gauges,
                                           now, rules), opened, rules)
    down = tuple(status.filter(pl.col("status") == q.DOWN)["id"].to_list())
    if down:
        status = q.attach_down_since(status, down_runs(url, down, end_ms))
    polls = frames.polls  # the frames hold only the centres shown
    newest = polls.select(pl.col("ts").max()).item() if polls.height else None
    return WallView(key=key, newest=newest, stale=store_stale, status=status,
                    kpis=q.kpis(status, q.totals(frames.today.increases)),
                    lagging=q.lagging(status, limit=status.height),
                    provinces=geo.province_summary(status), today=frames.today)


@st.cache_data(ttl=NEWEST_TTL_S, show_spinner=False)
def alerts_version(url: str) -> tuple[int, int, int]:
    """The alert tables' freshness key (shared by sessions for 2 s)."""
    return alerts_read.version(store(url))


def _open_alerts(now_cycle: live.Cycle, url: str, at_ms: int | None, scope_key: str,
                 province: int | None) -> pl.DataFrame:
    return now_cycle.get(("alerts", at_ms, scope_key, province),
                         lambda: open_alerts(url, at_ms, scope_key, province))


def open_alerts(url: str, at_ms: int | None, scope_key: str,
                province: int | None = None) -> pl.DataFrame:
    """The scope's alerts (or those of its part in `province`) open — pending or firing —
    now (or, replaying, at `at_ms`, with `state` as it was then), with centre names and
    `alert_stats.with_handling`'s columns (who acknowledged, the silence muting it)."""
    db = store(url)
    sc, centres, ids = scoped_centres(db, scope_key, province)
    provinces = sc.query_provinces(province)
    if at_ms is None:
        at = datetime.now(UTC)
        found = alerts_read.alerts(db, at - ALERT_LOOKBACK, at, states=list(alert_stats.ACTIVE),
                                   centre_ids=ids, provinces=provinces)
    else:
        at = from_ms(at_ms)
        found = alert_stats.open_at(alerts_read.alerts(db, at - ALERT_LOOKBACK, at,
                                                       centre_ids=ids, provinces=provinces),
                                    at)
    # Who acknowledged each, and the silence muting it, as of that moment.
    found = alert_stats.with_handling(found, alerts_read.silences_at(db, at), at)
    names = centres.select(pl.col("id").alias("centre_id"), pl.col("name").alias("centre"))
    return found.join(names, on="centre_id", how="left")


def wall_alerts(cfg: Settings, now: datetime, *, scope: Scope, replay: bool = False,
                province: int | None = None) -> pl.DataFrame:
    """The wall's open alerts (`alert_stats.board` order) in `scope`, or in its part in
    one province (only that is read), each with its `phase` (firing, pending, inhibited or
    in a maintenance window at `now`)."""
    url = cfg.store.url
    found = _open_alerts(cycle(url), url, to_ms(now) if replay else None, str(scope), province)
    rules = alerts_config(cfg)
    now_ms = to_ms(now)

    def in_maintenance(labels: dict[str, str]) -> bool:
        return any(w.match.matches(labels) and lifecycle.in_maintenance(w, now_ms,
                                                                       rules.timezone)
                   for w in rules.maintenance)

    return alert_stats.board(alert_stats.phases(found, in_maintenance), now)
