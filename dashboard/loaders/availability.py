"""Cached loader of "availability 24 h" (`metrics.availability`), the one every page shows:
the finder, the commune page, the briefing and the KPI page. A commune's figures are its
rows of its scope's chunks.

The 24 h are cut into chunks (`availability.chunks`) whose seconds add up: settled
hours and 5-minute buckets are read once and cached under the store's late-writes count
(`data.late_writes`), so each collection cycle reads only the last quarter of an hour or
so of polls again (once per cycle, `data.cycle`). Each chunk is one read for the scope's
centres (or one centre), reduced to seconds up and down per centre before it is cached
(`availability_read.chunk_seconds_fastest`: summed in the database on PostgreSQL, in
polars on SQLite).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import streamlit as st

from config.scope import Scope
from config.settings import Settings
from dashboard.loaders import common as data
from metrics import availability as av
from metrics.store import availability_read, from_ms, settled, to_ms

HOUR_TTL_S = 25 * 3600  # a settled hour is used while it is in the window (24 h)
FIVE_TTL_S = 2 * 3600  # a settled 5-minute bucket, until its hour is read whole


def hold_s(cfg: Settings) -> float:
    """How long a poll's state holds (`availability.state_seconds`): the staleness
    threshold of the alert rules (`centre_silent`: two collection intervals by default),
    after which a centre's newest poll no longer says how it is."""
    return data.policy(cfg).stale_after_s


def window_end(moment: datetime, freshness_ms: int | None,
               within: timedelta = timedelta(0)) -> datetime:
    """Where the 24 h end for a page showing `moment`: the newest poll when it is no later
    than `moment` + `within` (live: a page's minute holds the polls taken in it), else
    `moment` (replaying an earlier moment reads nothing after it)."""
    if freshness_ms is not None and freshness_ms <= to_ms(moment + within):
        return from_ms(freshness_ms)
    return moment


def _in_scope(url: str, scope_key: str, centre_id: str) -> list[str]:
    """[centre_id] when the centre is in the scope, else []."""
    ids = data.scoped_centres(data.store(url), scope_key)[2]
    return [centre_id] if ids is None or centre_id in ids else []


def _load(url: str, a_ms: int, b_ms: int, hold: float, scope_key: str,
          centre_id: str | None) -> pl.DataFrame:
    if centre_id is None:
        ids = data.scoped_centres(data.store(url), scope_key)[2]
    else:
        ids = _in_scope(url, scope_key, centre_id)
    if ids == []:
        return pl.DataFrame(schema=av.SECONDS_SCHEMA)
    return availability_read.chunk_seconds_fastest(data.store(url), from_ms(a_ms),
                                                   from_ms(b_ms), hold, ids)


@st.cache_data(ttl=HOUR_TTL_S, max_entries=256, show_spinner=False)
def _settled_hour(url: str, a_ms: int, b_ms: int, hold: float, scope_key: str,
                  centre_id: str | None, late: int) -> pl.DataFrame:
    return _load(url, a_ms, b_ms, hold, scope_key, centre_id)


@st.cache_data(ttl=FIVE_TTL_S, max_entries=512, show_spinner=False)
def _settled_five(url: str, a_ms: int, b_ms: int, hold: float, scope_key: str,
                  centre_id: str | None, late: int) -> pl.DataFrame:
    return _load(url, a_ms, b_ms, hold, scope_key, centre_id)


def _live(url: str, a_ms: int, b_ms: int, hold: float, scope_key: str,
          centre_id: str | None) -> pl.DataFrame:
    return data.cycle(url).get(("availability", a_ms, b_ms, hold, scope_key, centre_id),
                               lambda: _load(url, a_ms, b_ms, hold, scope_key, centre_id))


def read_by_scope(cfg: Settings, scope: Scope) -> bool:
    """Whether one centre's availability is read as its rows of its scope's chunks (the
    finder's, computed ahead): yes, but for the whole country of a national deployment, where
    reading every centre's 24 h to show one would cost far more than reading the one."""
    return not (cfg.deployment.scope == "national" and scope.is_national)


def availability_24h(cfg: Settings, end: datetime, *, scope: Scope,
                     centre_id: str | None = None) -> pl.DataFrame:
    """`availability.summarise` of the 24 h ending at `end` for the centres of `scope` that
    were polled in it (or for `centre_id`, if in `scope`, polled or not): centre_id, up_s,
    down_s, unknown_s, availability. One centre's figures are its rows of the scope's
    chunks when `read_by_scope`, so the pages read the same chunks (and the refresher
    computes them ahead); else the centre's own chunks, by the same computation."""
    if centre_id is None:
        parts, span_s = _seconds(cfg, end, scope, None)
        return av.summarise(parts, span_s)
    ids = _in_scope(cfg.store.url, str(scope), centre_id)
    if not read_by_scope(cfg, scope):
        parts, span_s = _seconds(cfg, end, scope, centre_id)
        return av.summarise(parts, span_s, ids)
    parts, span_s = _seconds(cfg, end, scope, None)
    return av.summarise([p.filter(pl.col("centre_id").is_in(ids)) for p in parts], span_s, ids)


def _seconds(cfg: Settings, end: datetime, scope: Scope, centre_id: str | None
             ) -> tuple[list[pl.DataFrame], float]:
    """The seconds up and down per centre of `scope` (or of `centre_id` alone), chunk by
    chunk, over the 24 h ending at `end`, with the window's length in seconds."""
    url, hold = cfg.store.url, hold_s(cfg)
    now_cycle = data.cycle(url)  # its marker read before any chunk: a later write changes it
    freshness, late = now_cycle.marker[0], now_cycle.marker[2]
    start, end = av.window(end)
    cut = start if freshness is None else av.settled_cut(
        min(end, from_ms(freshness)), settled.LATE_AFTER, hold)
    parts = []
    for a, b, is_settled in av.chunks(start, end, cut):
        args = (url, to_ms(a), to_ms(b), hold, str(scope), centre_id)
        if not is_settled:
            parts.append(_live(*args))
        elif b - a == av.HOUR:
            parts.append(_settled_hour(*args, late))
        else:
            parts.append(_settled_five(*args, late))
    return parts, (end - start).total_seconds()
