"""Cut the Vietnam extracts in `sources/` out of Natural Earth's world-wide 1:10m shapefiles.

Run once when Natural Earth is updated (the build itself needs only `sources/`):

    python -m dashboard.geography.extract DIR

DIR holds ne_10m_land.shp, ne_10m_admin_0_boundary_lines_land.shp and
ne_10m_admin_1_states_provinces_lines.shp (see sources/README.md for where they came
from). Each layer is clipped to `BBOX` and written as GeoJSON with 5 decimals (~1 m).
Needs pyshp and shapely (requirements-dev.txt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapefile
from shapely.geometry import box, mapping, shape

from dashboard.geography import HERE

# Vietnam with its islands and archipelagos, and the neighbours around it as backdrop.
BBOX = (97.0, 5.0, 125.0, 26.0)
LAYERS = {"ne_10m_land": "land.geojson",
          "ne_10m_admin_0_boundary_lines_land": "admin0_lines.geojson",
          "ne_10m_admin_1_states_provinces_lines": "admin1_lines.geojson"}


def _round(coords):
    if isinstance(coords, (float, int)):
        return round(float(coords), 5)
    return [_round(c) for c in coords]


def clip_layer(path: Path, bbox: tuple[float, float, float, float] = BBOX) -> dict:
    """The layer's shapes that meet `bbox`, clipped to it, as a FeatureCollection."""
    frame = box(*bbox)
    features = []
    with shapefile.Reader(str(path)) as reader:
        for shp in reader.iterShapes():
            if not shp.points:
                continue
            x0, y0, x1, y1 = shp.bbox
            if x1 < bbox[0] or x0 > bbox[2] or y1 < bbox[1] or y0 > bbox[3]:
                continue
            geom = shape(shp.__geo_interface__).intersection(frame)
            if geom.is_empty:
                continue
            g = mapping(geom)
            features.append({"type": "Feature", "properties": {},
                             "geometry": {"type": g["type"],
                                          "coordinates": _round(g["coordinates"])}})
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    src = Path(argv[0])
    for layer, out in LAYERS.items():
        data = clip_layer(src / f"{layer}.shp")
        (HERE / "sources" / out).write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"{out}: {len(data['features'])} shapes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
