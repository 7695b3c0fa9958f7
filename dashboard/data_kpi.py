"""Cached loaders for the KPI page (Decision 766 indicators): one query for the fleet.

The cache is keyed on the database URL, the data's freshness (`data.newest_ms`)
and the period, and holds the period's counter increases (small), not the raw
samples. Scoring is pure (`metrics.kpi`). Only the viewer's scope is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from config.settings import Settings
from dashboard import data, fmt
from metrics import kpi
from metrics import queries as q
from metrics.scope import Scope
from metrics.store import from_ms, to_ms

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


@st.cache_data(ttl=data.CACHE_TTL_S, max_entries=32, show_spinner=False)
def kpi_increases(url: str, freshness_ms: int | None, start_ms: int,
                  end_ms: int, scope_key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(centres, counter increases over [start, end]) of the scope; one samples query.

    The period starts at local midnight, when the centres' counters restart: a series
    without a baseline before it counts from 0 (`queries.increase(zero_start=True)`).
    """
    db = data.store(url)
    _sc, centres, ids = data.scoped_centres(db, scope_key)
    start, end = from_ms(start_ms), from_ms(end_ms)
    samples = db.samples(list(kpi.INPUTS), start - data.BASELINE_LOOKBACK, end, centre_ids=ids)
    return centres, q.increase(samples, start, zero_start=True)


@dataclass(frozen=True)
class KpiView:
    start: datetime
    end: datetime
    centres: pl.DataFrame  # kpi.inputs_wide rows
    provinces: pl.DataFrame  # kpi.province_inputs rows
    centre_cards: dict[str, kpi.Scorecard]
    province_cards: dict[str, kpi.Scorecard]
    problems: list[str]


def kpi_view(cfg: Settings, start: datetime, end: datetime, *, scope: Scope) -> KpiView:
    """The scorecards of every centre and province of `scope` for [start, end] (cached)."""
    url = cfg.store.url
    freshness = data.newest_ms(url)
    # A live period ends "now": the data's own newest time keeps the cache key stable.
    end_ms = to_ms(end)
    if freshness is not None and freshness < end_ms:
        end_ms = max(freshness, to_ms(start))
    centres, inc = kpi_increases(url, freshness, to_ms(start), end_ms, str(scope))
    wide = kpi.inputs_wide(inc, centres)
    provinces = kpi.province_inputs(wide)
    cards, problems = kpi.scorecards(wide, "id")
    pcards, pproblems = kpi.scorecards(provinces, "province_code")
    return KpiView(start, end, wide, provinces, cards, pcards, problems + pproblems)
