"""The wall's maps over the province outlines (dashboard/views/maps.py, pure builders): a down
centre stays red whatever metric colours the map, every centre with a problem is named
on the map, the outlines travel by URL, and nothing makes plotly.js fetch a world map."""

from __future__ import annotations

import json

import polars as pl
import pytest

from dashboard.views import maps
from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE

LABELS = {s: f"<{s}>" for s in (OK, DEGRADED, DOWN, STALE, NO_DATA)}
URL = "/_ioc/geo/provinces-test.geojson"
RED = maps.STATUS_COLOURS[DOWN]


def _points(statuses: list[str], lag: list[float | None] | None = None) -> pl.DataFrame:
    n = len(statuses)
    return pl.DataFrame({
        "id": [f"{19000 + i}" for i in range(n)],
        "name": [f"Phường Số {i}" if i % 2 else f"Xã Số {i}" for i in range(n)],
        "province_code": [46] * n, "lat": [16.2 + 0.01 * i for i in range(n)],
        "lon": [107.4 + 0.01 * i for i in range(n)], "status": statuses,
        "sync_lag_s": lag if lag is not None else [10.0 * i for i in range(n)]})


def _traces_of(fig, colour: str):
    return [t for t in fig.data if t.type == "scattergeo" and t.marker is not None
            and t.marker.color == colour]


@pytest.mark.parametrize("metric", [None, "sync_lag_s"])
def test_a_down_centre_stays_red_and_is_named_whatever_colours_the_map(metric):
    points = _points([OK, DOWN, DEGRADED, OK], lag=[5.0, 900.0, 30.0, None])
    fig = maps.geo_status_map(points, LABELS, ["a", "b", "c", "d"], geojson_url=URL,
                              province=46, metric=metric, metric_label="lag")
    red = _traces_of(fig, RED)
    assert len(red) == 1 and list(red[0].customdata) == ["19001"]
    assert list(red[0].text) == ["Số 1"]  # "Phường Số 1", written on the map
    if metric is not None:
        valued = fig.data[3]
        assert valued.marker.colorscale is not None
        assert "19001" not in list(valued.customdata)  # an outage is no value, never 0
        assert list(valued.customdata) == ["19000", "19002"]


def test_only_centres_with_a_problem_are_named_on_the_map():
    points = _points([OK, DOWN, DEGRADED, STALE, NO_DATA])
    assert maps.problem_text(points) == ["", "Số 1", "Số 2", "Số 3", ""]
    fig = maps.geo_status_map(points, LABELS, list("abcde"), geojson_url=URL, province=46)
    written = {t for tr in fig.data if tr.type == "scattergeo" and tr.mode == "markers+text"
               for t in tr.text if t}
    assert written == {"Số 1", "Số 2", "Số 3"}


def test_outlines_go_by_url_and_no_world_map_is_fetched():
    """plotly.js fetches its world topojson (from cdn.plot.ly) when a base layer is on or
    when the FIRST trace has a locationmode (a choropleth does): neither may happen."""
    points = _points([OK] * 40)
    province = maps.geo_status_map(points, LABELS, ["x"] * 40, geojson_url=URL, province=46)
    summary = pl.DataFrame({"province_code": [46, 1], "province_name": ["Huế", "Hà Nội"],
                            "state": [OK, DOWN]})
    national = maps.geo_province_map(summary, LABELS, {46: "Huế", 1: "Hà Nội"},
                                     {46: "Huế", 1: "Hà Nội"}, geojson_url=URL)
    for fig in (province, national):
        assert fig.data[0].type == "scattergeo" and fig.data[0].locationmode is None
        geo = fig.layout.geo
        assert not any(getattr(geo, f"show{layer}") for layer in (
            "land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits"))
        chor = [t for t in fig.data if t.type == "choropleth"]
        assert chor and all(t.geojson == URL for t in chor)
        assert len(json.dumps(fig.to_plotly_json(), default=str)) < 40_000  # no geometry


