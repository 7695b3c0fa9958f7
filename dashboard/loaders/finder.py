"""Cached loaders for the lagging-commune finder (dashboard/app_pages/finder.py).

The status frames are the wall's (`data.wall_state`: one query per kind for
the whole fleet, shared with the wall through the cycle's live state); the finder adds
the time-weighted availability over the last 24 h (`data_availability`, shared with the
other pages). Both are read for the viewer's scope only; the CSV export is made from this table.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.views import fmt
from metrics import lagging
from metrics.store import to_ms
from metrics.today import Today


def finder_table(cfg: Settings, now: datetime, *, scope: Scope,
                 replay: bool = False) -> pl.DataFrame:
    """Every centre of `scope` with its status and the finder's metrics at `now`
    (`lagging.centre_metrics`).

    The status is the wall's own (`data.wall_view`: the alert rules' thresholds with the
    open alerts folded in), so the finder lists exactly the centres the wall colours.
    `replay` reads the data as of `now` (?at=); live, windows end at the newest poll.
    """
    url, dash = cfg.store.url, cfg.dashboard
    day_start = fmt.local_midnight(now, dash.timezone)
    state = data.wall_state(url, to_ms(day_start), to_ms(now) if replay else None, str(scope))
    frames, freshness = state.frames, state.newest_ms
    status = data.wall_view(cfg, now, scope=scope, replay=replay).status
    today = lagging.on_time_today(frames.today.increases)
    end = data_availability.window_end(now, freshness)  # the same on every page
    avail = data_availability.availability_24h(cfg, end, scope=scope)
    return lagging.centre_metrics(status, today, lagging.availability_24h(avail))


def finder_today(cfg: Settings, now: datetime, *, scope: Scope, replay: bool = False) -> Today:
    """What `finder_table`'s today columns count (its resolution and until): the wall's
    frames it read (cached: no second read)."""
    url = cfg.store.url
    day_start = fmt.local_midnight(now, cfg.dashboard.timezone)
    return data.wall_state(url, to_ms(day_start), to_ms(now) if replay else None,
                           str(scope)).frames.today
