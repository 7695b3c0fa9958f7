"""What `ioc bench history` generates, and the bulk roll-up of generated samples. Pure.

The product polls every 15 s and keeps raw samples 7 days, 5-minute roll-ups
90 days and hourly ones 2 years. Generating that at national scale is out of
reach on a small machine (3,355 centres × 49 series × 5,760 polls a day is
~950 M raw rows a day), so history is generated in three tiers, newest first:

- raw: the newest `raw_hours` (plus the current hour) polled every `raw_step_s`;
  samples, polls and both roll-ups;
- 5-minute: the `five_min_days` before that, one poll every 5 minutes; polls and
  both roll-ups (raw samples of that age are not written);
- hourly: the rest of `days`, one poll an hour; hourly roll-ups only.

Each roll-up row is computed from the generated samples of its bucket exactly
as `metrics.store.rollups.aggregate_rows` would (`aggregate_frame` is its polars bulk
equivalent; the tests check one against the other), so where raw and roll-ups
both exist they agree, and an hour is the merge of its 5-minute buckets. Only
the number of samples per bucket (`n`) is smaller than live polling would give.
Tier edges fall on whole hours, so no bucket straddles two tiers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import polars as pl

from metrics.resolutions import DAY_MS, FIVE_MIN_MS, HOUR_MS, LOCAL_OFFSET_MS
from metrics.store.rollups import BUCKET_COLUMNS

HOUR_S, DAY_S = 3_600, 86_400
LIVE_STEP_S = 15  # the collector's default interval, for the per-year footprint
YEAR_DAYS = 365
RETENTION_DAYS = {"raw": 7, "5m": 90, "1h": 730}  # metrics.resolutions.DEFAULT_KEEP


@dataclass(frozen=True)
class Tier:
    """Polls at start_s, start_s + step_s, … up to end_s (exclusive; the raw tier's
    end is the generation's `now`, inclusive)."""

    name: str  # "raw", "5m" or "1h": the finest table it fills
    start_s: int
    end_s: int
    step_s: int

    def times(self, inclusive_end: bool = False) -> list[float]:
        out, t = [], self.start_s
        while t < self.end_s or (inclusive_end and t == self.end_s):
            out.append(float(t))
            t += self.step_s
        return out


@dataclass(frozen=True)
class Plan:
    fleet: str
    days: float
    now_s: int
    raw_hours: int
    raw_step_s: int
    five_min_days: float
    tiers: tuple[Tier, ...]  # oldest first; empty tiers are left out

    def describe(self) -> dict:
        return {"fleet": self.fleet, "days": self.days, "now_s": self.now_s,
                "raw_hours": self.raw_hours, "raw_step_s": self.raw_step_s,
                "five_min_days": self.five_min_days,
                "tiers": [asdict(t) for t in self.tiers]}


def make_plan(fleet: str, days: float, now_s: float, *, raw_hours: int, raw_step_s: int,
              five_min_days: float) -> Plan:
    """The tiers for `days` of history ending at `now_s` (see the module doc).

    Raises ValueError naming the bad argument.
    """
    if days <= 0:
        raise ValueError(f"--days must be positive, not {days}")
    if raw_hours < 0:
        raise ValueError(f"--raw-hours must be 0 or more, not {raw_hours}")
    if raw_step_s <= 0 or HOUR_S % raw_step_s:
        raise ValueError(f"--raw-step must divide an hour (e.g. 15, 60), not {raw_step_s}")
    if five_min_days < 0:
        raise ValueError(f"--five-min-days must be 0 or more, not {five_min_days}")
    now = int(now_s) // raw_step_s * raw_step_s
    hour = now // HOUR_S * HOUR_S
    start = int(now - days * DAY_S) // HOUR_S * HOUR_S
    raw_start = max(start, hour - raw_hours * HOUR_S)
    five_start = max(start, raw_start - int(five_min_days * DAY_S) // HOUR_S * HOUR_S)
    tiers = [Tier("1h", start, five_start, HOUR_S), Tier("5m", five_start, raw_start, 300),
             Tier("raw", raw_start, now, raw_step_s)]
    return Plan(fleet, days, now, raw_hours, raw_step_s, five_min_days,
                tuple(t for t in tiers if t.end_s > t.start_s or t.name == "raw"))


def tier_chunks(tier: Tier, hours: int) -> list[list[float]]:
    """The tier's poll times in chunks of whole `hours` (so no bucket spans two chunks)."""
    times = tier.times(inclusive_end=tier.name == "raw")
    width = hours * HOUR_S
    chunks: dict[int, list[float]] = {}
    for t in times:
        chunks.setdefault(int(t) // width, []).append(t)
    return [chunks[k] for k in sorted(chunks)]


def aggregate_frame(samples: pl.DataFrame, width_ms: int) -> pl.DataFrame:
    """Roll-up rows (BUCKET_COLUMNS) of samples (series_id, ts in ms, value), the bulk
    equivalent of `rollups.aggregate_rows`: per series and bucket the count, sum, min,
    max, first and last sample and the counter increase between consecutive samples
    inside the bucket (a decrease is a reset: the new value counts from 0). Buckets align
    to local time, as the store's (a day starts at local midnight)."""
    df = samples.sort("series_id", "ts").with_columns(
        (pl.col("ts") - (pl.col("ts") + LOCAL_OFFSET_MS) % width_ms).alias("bucket"))
    same = ((pl.col("series_id") == pl.col("series_id").shift(1))
            & (pl.col("bucket") == pl.col("bucket").shift(1)))
    prev = pl.col("value").shift(1)
    df = df.with_columns(
        pl.when(same.fill_null(False))
        .then(pl.when(pl.col("value") >= prev).then(pl.col("value") - prev)
              .otherwise(pl.col("value")))
        .otherwise(0.0).alias("step"))
    out = df.group_by("series_id", "bucket", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("n"),
        pl.col("value").sum().alias("sum_value"),
        pl.col("value").min().alias("min_value"),
        pl.col("value").max().alias("max_value"),
        pl.col("ts").first().alias("first_ts"),
        pl.col("value").first().alias("first_value"),
        pl.col("ts").last().alias("last_ts"),
        pl.col("value").last().alias("last_value"),
        pl.col("step").sum().alias("inc_within"),
    )
    return out.rename({"bucket": "ts"}).select(BUCKET_COLUMNS)


WIDTHS_MS = {"5m": FIVE_MIN_MS, "1h": HOUR_MS, "1d": DAY_MS}


def merge_frames(older: pl.DataFrame, newer: pl.DataFrame) -> pl.DataFrame:
    """Bucket rows (BUCKET_COLUMNS) of two parts of the same buckets merged, as
    `rollups.merge` does one pair: every sample of a key in `older` comes before every one
    of that key in `newer` (generation writes in time order). A key in one only passes
    through. Key order."""
    key = ["series_id", "ts"]
    j = older.join(newer, on=key, how="full", coalesce=True, suffix="_b")

    def a(c: str) -> pl.Expr:
        return pl.col(c)

    def b(c: str) -> pl.Expr:
        return pl.col(f"{c}_b")

    step = (pl.when(b("first_value") >= a("last_value"))
            .then(b("first_value") - a("last_value")).otherwise(b("first_value")))
    return j.select(
        *key,
        pl.coalesce(a("n") + b("n"), a("n"), b("n")).alias("n"),
        pl.coalesce(a("sum_value") + b("sum_value"), a("sum_value"), b("sum_value"))
        .alias("sum_value"),
        pl.min_horizontal(a("min_value"), b("min_value")).alias("min_value"),
        pl.max_horizontal(a("max_value"), b("max_value")).alias("max_value"),
        pl.coalesce(a("first_ts"), b("first_ts")).alias("first_ts"),
        pl.coalesce(a("first_value"), b("first_value")).alias("first_value"),
        pl.coalesce(b("last_ts"), a("last_ts")).alias("last_ts"),
        pl.coalesce(b("last_value"), a("last_value")).alias("last_value"),
        pl.coalesce(a("inc_within") + b("inc_within") + step, a("inc_within"),
                    b("inc_within")).alias("inc_within"),
    ).sort(key)


def footprint(bytes_per_row: dict[str, float | None], series_per_centre: float) -> dict:
    """Disk per centre at the live 15 s interval, from measured bytes per row of each table:
    a year of each table kept whole, and the steady state under the default retention
    (raw and polls 7 d, 5-minute 90 d, hourly 730 d)."""
    polls_year = YEAR_DAYS * DAY_S / LIVE_STEP_S
    rows_year = {
        "samples": polls_year * series_per_centre,
        "polls": polls_year,
        "rollup_5m": YEAR_DAYS * DAY_S / 300 * series_per_centre,
        "rollup_1h": YEAR_DAYS * 24 * series_per_centre,
    }
    keep = {"samples": RETENTION_DAYS["raw"], "polls": RETENTION_DAYS["raw"],
            "rollup_5m": RETENTION_DAYS["5m"], "rollup_1h": RETENTION_DAYS["1h"]}
    year, steady = {}, {}
    for table, rows in rows_year.items():
        per_row = bytes_per_row.get(table)
        if per_row is None:
            continue
        year[table] = round(rows * per_row)
        steady[table] = round(rows * keep[table] / YEAR_DAYS * per_row)
    return {
        "interval_s": LIVE_STEP_S,
        "series_per_centre": round(series_per_centre, 1),
        "bytes_per_centre_per_year_all_kept": year,
        "mb_per_centre_per_year_all_kept": round(sum(year.values()) / 1e6, 1),
        "bytes_per_centre_default_retention": steady,
        "mb_per_centre_default_retention": round(sum(steady.values()) / 1e6, 1),
        "note": "computed from measured bytes per row; rows at a 15 s poll, "
                f"retention {RETENTION_DAYS}",
    }


def product_rows(series: int, centres: int, days: float) -> dict[str, int]:
    """Rows the product itself would hold for `days` of polling every 15 s, default retention."""
    def kept(table_days: float) -> float:
        return min(days, table_days) * DAY_S
    return {
        "samples": math.floor(series * kept(RETENTION_DAYS["raw"]) / LIVE_STEP_S),
        "polls": math.floor(centres * kept(RETENTION_DAYS["raw"]) / LIVE_STEP_S),
        "rollup_5m": math.floor(series * kept(RETENTION_DAYS["5m"]) / 300),
        "rollup_1h": math.floor(series * kept(RETENTION_DAYS["1h"]) / HOUR_S),
    }