def test_the_national_map_colours_each_province_by_its_state_and_names_problem_centres():
    summary = pl.DataFrame({"province_code": [46, 1], "province_name": ["Huế", "Hà Nội"],
                            "state": [DOWN, OK]})
    problems = pl.DataFrame({
        "id": [str(i) for i in range(12)], "province_code": [46] * 12,
        "name": [f"Xã Núi {i:02d}" for i in range(11)] + ["Phường Sông"],
        "status": [DOWN] * 11 + [DEGRADED], "lat": [16.4] * 12, "lon": [107.5] * 12})
    fig = maps.geo_province_map(summary, LABELS, {46: "Huế"}, {46: "Huế: down"},
                                geojson_url=URL, problems=problems, more="và {n} khác",
                                height=900, font_scale=1.5)
    chor = next(t for t in fig.data if t.type == "choropleth" and len(t.locations) > 1)
    z = dict(zip(chor.locations, chor.z, strict=True))
    n = len(maps.PROVINCE_STATES) + 1
    colour = {loc: chor.colorscale[int(v) * 2][1] for loc, v in z.items()}
    assert colour["46"] == RED and colour["1"] == maps.STATUS_COLOURS[OK]
    assert colour["48"] == maps.UNWATCHED and z["48"] == n - 0.5  # no centre in scope
    callout = next(t for t in fig.data if t.type == "scattergeo" and t.mode == "text"
                   and t.text and "Núi" in t.text[0]).text[0]
    for i in range(maps.CALLOUT_NAMES):
        assert f"Núi {i:02d}" in callout
    assert "và 2 khác" in callout and "Sông" in callout  # 11 down: 9 named, 2 counted
    assert callout.index(LABELS[DOWN]) < callout.index(LABELS[DEGRADED])
    assert fig.layout.height == 900 and fig.layout.legend.font.size == 27


def test_figure_sizes_follow_height_and_font_scale():
    points = _points([OK, DOWN])
    small = maps.geo_status_map(points, LABELS, ["a", "b"], geojson_url=URL, province=46)
    big = maps.geo_status_map(points, LABELS, ["a", "b"], geojson_url=URL, province=46,
                              height=1400, font_scale=2.0)
    assert (small.layout.height, big.layout.height) == (600, 1400)
    assert big.layout.legend.font.size == 2 * small.layout.legend.font.size
    assert _traces_of(big, RED)[0].textfont.size == 2 * _traces_of(small, RED)[0].textfont.size


def test_a_click_on_a_province_outline_asks_for_that_province():
    points = _points([OK])
    fig = maps.geo_status_map(points, LABELS, ["a"], geojson_url=URL, province=46)
    chor = next(t for t in fig.data if t.type == "choropleth" and len(t.locations) > 1)
    assert "province:48" in list(chor.customdata)
    event = {"selection": {"points": [{"customdata": "province:48", "location": "48"}]}}
    assert maps.selection_target(event) == ("province", "48")


def test_the_tile_map_also_keeps_a_down_centre_red_under_a_metric():
    points = _points([OK, DOWN])
    fig = maps.status_map(points, LABELS, ["a", "b"], metric="sync_lag_s", metric_label="lag")
    red = [t for t in fig.data if t.marker.color == RED]
    assert len(red) == 1 and list(red[0].customdata) == ["19001"]


def test_the_view_holds_the_province_and_its_centres():
    box = maps.view_box((107.0, 16.0, 108.0, 16.8), _points([OK]))
    assert box[0] < 107.0 and box[2] > 108.0 and box[1] < 16.0 and box[3] > 16.8
    far = _points([OK]).with_columns(pl.lit(110.0).alias("lon"))
    assert maps.view_box((107.0, 16.0, 108.0, 16.8), far)[2] > 110.0


def test_names_written_on_the_map_are_escaped():
    points = _points([DOWN]).with_columns(pl.lit("Xã <b>Lạ</b>").alias("name"))
    assert maps.problem_text(points) == ["&lt;b&gt;Lạ&lt;/b&gt;"]
    lines = maps.callout_lines(points.with_columns(pl.lit(46).alias("province_code")),
                               LABELS, "+{n}")
    assert "<b>" not in lines[0] and "&lt;b&gt;" in lines[0]


def test_close_problem_centres_put_their_names_on_different_sides():
    """Kim Long and Phú Xuân (2.8 km apart) both down: their names must not print over each
    other; a lone centre's name stays above it; an unnamed point takes no side."""
    box = (107.0, 16.0, 108.0, 17.0)
    lats, lons = [16.462, 16.47, 16.9, 16.465], [107.552, 107.58, 107.2, 107.56]
    sides = maps.label_sides(lats, lons, [True, True, True, False], box)
    assert sides[0] != sides[1]
    assert {sides[0], sides[1]} <= set(maps.LABEL_SIDES)
    assert sides[2] == "top center" and sides[3] == "top center"
    crowd = maps.label_sides([16.5] * 5, [107.5] * 5, [True] * 5, box)
    assert set(crowd[:4]) == set(maps.LABEL_SIDES)  # four sides before any repeats
