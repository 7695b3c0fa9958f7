"""Province aggregation for the national view (pure polars, no I/O).

The registry knows every centre's province but coordinates only where a site
file gives them (today: Huế's, approximate). A province's map point is the
mean of its located centres' coordinates, and only when it has some: no
coordinate is ever invented, and a province with none is shown in the
province grid and table only.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE, STATUSES


@dataclass(frozen=True, slots=True)
class ProvinceRule:
    """How a province's colour follows from its centres' statuses (shown in the docs)."""

    down_share: float = 0.25  # down when at least this share of its fresh centres is down
    fresh_share: float = 0.5  # stale when fewer than this share of its centres has fresh data


def province_summary(status: pl.DataFrame, rule: ProvinceRule = ProvinceRule()) -> pl.DataFrame:
    """One row per province present in `status` (rows of `queries.centre_status`).

    Columns: province_code, province_name, centres, one count per status, up
    (ok + degraded), fresh (ok + degraded + down), located (centres with
    coordinates), lat, lon (mean of the located centres; null when none),
    state (ok / degraded / down / stale / no_data by `rule`), sorted by code.
    """
    counts = [(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUSES]
    has = pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
    agg = (status.group_by("province_code", "province_name")
           .agg(pl.len().cast(pl.Int64).alias("centres"), *counts,
                has.sum().cast(pl.Int64).alias("located"),
                pl.col("lat").filter(has).mean().alias("lat"),
                pl.col("lon").filter(has).mean().alias("lon"))
           .with_columns((pl.col(OK) + pl.col(DEGRADED)).alias("up"),
                         (pl.col(OK) + pl.col(DEGRADED) + pl.col(DOWN)).alias("fresh")))
    state = (pl.when(pl.col("fresh") + pl.col(STALE) == 0).then(pl.lit(NO_DATA))
             .when(pl.col("fresh") < pl.col("centres") * rule.fresh_share).then(pl.lit(STALE))
             .when(pl.col(DOWN) >= pl.col("fresh") * rule.down_share).then(pl.lit(DOWN))
             .when(pl.col(DOWN) + pl.col(DEGRADED) > 0).then(pl.lit(DEGRADED))
             .otherwise(pl.lit(OK)))
    return agg.with_columns(state.alias("state")).sort("province_code")
