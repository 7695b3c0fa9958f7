"""Loaders of assignments (the conference's follow-up loop) for the commune, alerts and
briefing pages and the wall.

Frames are `st.cache_data` keyed on the assignments' freshness (`version`, shared by
sessions for 2 s; an action clears it, so the change shows at once) and cut to the
viewer's scope in SQL (`data.scoped_centres`). Times are int ms UTC
(`metrics.alerts.assignments.SCHEMA`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from config.assignments import Unit
from config.loader import ConfigError
from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.loaders.common import LIVE_TTL_S, NEWEST_TTL_S, scoped_centres, store
from dashboard.views import actions as actions_view
from metrics.alerts import assignments as pure
from metrics.alerts import assignments_store

MINUTE_MS = 60_000


@st.cache_data(ttl=NEWEST_TTL_S, show_spinner=False)
def version(url: str) -> tuple[int, int, int, int]:
    """The assignments' freshness key (shared by sessions for 2 s)."""
    return assignments_store.version(store(url))


def units() -> dict[str, Unit]:
    """The configured responsible units (config/alerts.yaml `assignments.units`), in their
    order; empty when the file cannot be read (the pages say so where they offer the form)."""
    try:
        return dict(data.alerts_config().assignments.units)
    except ConfigError:
        return {}


@st.cache_data(ttl=LIVE_TTL_S, max_entries=32, show_spinner=False)
def _frame(url: str, key: tuple[int, int, int, int], scope_key: str, since_ms: int | None,
           centre_id: str | None) -> pl.DataFrame:
    db = store(url)
    sc, _centres, ids = scoped_centres(db, scope_key)
    provinces: list[int] | None
    if centre_id is not None:
        if ids is not None and centre_id not in ids:
            return pure.empty()
        ids, provinces = [centre_id], []
    else:
        provinces = sc.query_provinces()
    return assignments_store.assignments(db, since=since_ms, centre_ids=ids,
                                         provinces=provinces)


def assignments(url: str, scope_key: str, *, since_ms: int | None = None,
                centre_id: str | None = None) -> pl.DataFrame:
    """The scope's assignments (or one centre's) still open or closed at or after
    `since_ms` (minute-rounded down, so the cache key holds for a minute)."""
    since = None if since_ms is None else since_ms // MINUTE_MS * MINUTE_MS
    return _frame(url, version(url), scope_key, since, centre_id)


@dataclass(frozen=True)
class WallOverdue:
    """The wall's mark of overdue work: how many, and one line each (plain text, longest
    overdue first; escape it for a markdown element)."""

    count: int
    lines: list[str]


def wall_overdue(url: str, scope_key: str, now_ms: int, tr: Tr) -> WallOverdue:
    """The scope's assignments overdue at `now_ms`, for the wall."""
    frame = assignments(url, scope_key, since_ms=now_ms)
    lines = actions_view.overdue_lines(frame, tr, now_ms, units())
    return WallOverdue(len(lines), lines)


def since_conference(url: str, scope_key: str, start_ms: int, end_ms: int
                     ) -> pure.SinceConference:
    """The scope's assignments opened, closed (in (`start_ms`, `end_ms`]) and overdue (at
    `end_ms`): the briefing's list since the previous conference."""
    return pure.since_conference(assignments(url, scope_key, since_ms=start_ms),
                                 start_ms, end_ms)


def clear() -> None:
    """Forget the freshness key: the next read sees the change just made."""
    version.clear()
