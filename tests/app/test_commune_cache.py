"""The commune drill-down's loaders cache a range's whole closed days under a key that holds
all day: as a preset range's start moves with the clock, those days are read once, and the
charts are the same as when everything is read afresh (SQLite store, loaders called directly)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
import streamlit as st

from config.loader import load_settings
from dashboard import data_commune
from metrics.scope import national
from metrics.store import Store, from_ms
from tests.conftest import hue_centres
from tests.fixtures.personas import BRIEFING_END, seed

PHU_XUAN = "19753"
EVERY = timedelta(hours=1)


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    """Settings over a SQLite store with Huế's centres polled every 30 min for 75 hours."""
    url = f"sqlite:///{tmp_path_factory.mktemp('commune-cache') / 'store.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=75, step_s=1800, end=BRIEFING_END)
    return load_settings(env={"IOC_DB_URL": url})


@pytest.fixture
def reads(monkeypatch):
    """Every centre chunk read from the store: (start, end, ends now)."""
    seen: list[tuple[object, object, bool]] = []
    load = data_commune._load_centre_chunk

    def counted(url, centre_id, a_ms, b_ms, last, every_s, tz):
        seen.append((from_ms(a_ms), from_ms(b_ms), last))
        return load(url, centre_id, a_ms, b_ms, last, every_s, tz)

    monkeypatch.setattr(data_commune, "_load_centre_chunk", counted)
    st.cache_data.clear()
    yield seen
    st.cache_data.clear()


def view(cfg, start):
    centre = data_commune.find_centre(cfg, PHU_XUAN, scope=national())
    return data_commune.commune_view(cfg, centre, start, BRIEFING_END, EVERY, BRIEFING_END,
                                     scope=national())


def test_commune_reads_closed_days_once_while_the_range_start_moves(cfg, reads):
    first = BRIEFING_END - timedelta(hours=72)  # 10:00 on 30 June, Huế
    view(cfg, first)
    view(cfg, first + timedelta(hours=1))
    view(cfg, first + timedelta(hours=2))
    closed = [(a, b) for a, b, last in reads if not last and b - a > timedelta(days=1)]
    assert len(closed) == 1, reads
    assert closed[0][1] - closed[0][0] == timedelta(days=2)  # 1 and 2 July, whole


def test_commune_charts_are_the_same_from_cache_as_read_afresh(cfg, reads):
    start = BRIEFING_END - timedelta(hours=70)
    view(cfg, start - timedelta(hours=1))  # warms the closed days' cache
    cached = view(cfg, start)
    st.cache_data.clear()
    fresh = view(cfg, start)
    for name in ("gauges", "median", "hourly", "daily", "mix"):
        a, b = getattr(cached, name), getattr(fresh, name)
        assert a.height > 0, name
        assert a.equals(b), name
    buckets = cached.gauges.filter(pl.col("metric") == "up")["bucket"]
    # every hour from 12:00 on 30 June to the end's bucket, 10:00 on 3 July, once
    assert buckets.n_unique() == buckets.len() == 71
