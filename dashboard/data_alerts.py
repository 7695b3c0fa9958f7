"""Cached loaders of the alerts page (who may act on alerts: `dashboard.auth.may_act`).

Frames are `st.cache_data` keyed on the alert tables' freshness
(`data.alerts_version`): every session shares one read per change, and an
acknowledgement shows at the next rerun. One query per kind for the whole
fleet, never one per centre. Every read is cut to the viewer's scope in SQL
(`data.scoped_centres`); the outbox of notifications is not per centre, so
only a national scope reads it.
"""

from __future__ import annotations

import os
from datetime import datetime

import polars as pl
import streamlit as st

from config.alerts import AlertsConfig, alerts_path, load_alerts
from dashboard.data import LIVE_TTL_S, alerts_version, scoped_centres, store
from metrics import alerts_read
from metrics.scope import Scope
from metrics.store import from_ms, to_ms


@st.cache_resource(show_spinner=False)
def _alerts_config(path: str) -> AlertsConfig:
    return load_alerts(path)


def alerts_config() -> AlertsConfig:
    """The alert configuration beside the settings file (IOC_CONFIG), loaded once."""
    return _alerts_config(str(alerts_path(os.environ.get("IOC_CONFIG"))))


@st.cache_data(ttl=LIVE_TTL_S, max_entries=16, show_spinner=False)
def _history(url: str, version: tuple[int, int, int], start_ms: int, end_ms: int,
             scope_key: str) -> pl.DataFrame:
    db = store(url)
    sc, centres, ids = scoped_centres(db, scope_key)
    found = alerts_read.alerts(db, from_ms(start_ms), from_ms(end_ms), centre_ids=ids,
                               provinces=sc.query_provinces())
    names = centres.select(pl.col("id").alias("centre_id"), pl.col("name").alias("centre"))
    return found.join(names, on="centre_id", how="left")


def history(url: str, start: datetime, end: datetime, *, scope: Scope) -> pl.DataFrame:
    """The scope's alerts alive in [start, end] with centre names (open ones always)."""
    # Minute-rounded bounds so the cache key does not change on every rerun.
    return _history(url, alerts_version(url), to_ms(start) // 60_000 * 60_000,
                    -(-to_ms(end) // 60_000) * 60_000, str(scope))


@st.cache_data(ttl=LIVE_TTL_S, max_entries=8, show_spinner=False)
def _failed(url: str, version: tuple[int, int, int]) -> pl.DataFrame:
    return alerts_read.notifications(store(url))


def failed_deliveries(url: str, *, scope: Scope) -> pl.DataFrame | None:
    """Undelivered notifications with an error (retrying or pending), newest first; None
    for a scope narrower than the country (the outbox is not kept per centre)."""
    if not scope.is_national:
        return None
    return _failed(url, alerts_version(url))
