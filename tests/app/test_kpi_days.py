"""The KPI period reads closed local days from the daily roll-up and gets what the
hourly roll-ups give day by day (a generated SQLite history of three centres)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from bench.history import generate
from config.registry import fleet
from dashboard.loaders import kpi as data_kpi
from dashboard.views import fmt
from metrics.drilldown import day_chunks
from metrics.store import to_ms

TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    made = generate("hue", 9, centres=fleet("hue")[:3], folder=tmp_path_factory.mktemp("kpi"),
                    processes=1, raw_hours=1, raw_step_s=60, five_min_days=2)
    return made["url"]


def test_closed_days_from_the_daily_rollup_equal_the_hourly_sums(history):
    now = datetime.now(UTC)
    start = fmt.local_midnight(now, TZ) - timedelta(days=7, hours=-5)  # a partial first day
    end = now
    scope = "national"
    _, got, _ = data_kpi.kpi_increases(history, None, to_ms(start), to_ms(end), scope, TZ)
    chunks = day_chunks(start, end, TZ)
    assert sum(data_kpi.whole_local_day(a, b, TZ) for a, b in chunks[:-1]) == 6
    hourly = pl.concat([data_kpi._load_chunk_increases(history, to_ms(a), to_ms(b),
                                                       i < len(chunks) - 1, scope)
                        for i, (a, b) in enumerate(chunks)])
    want = hourly.group_by("centre_id", "metric", "label").agg(pl.col("increase").sum())
    key = ["centre_id", "metric", "label"]
    joined = want.join(got, on=key, how="full", suffix="_1d", coalesce=True)
    assert joined.height == want.height > 0
    assert joined.filter((pl.col("increase") - pl.col("increase_1d")).abs() > 1e-6).is_empty()
    assert joined["increase"].sum() > 0


def test_only_days_at_utc_plus_7_use_the_daily_rollup():
    midnight = datetime(2026, 11, 24, 17, tzinfo=UTC)  # local midnight in Huế
    assert data_kpi.whole_local_day(midnight, midnight + timedelta(days=1), TZ)
    assert data_kpi.whole_local_day(midnight, midnight + timedelta(days=1), "Asia/Bangkok")
    assert not data_kpi.whole_local_day(midnight, midnight + timedelta(days=1), "UTC")
    assert not data_kpi.whole_local_day(midnight + timedelta(hours=5),
                                        midnight + timedelta(days=1), TZ)
