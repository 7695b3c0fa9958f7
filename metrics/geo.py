"""Province aggregation for the national view (pure polars, no I/O).

The registry knows every centre's province but coordinates only where a site
file gives them (today: Huế's, approximate). `province_summary` gives each
province's state, which colours the national map (the province outlines ship in
dashboard/geography); its lat/lon is the mean of its located centres'
coordinates, and only when it has some: no coordinate is ever invented.
"""

from __future__ import annotations

import copy
import functools
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


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of (lon, lat) points, counter-clockwise, first point not repeated
    (Andrew's monotone chain). Fewer than three distinct points come back as they are."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def province_outlines(points: pl.DataFrame, pad_deg: float = 0.04) -> dict:
    """A GeoJSON FeatureCollection with one polygon per province: the hull of its located
    centres pushed out by `pad_deg` from their middle. Not the legal boundary (no boundary
    data ships with the product): a frame that shows where the province's centres lie.
    `points` needs province_code, lat, lon; provinces with under three centres are left out.

    The outlines follow from the centres' coordinates only, which change when the site
    file does, not with each refresh: they are built once per set of coordinates (a
    small cache keyed on them) and each call gets its own copy."""
    located = (points.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
               .select("province_code", "lat", "lon"))
    return copy.deepcopy(_outlines(tuple(located.iter_rows()), pad_deg))


@functools.lru_cache(maxsize=16)
def _outlines(located: tuple[tuple[int, float, float], ...], pad_deg: float) -> dict:
    by_province: dict[int, list[tuple[float, float]]] = {}
    for code, lat, lon in located:  # in order of first appearance, as group_by kept it
        by_province.setdefault(code, []).append((lon, lat))
    features = []
    for code, part in by_province.items():
        hull = convex_hull(part)
        if len(hull) < 3:
            continue
        cx = sum(x for x, _ in hull) / len(hull)
        cy = sum(y for _, y in hull) / len(hull)
        ring = []
        for x, y in hull:
            dx, dy = x - cx, y - cy
            norm = (dx * dx + dy * dy) ** 0.5 or 1.0
            ring.append([round(x + dx / norm * pad_deg, 5), round(y + dy / norm * pad_deg, 5)])
        ring.append(ring[0])
        features.append({"type": "Feature", "properties": {"province_code": code},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}
