"""Vietnam's 34 provinces drawn from Natural Earth (public domain): the shipped outlines
(`provinces.geojson`), the sources they are rebuilt from (`sources/`) and the build.

Runtime reads only the built file (`load`); shapely and pyshp are build-time tools
(requirements-dev.txt). See sources/README.md for where each file comes from.
"""

from __future__ import annotations

import functools
import hashlib
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
