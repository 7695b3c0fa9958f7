"""Cached loaders for the KPI page (Decision 766 indicators): one query for the fleet.

Closed days and hours are `st.cache_data` keyed on the database URL and the period;
the period's last, partial day is read once per collection cycle (`data.cycle`). Both
hold the period's counter increases (small), not the raw samples. Scoring is pure
(`metrics.kpi`). Only the viewer's scope is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.views import fmt
from metrics import drilldown, kpi, resolutions
from metrics.store import from_ms, rollups, to_ms
from metrics.today import Today

TODAY, MONTH, CUSTOM = "today", "month", "custom"
PERIODS = (TODAY, MONTH, CUSTOM)


def period_bounds(kind: str, now: datetime, tz: str,
                  custom: tuple[date, date] | None = None) -> tuple[datetime, datetime]:
    """[start, end] of a period in local days: today so far, this month so far, or whole
    days from custom[0] to custom[1] (ending no later than `now`). Starts at local midnight."""
    zone = ZoneInfo(tz)
    midnight = fmt.local_midnight(now, tz)
    if kind == TODAY:
        return midnight, now
    if kind == MONTH:
        return midnight.replace(day=1), now
    if kind == CUSTOM and custom:
        first, last = sorted(custom)
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return start, min(end, now) if start < now else end
    raise ValueError(f"period: unknown kind {kind!r} (one of {', '.join(PERIODS)})")


@st.cache_data(ttl=data.CACHE_TTL_S, max_entries=512, show_spinner=False)
def _closed_chunk_increases(url: str, start_ms: int, end_ms: int,
                            scope_key: str) -> pl.DataFrame:
    """`_load_chunk_increases` of a closed part of a day, cached for an hour (it no
    longer changes)."""
    return _load_chunk_increases(url, start_ms, end_ms, True, scope_key)


def _today_chunk(url: str, freshness_ms: int | None, start_ms: int, end_ms: int,
                 scope_key: str) -> Today:
    """The period's last day, from its local midnight `start_ms` to `end_ms`: today's
    increases up to that moment (`data.today_increases`, the wall's and the briefing's
    definition), the newest poll being at `freshness_ms`; read once per collection cycle."""
    return data.cycle(url).get(("kpi_today", start_ms, end_ms, scope_key),
                               lambda: _read_today_chunk(url, freshness_ms, start_ms, end_ms,
                                                         scope_key))


def _read_today_chunk(url: str, freshness_ms: int | None, start_ms: int, end_ms: int,
                      scope_key: str) -> Today:
    db = data.store(url)
    ids = data.scoped_centres(db, scope_key)[2]
    return data.today_increases(db, list(kpi.INPUTS), from_ms(start_ms), from_ms(end_ms), ids,
                                freshness_ms)


def _load_chunk_increases(url: str, start_ms: int, end_ms: int, closed: bool,
                          scope_key: str) -> pl.DataFrame:
    """Counter increases of the scope over a part of one local day, summed in the
    database from the hourly roll-ups (`Store.increases`): a closed part [start, end)
    that the daily roll-up does not hold as one bucket (days not Asia/Ho_Chi_Minh's),
    or (not `closed`) the hours from start to the one holding `end`. The chunk starts
    at local midnight, when the centres' counters restart: a series without a baseline
    bucket just before it counts from 0 (`zero_start`)."""
    db = data.store(url)
    ids = data.scoped_centres(db, scope_key)[2]
    last = end_ms - 1 if closed else end_ms
    return db.increases(list(kpi.INPUTS), from_ms(start_ms), from_ms(last),
                        centre_ids=ids, resolution=resolutions.HOUR, zero_start=True)


@st.cache_data(ttl=data.CACHE_TTL_S, max_entries=64, show_spinner=False)
def _whole_days_increases(url: str, start_ms: int, end_ms: int,
                          scope_key: str) -> pl.DataFrame:
    """Counter increases of the scope over the closed local days [start, end), summed in
    the database from the daily roll-up (one row per series and day there, one per series
    here). Closed days no longer change, so the cache needs no freshness key."""
    db = data.store(url)
    ids = data.scoped_centres(db, scope_key)[2]
    return db.increases(list(kpi.INPUTS), from_ms(start_ms), from_ms(end_ms - 1),
                        centre_ids=ids, resolution=resolutions.DAY, zero_start=True)


def whole_local_day(a: datetime, b: datetime, tz: str) -> bool:
    """Whether [a, b) is one whole local day of `tz` that the daily roll-up holds as one
    bucket (its days are Asia/Ho_Chi_Minh's: any zone at UTC+7 at `a`)."""
    offset = timedelta(milliseconds=resolutions.LOCAL_OFFSET_MS)
    return (a.astimezone(ZoneInfo(tz)).utcoffset() == offset
            and to_ms(b) - to_ms(a) == resolutions.DAY_MS
            and rollups.day_answers(to_ms(a), to_ms(b) - 1, None))


def kpi_increases(url: str, freshness_ms: int | None, start_ms: int, end_ms: int,
                  scope_key: str, tz: str) -> tuple[pl.DataFrame, pl.DataFrame, Today | None]:
    """(centres, counter increases over [start, end] of the scope summed per series, and
    what the last, partial day counts: None when the period ends with a whole day).

    The run of whole local days is one daily roll-up query (a month is ~30 rows a
    series in the database); a partial first day reads the hourly roll-ups; the last
    partial day (today) is `data.today_increases` up to `end` (once per cycle):
    the daily roll-up live, raw samples only for the last minutes of a replayed moment."""
    db = data.store(url)
    centres = data.scoped_centres(db, scope_key)[1]
    chunks = drilldown.day_chunks(from_ms(start_ms), from_ms(end_ms), tz)
    parts, days, today = [], [], None
    for i, (a, b) in enumerate(chunks):
        if whole_local_day(a, b, tz):
            days.append((a, b))
        elif i == len(chunks) - 1 and fmt.local_midnight(b, tz) == a:
            today = _today_chunk(url, freshness_ms, to_ms(a), to_ms(b), scope_key)
            parts.append(today.increases)
        else:
            parts.append(_closed_chunk_increases(url, to_ms(a), to_ms(b), scope_key))
    if days:
        parts.append(_whole_days_increases(url, to_ms(days[0][0]), to_ms(days[-1][1]),
                                           scope_key))
    inc = (pl.concat(parts).group_by("centre_id", "metric", "label", maintain_order=True)
           .agg(pl.col("increase").sum()))
    return centres, inc, today


@dataclass(frozen=True)
class KpiView:
    start: datetime
    end: datetime
    centres: pl.DataFrame  # kpi.inputs_wide rows
    provinces: pl.DataFrame  # kpi.province_inputs rows
    centre_cards: dict[str, kpi.Scorecard]
    province_cards: dict[str, kpi.Scorecard]
    problems: list[str]
    availability: pl.DataFrame  # availability.summarise over the 24 h to availability_end
    availability_end: datetime  # the period's end (live: the newest poll)
    today: Today | None = None  # what the period's last, partial day counts


def kpi_view(cfg: Settings, start: datetime, end: datetime, *, scope: Scope) -> KpiView:
    """The scorecards of every centre and province of `scope` for [start, end] (cached)."""
    url = cfg.store.url
    freshness = data.cycle(url).marker[0]
    # A live period ends "now": the data's own newest time keeps the cache key stable.
    end_ms = to_ms(end)
    if freshness is not None and freshness < end_ms:
        end_ms = max(freshness, to_ms(start))
    centres, inc, today = kpi_increases(url, freshness, to_ms(start), end_ms, str(scope),
                                        cfg.dashboard.timezone)
    wide = kpi.inputs_wide(inc, centres)
    provinces = kpi.province_inputs(wide)
    cards, problems = kpi.scorecards(wide, "id")
    pcards, pproblems = kpi.scorecards(provinces, "province_code")
    avail_end = data_availability.window_end(end, freshness)
    avail = data_availability.availability_24h(cfg, avail_end, scope=scope)
    return KpiView(start, end, wide, provinces, cards, pcards, problems + pproblems, avail,
                   avail_end, today)
