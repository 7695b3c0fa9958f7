"""Vietnam's 34 provinces drawn from Natural Earth (public domain): the shipped outlines
(`provinces.geojson`), the sources they are rebuilt from (`sources/`) and the build.

Runtime reads only the built file (`load`); shapely and pyshp are build-time tools
(requirements-dev.txt). See sources/README.md for where each file comes from.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILT = HERE / "provinces.geojson"


@functools.cache
def raw() -> bytes:
    """The shipped GeoJSON's bytes (served once per browser by the dashboard's route)."""
    return BUILT.read_bytes()


@functools.cache
def load() -> dict:
    """The shipped FeatureCollection: one feature per province, `id` = official code,
    properties code, name, lat/lon of a label point inside the province."""
    return json.loads(raw())


@functools.cache
def version() -> str:
    """A short digest of the shipped file: part of its URL, so a rebuilt file is fetched anew."""
    return hashlib.sha256(raw()).hexdigest()[:12]


LAND_ID = "land"  # the neighbouring countries' land: a backdrop, not a province
VIETNAM_VIEW = (99.5, 7.8, 124.0, 23.8)  # the national map: the country, its islands, callouts


@functools.cache
def label_points() -> dict[int, tuple[float, float]]:
    """Province code -> (lat, lon) of a point well inside its main land, for its name."""
    return {f["properties"]["code"]: (f["properties"]["lat"], f["properties"]["lon"])
            for f in load()["features"] if f["id"] != LAND_ID}


def _area(ring: list[list[float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)))


@functools.cache
def bounds(code: int) -> tuple[float, float, float, float] | None:
    """(lon_min, lat_min, lon_max, lat_max) of the province's largest polygon (its
    mainland, not far islands such as Hoàng Sa or Trường Sa); None for an unknown code."""
    for f in load()["features"]:
        if f["id"] == str(code):
            main = max(f["geometry"]["coordinates"], key=lambda poly: _area(poly[0]))[0]
            xs, ys = [p[0] for p in main], [p[1] for p in main]
            return (min(xs), min(ys), max(xs), max(ys))
    return None
