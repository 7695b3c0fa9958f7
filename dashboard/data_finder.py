"""Cached loaders for the lagging-commune finder (dashboard/app_pages/finder.py).

The status frames are the wall's (`data.wall_frames`: one query per kind for
the whole fleet, shared with the wall's cache); the finder adds one query for
the last 24 h of `up` samples, aggregated before it is cached. Both are read
for the viewer's scope only; the CSV export is made from this table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import streamlit as st

from config.settings import Settings
from dashboard import data, fmt
from metrics import lagging
from metrics import queries as q
from metrics.scope import Scope
from metrics.store import from_ms, to_ms
from metrics.today import Today

AVAILABILITY_SPAN = timedelta(hours=24)


@st.cache_data(ttl=data.LIVE_TTL_S, max_entries=32, show_spinner=False)
def availability_24h(url: str, freshness_ms: int | None, end_ms: int,
                     scope_key: str) -> pl.DataFrame:
    """Share of answered polls per centre of the scope over the 24 h ending at `end_ms`
    (from the start of the hour holding its start: up to 25 h), summed in the database
    from the hourly roll-ups of `up`: one row per centre, whatever the fleet's size."""
    end = from_ms(end_ms)
    db = data.store(url)
    ids = data.scoped_centres(db, scope_key)[2]
    up = db.totals(["up"], end - AVAILABILITY_SPAN, end, centre_ids=ids, resolution="1h")
    return lagging.availability_from_totals(up)


def finder_table(cfg: Settings, now: datetime, *, scope: Scope,
                 replay: bool = False) -> pl.DataFrame:
    """Every centre of `scope` with its status and the finder's metrics at `now`
    (`lagging.centre_metrics`).

    `replay` reads the data as of `now` (?at=); live, windows end at the newest poll.
    """
    url, dash = cfg.store.url, cfg.dashboard
    freshness = data.newest_ms(url)
    day_start = fmt.local_midnight(now, dash.timezone)
    frames = data.wall_frames(url, freshness, to_ms(day_start), to_ms(now) if replay else None,
                              str(scope))
    status = q.centre_status(frames.centres, frames.polls, frames.gauges, now,
                             dash.stale_after_s)
    today = lagging.on_time_today(frames.today.increases)
    end_ms = to_ms(now) if replay or freshness is None else freshness
    return lagging.centre_metrics(status, today,
                                  availability_24h(url, freshness, end_ms, str(scope)))


def finder_today(cfg: Settings, now: datetime, *, scope: Scope, replay: bool = False) -> Today:
    """What `finder_table`'s today columns count (its resolution and until): the wall's
    frames it read (cached: no second read)."""
    url = cfg.store.url
    day_start = fmt.local_midnight(now, cfg.dashboard.timezone)
    return data.wall_frames(url, data.newest_ms(url), to_ms(day_start),
                            to_ms(now) if replay else None, str(scope)).today
