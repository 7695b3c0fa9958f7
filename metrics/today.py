"""Today's counter increases up to a moment, at the finest resolution kept for it (pure).

"Today" runs from local midnight (`day_start`) to the moment `at`, both included.
A counter series' increase over it is what `metrics.store.rollups.increases` defines:
each step from the previous sample (a decrease is a reset: the new value counts
from 0), the first step from the last sample of the hour before midnight, and,
with no such sample, the first value of the day in full (the centres' day
counters restart at midnight).

Where the answer comes from (`plan`):
- nothing stored after `at` (live, or a moment at or after the newest poll): every
  roll-up bucket of the day holds only samples up to `at`, so the day's roll-up
  (hourly where days are not the roll-up's local days) answers exactly, one row a
  series;
- otherwise the closed hours before the hour holding `at` from the hourly roll-up,
  that hour's closed 5-minute buckets from the 5-minute roll-up, and the raw
  samples from the start of the 5-minute bucket holding `at` to `at` itself, while
  raw samples are still stored from there on (`raw_from`: the oldest poll stored;
  retention deletes polls no later than their samples, oldest first);
- beyond the raw retention only roll-ups remain: the 5-minute buckets that end at
  or before `at` (while kept: `keep[FIVE_MIN]`, or raw samples are still there),
  else the hours that do; the answer then counts the samples before `until` (the
  start of the bucket holding `at`) and says so with its `resolution`.

`chain` adds the pieces up per series exactly as one read of the whole span
would, so every resolution boundary is invisible in the sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

import polars as pl

from metrics.resolutions import (
    DAY,
    DAY_MS,
    DEFAULT_KEEP,
    FIVE_MIN,
    FIVE_MIN_MS,
    HOUR,
    HOUR_MS,
    RAW,
    bucket_start,
)

KEY = ["centre_id", "metric", "label"]
INCREASES_SCHEMA = pl.Schema({"centre_id": pl.String, "metric": pl.String, "label": pl.String,
                              "increase": pl.Float64})
# Pieces: 5-minute buckets or raw samples (one-sample buckets) after the closed hours.
PIECES_SCHEMA = pl.Schema({"centre_id": pl.String, "metric": pl.String, "label": pl.String,
                           "ts": pl.Int64, "first_value": pl.Float64, "last_value": pl.Float64,
                           "inc_within": pl.Float64})
BASELINE_SCHEMA = pl.Schema({"centre_id": pl.String, "metric": pl.String, "label": pl.String,
                             "last_value": pl.Float64})


@dataclass(frozen=True)
class Today:
    """Today's counter increases per series and what they count.

    `resolution`: RAW when they count every sample up to and including `at`
    (`until` is `at`); FIVE_MIN or HOUR when only roll-ups are kept for the
    moment and they count the samples before `until`, the start of that
    roll-up's bucket holding `at`.
    """

    increases: pl.DataFrame  # centre_id, metric, label, increase
    resolution: str
    until_ms: int
    # What was read: (resolution, first ms, last ms) per read; ("1d", …) alone when live.
    reads: tuple[tuple[str, int, int], ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the figures count every sample up to the moment asked for."""
        return self.resolution == RAW


class Plan(NamedTuple):
    """What to read for today's increases at one moment (see the module doc).

    `whole`: DAY or HOUR when one roll-up read answers the whole day (nothing
    stored after `at`); then the other fields are unused. Otherwise: hourly
    buckets in [day_start, hours_end), 5-minute buckets in [hours_end,
    fives_end), and raw samples in [fives_end, at] when `raw`.
    """

    resolution: str
    until_ms: int
    whole: str | None
    hours_end_ms: int
    fives_end_ms: int
    raw: bool


def plan(day_start_ms: int, at_ms: int, newest_ms: int | None, now_ms: int,
         keep: Mapping[str, timedelta] = DEFAULT_KEEP, raw_from_ms: int | None = None
         ) -> Plan:
    """How to answer today's increases from `day_start_ms` (a local midnight, on the
    hour) to `at_ms`, given the newest and the oldest poll stored (`newest_ms`,
    `raw_from_ms`; None: none) and what is kept at `now_ms` (`keep`: retention per
    resolution)."""
    if not day_start_ms <= at_ms < day_start_ms + DAY_MS:
        raise ValueError(f"today: the moment {at_ms} is not in the day from {day_start_ms}")
    if newest_ms is None or newest_ms <= at_ms:
        # The day's bucket holds nothing after `at` (where days are the roll-up's days).
        whole = DAY if bucket_start(day_start_ms, DAY_MS) == day_start_ms else HOUR
        return Plan(RAW, at_ms, whole, at_ms, at_ms, True)
    hour = max(bucket_start(at_ms, HOUR_MS), day_start_ms)
    five = max(bucket_start(at_ms, FIVE_MIN_MS), hour)
    raw = raw_from_ms is not None and five >= raw_from_ms
    if raw:
        return Plan(RAW, at_ms, None, hour, five, True)
    if hour >= now_ms - _ms(keep[FIVE_MIN]) or (raw_from_ms is not None
                                                 and hour >= raw_from_ms):
        return Plan(FIVE_MIN, five, None, hour, five, False)
    return Plan(HOUR, hour, None, hour, hour, False)


def _ms(span: timedelta) -> int:
    return round(span.total_seconds() * 1000)


def _step(prev: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(value >= prev).then(value - prev).otherwise(value)


def chain(closed: pl.DataFrame, baseline: pl.DataFrame, pieces: pl.DataFrame) -> pl.DataFrame:
    """Per series: the closed hours' increase (`closed`: `rollups.increases` rows) plus
    the later `pieces` (PIECES_SCHEMA, disjoint and after the closed hours), each
    piece's `inc_within` plus the step from the value before it: the previous piece's
    last value, else `baseline` (the last value of the newest hourly bucket before the
    pieces, the hour before midnight included), else none, when the first value counts
    in full (the counters restart at midnight). A series in neither `closed` nor
    `pieces` is absent. Columns: centre_id, metric, label, increase."""
    pieces = pieces.cast(PIECES_SCHEMA)
    base = baseline.cast(BASELINE_SCHEMA).rename({"last_value": "base"})
    prev = pl.col("last_value").shift(1).over(KEY)
    later = (pieces.sort([*KEY, "ts"])
             .with_columns(prev.alias("prev"))
             .join(base, on=KEY, how="left")
             .with_columns(pl.coalesce("prev", "base").alias("prev"))
             .with_columns((pl.col("inc_within") + pl.when(pl.col("prev").is_null())
                            .then(pl.col("first_value"))
                            .otherwise(_step(pl.col("prev"), pl.col("first_value"))))
                           .alias("increase"))
             .group_by(KEY, maintain_order=True).agg(pl.col("increase").sum()))
    both = pl.concat([closed.cast(INCREASES_SCHEMA), later.cast(INCREASES_SCHEMA)])
    return (both.group_by(KEY, maintain_order=True).agg(pl.col("increase").sum())
            .sort(KEY))


def empty() -> pl.DataFrame:
    """An increases frame with no series."""
    return pl.DataFrame(schema=INCREASES_SCHEMA)
