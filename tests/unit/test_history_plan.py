"""The history benchmark's plan and bulk roll-ups (pure): tiers, and agreement with
`metrics.store.rollups.aggregate_rows`, which the store itself uses."""

from __future__ import annotations

import random

import polars as pl
import pytest

from bench import history_plan as hp
from metrics.resolutions import DAY_MS, FIVE_MIN_MS, HOUR_MS
from metrics.store.rollups import BUCKET_COLUMNS, aggregate_rows

NOW = 1_795_660_812.0  # 2026-11-26 02:40:12 UTC


def test_plan_tiers_are_contiguous_and_end_on_whole_hours_when_all_three_are_used():
    plan = hp.make_plan("hue", 3, NOW, raw_hours=2, raw_step_s=60, five_min_days=1)
    hourly, five, raw = plan.tiers
    assert [t.name for t in plan.tiers] == ["1h", "5m", "raw"]
    assert hourly.end_s == five.start_s and five.end_s == raw.start_s
    assert all(x % 3600 == 0 for x in (hourly.start_s, five.start_s, raw.start_s))
    assert raw.end_s == int(NOW) // 60 * 60  # the newest poll is "now" on the raw step
    assert five.end_s - five.start_s == 86_400
    assert raw.times(inclusive_end=True)[-1] == raw.end_s


def test_plan_drops_the_hourly_tier_when_the_finer_ones_cover_the_days():
    plan = hp.make_plan("hue", 1, NOW, raw_hours=1, raw_step_s=15, five_min_days=2)
    assert [t.name for t in plan.tiers] == ["5m", "raw"]


@pytest.mark.parametrize(("kwargs", "names"), [
    ({"raw_hours": -1, "raw_step_s": 60, "five_min_days": 1}, "--raw-hours"),
    ({"raw_hours": 1, "raw_step_s": 7, "five_min_days": 1}, "--raw-step"),
    ({"raw_hours": 1, "raw_step_s": 60, "five_min_days": -2}, "--five-min-days"),
])
def test_plan_refuses_bad_arguments_naming_them(kwargs, names):
    with pytest.raises(ValueError, match=names):
        hp.make_plan("hue", 2, NOW, **kwargs)


def test_tier_chunks_never_split_an_hour():
    tier = hp.Tier("5m", 1_795_564_800, 1_795_564_800 + 5 * 3600, 300)
    chunks = hp.tier_chunks(tier, 2)
    assert [len(c) for c in chunks] == [24, 24, 12]
    assert all(len({int(x) // 3600 for x in c}) <= 2 for c in chunks)
    assert [t for c in chunks for t in c] == tier.times()


def _samples(seed: int) -> list[tuple[int, int, float]]:
    """Two series over three hours, irregular times, counters with resets."""
    rng = random.Random(seed)
    rows = []
    for sid in (3, 8):
        ts, value = 1_795_564_800_000, 0.0
        while ts < 1_795_564_800_000 + 3 * HOUR_MS:
            value = 0.0 if rng.random() < 0.05 else value + rng.choice([0, 1, 2, 5])
            rows.append((sid, ts, value))
            ts += rng.choice([15_000, 60_000, 300_000, 420_000])
    return rows


@pytest.mark.parametrize("width", [FIVE_MIN_MS, HOUR_MS, DAY_MS])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregate_frame_equals_the_stores_aggregate_rows(width, seed):
    rows = _samples(seed)
    frame = pl.DataFrame(rows, schema=["series_id", "ts", "value"], orient="row")
    bulk = hp.aggregate_frame(frame.sample(fraction=1.0, shuffle=True, seed=seed), width)
    expected = aggregate_rows(rows, width)
    assert bulk.columns == list(BUCKET_COLUMNS)
    assert len(bulk) == len(expected)
    for got, want in zip(bulk.iter_rows(), expected, strict=True):
        assert got == pytest.approx(want)


def _day_rows(seed: int) -> list[tuple[int, int, float]]:
    """`_samples` moved to 15:00 UTC, so their three hours hold a local midnight (17:00)."""
    return [(sid, ts + 15 * HOUR_MS, v) for sid, ts, v in _samples(seed)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merge_frames_of_time_ordered_parts_equals_the_aggregate_of_all(seed):
    rows = _day_rows(seed)
    cut = rows[0][1] + 100 * 60_000  # everything before 16:40 UTC, then the rest
    older = [r for r in rows if r[1] < cut]
    newer = [r for r in rows if r[1] >= cut]

    def frame(part: list[tuple]) -> pl.DataFrame:
        return hp.aggregate_frame(
            pl.DataFrame(part, schema=["series_id", "ts", "value"], orient="row"), DAY_MS)

    merged = hp.merge_frames(frame(older), frame(newer))
    expected = aggregate_rows(rows, DAY_MS)
    assert len(expected) == 4  # two series, each in two local days
    assert merged.columns == list(BUCKET_COLUMNS) and len(merged) == len(expected)
    for got, want in zip(merged.iter_rows(), expected, strict=True):
        assert got == pytest.approx(want)


def test_footprint_scales_measured_bytes_per_row_to_a_year_at_15_s():
    got = hp.footprint({"samples": 20.0, "polls": 80.0, "rollup_5m": 50.0, "rollup_1h": 50.0},
                       series_per_centre=49)
    year = got["bytes_per_centre_per_year_all_kept"]
    assert year["samples"] == 365 * 5760 * 49 * 20
    assert year["rollup_1h"] == 365 * 24 * 49 * 50
    steady = got["bytes_per_centre_default_retention"]
    assert steady["samples"] == 7 * 5760 * 49 * 20
    assert steady["rollup_5m"] == 90 * 288 * 49 * 50


def test_product_rows_follow_the_default_retention():
    rows = hp.product_rows(series=49, centres=1, days=30)
    assert rows == {"samples": 7 * 5760 * 49, "polls": 7 * 5760,
                    "rollup_5m": 30 * 288 * 49, "rollup_1h": 30 * 24 * 49}
