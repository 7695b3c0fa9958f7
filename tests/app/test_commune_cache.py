"""The commune drill-down's loaders cache a range's whole closed days under a key that holds
all day: as a preset range's start moves with the clock, those days are read once, and the
charts are the same as when everything is read afresh (SQLite store, loaders called directly)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import streamlit as st

from config.loader import load_settings
from config.scope import national
from dashboard.loaders import commune as data_commune
from metrics.results import Sample
from metrics.store import Store, from_ms, settled, to_ms
from tests.conftest import hue_centres
from tests.fixtures.personas import BRIEFING_END, healthy_ward, seed

PHU_XUAN = "19753"
EVERY = timedelta(hours=1)
TZ = "Asia/Ho_Chi_Minh"


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


# -- today's settled hours ------------------------------------------------------------

DAY_EVERY = timedelta(minutes=15)  # the 24-hour preset's bucket


@pytest.fixture
def today_cfg(tmp_path):
    """Settings over a SQLite store with Huế's centres polled every 15 min for 26 hours."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=26, step_s=900, end=BRIEFING_END)
    return load_settings(env={"IOC_DB_URL": url})


def day_view(cfg, end):
    centre = data_commune.find_centre(cfg, PHU_XUAN, scope=national())
    return data_commune.commune_view(cfg, centre, end - timedelta(hours=24), end, DAY_EVERY,
                                     end, scope=national())


def write_poll(cfg, ts, value=None):
    """One poll of the ward at `ts` (its sync lag `value`, if given)."""
    polled = healthy_ward(PHU_XUAN, ts.timestamp())
    if value is not None:
        polled = replace(polled, samples=[
            Sample(s.metric, value) if s.metric == "sync_lag_seconds" else s
            for s in polled.samples])
    with Store.open(cfg.store.url) as db:
        db.write([polled])


def fresh_keys():
    """What the next page run sees as new: a poll (freshness) or a late write."""
    data_commune.data.newest_ms.clear()
    data_commune.data.late_writes.clear()


def test_a_new_poll_rereads_only_the_last_hour_or_so(today_cfg, reads):
    first = day_view(today_cfg, BRIEFING_END)
    later = BRIEFING_END + timedelta(minutes=5)
    write_poll(today_cfg, later)  # on time
    fresh_keys()
    second = day_view(today_cfg, later)
    live = [(a, b) for a, b, last in reads if last]
    midnight = datetime(2025, 7, 2, 17, 0, tzinfo=UTC)  # 00:00 on 3 July, Huế
    settled_hours = [(a, b) for a, b, last in reads if a == midnight]
    assert len(live) == 2 and all(b - a <= timedelta(minutes=70) for a, b in live), reads
    assert settled_hours == [(midnight, midnight + timedelta(hours=9))], reads  # read once
    assert second.last_poll == later and first.last_poll == BRIEFING_END


def test_a_late_write_into_a_settled_hour_is_shown_on_the_next_run(today_cfg, reads):
    early = BRIEFING_END - timedelta(hours=5, minutes=2)  # 04:58 today: a settled hour
    bucket = early.replace(minute=45)

    def lag_at_bucket():
        shown = day_view(today_cfg, BRIEFING_END).gauges.filter(
            (pl.col("metric") == "sync_lag_seconds")
            & (pl.col("bucket").dt.convert_time_zone("UTC")
               == pl.lit(bucket).dt.cast_time_unit("ms")))
        return shown["value"][0]

    before = lag_at_bucket()
    write_poll(today_cfg, early, value=99_999.0)  # 5 h behind the newest poll: late
    assert lag_at_bucket() == before  # keys not yet re-read (2 s), as other sessions would
    fresh_keys()
    assert lag_at_bucket() > before  # the late write changed the key: the hour is re-read


def test_split_chunks_give_what_one_read_of_the_range_gives(today_cfg, reads):
    end = BRIEFING_END
    shown = day_view(today_cfg, end)
    assert {k for _, _, k in data_commune.d.cache_chunks(
        end - timedelta(hours=24), end, TZ, settled.settled_before(end))} == {
        data_commune.d.HEAD, data_commune.d.SETTLED, data_commune.d.LIVE}
    start = end - timedelta(hours=24)
    gauges, hourly = data_commune._load_centre_chunk(
        today_cfg.store.url, PHU_XUAN, to_ms(start), to_ms(end), True, 900, TZ)
    whole = data_commune.d.fill_gaps(gauges.drop("centre_id"), DAY_EVERY, start, end, TZ,
                                     ["metric"])
    assert shown.gauges.equals(whole)
    by = ["metric", "label", "bucket"]
    assert shown.hourly.sort(by).equals(hourly.sort(by))
    assert shown.hourly["increase"].sum() > 0
