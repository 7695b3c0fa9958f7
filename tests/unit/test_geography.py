"""The shipped province outlines (dashboard/geography): the 34 provinces of the registry,
every configured centre inside its own province, the build reproducing the file, and
the route that serves it once per browser."""

from __future__ import annotations

import asyncio
import csv
import gzip
import json

import httpx
import pytest
from shapely.geometry import Point, shape
from starlette.applications import Starlette

from config.loader import CONFIG_DIR, load_site
from config.registry import provinces
from dashboard import geography
from dashboard.geography import build, serve

MAX_OUTSIDE_KM = 5.0  # a listed exception may lie at most this far outside
KM_PER_DEG = 111.0


@pytest.fixture(scope="module")
def outlines() -> dict[str, object]:
    return {f["id"]: shape(f["geometry"]) for f in geography.load()["features"]}


def _exceptions() -> dict[str, tuple[int, str]]:
    path = geography.HERE / "centre_exceptions.csv"
    with path.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["centre_id"]: (int(r["province_code"]), r["reason"]) for r in rows}


def test_the_shipped_file_has_the_34_provinces_of_the_registry_and_the_backdrop(outlines):
    features = geography.load()["features"]
    codes = [f["properties"]["code"] for f in features if f["id"] != geography.LAND_ID]
    assert sorted(codes) == sorted(provinces()) and len(codes) == 34
    for f in features:
        if f["id"] != geography.LAND_ID:
            code = f["properties"]["code"]
            assert f["id"] == str(code) and f["properties"]["name"] == provinces()[code].name
            assert outlines[f["id"]].is_valid and outlines[f["id"]].area > 0
            lat, lon = geography.label_points()[code]
            assert outlines[f["id"]].contains(Point(lon, lat))  # its name is written inside
    assert [f["id"] for f in features].count(geography.LAND_ID) == 1


def test_provinces_do_not_overlap_and_the_archipelagos_go_with_their_provinces(outlines):
    ids = [i for i in outlines if i != geography.LAND_ID]
    for n, a in enumerate(ids):
        for b in ids[n + 1:]:
            assert outlines[a].intersection(outlines[b]).area < 1e-4, (a, b)
    paracels, spratlys = Point(112.3, 16.5), Point(114.3, 10.0)
    near = {i: outlines[i].distance(paracels) for i in ids}
    assert min(near, key=near.get) == "48" and near["48"] < 0.5  # Hoàng Sa: Đà Nẵng
    near = {i: outlines[i].distance(spratlys) for i in ids}
    assert min(near, key=near.get) == "56" and near["56"] < 0.5  # Trường Sa: Khánh Hòa
    assert outlines["91"].contains(Point(103.97, 10.22))  # Phú Quốc: An Giang (Kiên Giang)
    assert not any(outlines[i].contains(Point(109.7, 19.2)) for i in ids)  # Hainan is not


def test_every_configured_centre_lies_in_its_province_or_is_a_listed_exception(outlines):
    listed = _exceptions()
    checked = 0
    for path in sorted((CONFIG_DIR / "sites").glob("*.yaml")):
        site = load_site(path)
        for centre_id, where in site.centres.items():
            if where.lat is None or where.lon is None:
                continue
            checked += 1
            code = listed.get(centre_id, (site.province, ""))[0]
            assert code == site.province, centre_id
            outline = outlines[str(site.province)]
            point = Point(where.lon, where.lat)
            if centre_id in listed:
                assert not outline.contains(point), f"{centre_id} is inside: unlist it"
                assert outline.distance(point) * KM_PER_DEG < MAX_OUTSIDE_KM, centre_id
                assert listed[centre_id][1].strip(), f"{centre_id}: no reason given"
            else:
                assert outline.contains(point), f"{path.name}: {centre_id} lies outside"
    assert checked >= 40  # Huế's 40 at least


def test_the_build_reproduces_the_shipped_file_from_the_sources():
    """Slow-ish (~20 s of shapely): the geometry is rebuilt from sources/ and compared."""
    assert build.dumps(build.build()) == geography.raw()


def test_the_merge_table_covers_the_63_old_provinces_once():
    old = build.read_merge()
    assert len(old) == 63 and len({p.name for p in old}) == 63
    assert {p.new_code for p in old} == set(provinces())
    for rule in build.read_islands():
        assert rule.old_name in {p.name for p in old}


@pytest.mark.parametrize(("base", "path"), [
    ("", f"/_ioc/geo/provinces-{geography.version()}.geojson"),
    ("/ioc/", f"/ioc/_ioc/geo/provinces-{geography.version()}.geojson"),
])
def test_the_route_serves_the_file_once_per_build_under_the_base_path(base, path):
    assert serve.path(base) == path
    app = Starlette(routes=serve.routes(base))  # the routes dashboard/server.py gives st.App

    async def fetch() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1") as client:
            return (await client.get(path, headers={"Accept-Encoding": "identity"}),
                    await client.get(path, headers={"Accept-Encoding": "gzip"}),
                    await client.get(path.replace(geography.version(), "000000000000")))

    plain, zipped, stale = asyncio.run(fetch())
    assert plain.status_code == 200 and plain.content == geography.raw()
    assert json.loads(plain.content)["type"] == "FeatureCollection"
    assert "immutable" in plain.headers["cache-control"]
    assert "max-age=31536000" in plain.headers["cache-control"]
    assert zipped.status_code == 200 and zipped.content == geography.raw()  # decoded by httpx
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(gzip.compress(geography.raw())) < 200_000  # what a browser fetches, once
    assert stale.status_code == 404  # another build's URL is not this file
