"""Rebuild `provinces.geojson` (the 34 provinces since 1 July 2025) from `sources/`.

    python -m dashboard.geography.build          # writes dashboard/geography/provinces.geojson
    python -m dashboard.geography.build --check  # exits 1 when the shipped file differs

Natural Earth draws the 63 provinces before 2025 as lines; the build
1. nodes those lines with the coastline and the national borders (closing the
   few metre-wide gaps where a line stops short of another) and forms faces;
2. names each face inside Vietnam by the old province whose point
   (`merge_2025.csv`) lies in it, and gives a face no point lies in (a sliver)
   to the named neighbour it shares most border with;
3. gives islands to an old province: by `islands.csv`'s boxes, else to the
   nearest old province when the island is nearer Vietnam than any other
   country's coast;
4. merges the old provinces into the 34 by `merge_2025.csv` (Resolution
   202/2025/QH15), simplifies the coverage (shared borders stay shared) and
   writes each province with its official code and name from the registry,
   plus the neighbouring countries' land as one faint backdrop feature.

Build-time only (shapely); the dashboard reads the written file.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely import STRtree
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, polygonize, polylabel, unary_union

from config.registry import provinces
from dashboard.geography import BUILT, HERE

SOURCES = HERE / "sources"
SNAP_DEG = 0.1  # a line end nearer than this to other lines is joined to them
ISLAND_MAX_DEG2 = 0.2  # a country face smaller than this (~2,400 km²) is an island
ISLAND_REACH_DEG = 1.0  # farther than this from the mainland, only islands.csv assigns it
SIMPLIFY_DEG = 0.004  # ~400 m: invisible at a province wall's scale
LAND_SIMPLIFY_DEG = 0.02
LAND_BOX = (97.0, 5.0, 125.0, 26.0)  # the neighbours' land kept as backdrop
DECIMALS = 4  # ~10 m
LAND_ID = "land"  # the backdrop feature's id


@dataclass(frozen=True, slots=True)
class OldProvince:
    name: str
    new_code: int
    point: Point


@dataclass(frozen=True, slots=True)
class IslandRule:
    name: str
    old_name: str
    box: Polygon


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def read_merge(path: Path = SOURCES / "merge_2025.csv") -> list[OldProvince]:
    return [OldProvince(r["old_name"], int(r["new_code"]),
                        Point(float(r["lon"]), float(r["lat"]))) for r in _rows(path)]


def read_islands(path: Path = SOURCES / "islands.csv") -> list[IslandRule]:
    return [IslandRule(r["name"], r["old_name"],
                       box(float(r["lon_min"]), float(r["lat_min"]),
                           float(r["lon_max"]), float(r["lat_max"]))) for r in _rows(path)]


def _parts(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    out: list[BaseGeometry] = []
    for g in geoms:
        out.extend(getattr(g, "geoms", [g]))
    return out


def _layer(name: str) -> list[BaseGeometry]:
    data = json.loads((SOURCES / name).read_text(encoding="utf-8"))
    return _parts([shape(f["geometry"]) for f in data["features"]])


def connectors(lines: list[BaseGeometry], fixed: int) -> list[LineString]:
    """Short segments joining each end of `lines[fixed:]` that stops near, but not on,
    another line (within `SNAP_DEG`) to the nearest point of it."""
    tree = STRtree(lines)
    out = []
    for k in range(fixed, len(lines)):
        line = lines[k]
        for end in (Point(line.coords[0]), Point(line.coords[-1])):
            near = [j for j in tree.query(end.buffer(SNAP_DEG)) if j != k]
            if not near:
                continue
            others = unary_union([lines[j] for j in near])
            if 1e-9 < others.distance(end) < SNAP_DEG:
                out.append(LineString([end, nearest_points(end, others)[1]]))
    return out


def _faces(linework: list[BaseGeometry], land: BaseGeometry) -> list[Polygon]:
    return [f for f in polygonize(unary_union(linework))
            if land.contains(f.representative_point())]


def old_province_shapes(old: list[OldProvince], islands: list[IslandRule]
                        ) -> tuple[dict[str, BaseGeometry], BaseGeometry]:
    """(old province name -> its land, the other countries' land)."""
    land = unary_union(_layer("land.geojson")).buffer(0)
    coast = _parts([land.boundary])
    admin0, admin1 = _layer("admin0_lines.geojson"), _layer("admin1_lines.geojson")
    lines = coast + admin0 + admin1
    joins = connectors(lines, len(coast))
    countries = _faces(coast + admin0 + joins, land)
    capital = old[0].point
    mainland = next(f for f in countries if f.contains(capital))
    faces = [f for f in _faces(lines + joins, land)
             if mainland.contains(f.representative_point())]

    named: dict[int, str] = {}
    for p in old:
        inside = [i for i, f in enumerate(faces) if f.contains(p.point)]
        if len(inside) != 1:
            raise ValueError(f"{p.name}: its point lies in {len(inside)} faces, not 1")
        if inside[0] in named:
            raise ValueError(f"{p.name} and {named[inside[0]]} share one face")
        named[inside[0]] = p.name
    pending = [i for i in range(len(faces)) if i not in named]
    while pending:  # slivers: to the named neighbour with the longest shared border
        left = []
        for i in pending:
            shared = [(faces[i].boundary.intersection(faces[j].boundary).length, j)
                      for j in named if faces[i].touches(faces[j])]
            if shared and max(shared)[0] > 0:
                named[i] = named[max(shared)[1]]
            else:
                left.append(i)
        if len(left) == len(pending):
            raise ValueError(f"{len(left)} faces inside Vietnam touch no named face")
        pending = left
    shapes: dict[str, list[BaseGeometry]] = {p.name: [] for p in old}
    for i, name in named.items():
        shapes[name].append(faces[i])

    others = [f for f in countries if f is not mainland]
    anchors = [f for f in others if f.area > ISLAND_MAX_DEG2]
    tree = STRtree(faces)
    foreign = list(anchors)
    for island in (f for f in others if f.area <= ISLAND_MAX_DEG2):
        spot = island.representative_point()
        rule = next((r for r in islands if r.box.contains(spot)), None)
        if rule is not None:
            shapes[rule.old_name].append(island)
            continue
        reach = mainland.distance(island)
        if reach < ISLAND_REACH_DEG and reach < min(a.distance(island) for a in anchors):
            shapes[named[int(tree.nearest(island))]].append(island)
        else:
            foreign.append(island)
    return ({name: unary_union(parts) for name, parts in shapes.items()},
            unary_union(foreign).intersection(box(*LAND_BOX)))


def _round(coords):
    if isinstance(coords, (float, int)):
        return round(float(coords), DECIMALS)
    return [_round(c) for c in coords]


def _polygons(geom: BaseGeometry) -> MultiPolygon:
    parts = [g for g in _parts([geom]) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts)


def _geometry(geom: BaseGeometry) -> dict:
    g = mapping(_polygons(geom))
    return {"type": g["type"], "coordinates": _round(g["coordinates"])}


def build() -> dict:
    """The FeatureCollection to ship: 34 provinces (id = official code as text) and the
    neighbours' land (id `LAND_ID`)."""
    old = read_merge()
    known = provinces()
    codes = sorted({p.new_code for p in old})
    if set(codes) != set(known):
        raise ValueError(f"merge table codes {codes} are not the registry's {sorted(known)}")
    shapes, foreign = old_province_shapes(old, read_islands())
    merged = [unary_union([shapes[p.name] for p in old if p.new_code == c]) for c in codes]
    simple = shapely.coverage_simplify(merged, SIMPLIFY_DEG)
    features = []
    for code, geom in zip(codes, simple, strict=True):
        biggest = max(_polygons(geom).geoms, key=lambda g: g.area)
        label = polylabel(biggest, tolerance=0.01)
        features.append({
            "type": "Feature", "id": str(code),
            "properties": {"code": code, "name": known[code].name,
                           "lat": round(label.y, 3), "lon": round(label.x, 3)},
            "geometry": _geometry(geom)})
    land = foreign.simplify(LAND_SIMPLIFY_DEG, preserve_topology=True)
    land = _polygons(land)
    land = MultiPolygon([p for p in land.geoms if p.area > 0.002])
    features.append({"type": "Feature", "id": LAND_ID, "properties": {"code": None},
                     "geometry": _geometry(land)})
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> bytes:
    return (json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
            + "\n").encode("utf-8")


def main(argv: list[str]) -> int:
    data = dumps(build())
    if argv[:1] == ["--check"]:
        same = BUILT.exists() and BUILT.read_bytes() == data
        print("provinces.geojson is up to date" if same else "provinces.geojson differs")
        return 0 if same else 1
    BUILT.write_bytes(data)
    print(f"wrote {BUILT} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
