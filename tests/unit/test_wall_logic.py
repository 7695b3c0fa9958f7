"""Pure logic of the wall: playlist rotation and stop rule, province aggregation, map clicks,
alert views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from dashboard.views import maps
from dashboard.views import playlist as pl_
from metrics import geo
from metrics.alerts import stats as alert_stats
from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE
from tests.conftest import classes_made

T0 = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
TIME = pl.Datetime("ms", "UTC")


def test_playlist_parse_reads_views_and_provinces():
    views = pl_.parse("wall, alerts,province:46", [1, 46])
    assert [v.key for v in views] == ["wall", "alerts", "province:46"]
    assert pl_.parse(None, [46]) == [] and pl_.parse("  ", [46]) == []


@pytest.mark.parametrize("raw", ["wall,maps", "province:99", "province:x", "province:"])
def test_playlist_parse_names_the_bad_item_when_unknown(raw):
    with pytest.raises(ValueError, match="playlist item"):
        pl_.parse(raw, [1, 46])


@pytest.mark.parametrize(("raw", "ok"), [(None, 30.0), ("45", 45.0), ("4", None),
                                         ("abc", None), ("7200", None)])
def test_playlist_every_is_bounded(raw, ok):
    if ok is None:
        with pytest.raises(ValueError, match="every="):
            pl_.parse_every(raw)
    else:
        assert pl_.parse_every(raw) == ok


def test_playlist_rotates_with_the_clock_when_nothing_is_critical():
    views = pl_.parse("wall,alerts,province:46", [46])
    base = datetime.fromtimestamp(30 * 3 * 1000, UTC)  # a slot boundary, index 0
    shown = [pl_.choose(views, base + timedelta(seconds=s), 30) for s in (0, 29, 30, 60, 90)]
    assert [c.view.key for c in shown] == ["wall", "wall", "alerts", "province:46", "wall"]
    assert not any(c.held for c in shown)


def _critical(province: int | None, since: datetime, handled: bool = False) -> pl_.Critical:
    return pl_.Critical(province, since, handled)


def test_playlist_stops_on_the_first_view_showing_a_new_unacknowledged_critical_alert():
    views = pl_.parse("province:1,province:46,wall", [1, 46])
    alert = _critical(46, T0)
    for s in range(0, 300, 10):
        choice = pl_.choose(views, T0 + timedelta(seconds=s), 30, [alert], hold_s=300)
        assert choice.view.key == "province:46" and choice.held and choice.index == 1
        assert choice.held_by == (alert,)
        assert choice.resumes_at == T0 + timedelta(seconds=300)


def test_playlist_resumes_once_the_alert_is_acknowledged():
    views = pl_.parse("wall,alerts", [46])
    now = T0 + timedelta(seconds=60)
    assert pl_.choose(views, now, 30, [_critical(46, T0)], hold_s=300).held
    resumed = pl_.choose(views, now, 30, [_critical(46, T0, handled=True)], hold_s=300)
    assert not resumed.held and resumed == pl_.choose(views, now, 30)  # the rotation's view


def test_playlist_resumes_after_the_hold_even_when_nobody_acknowledges():
    views = pl_.parse("wall,alerts", [46])
    alert = [_critical(46, T0)]
    assert pl_.choose(views, T0 + timedelta(seconds=299), 30, alert, hold_s=300).held
    later = pl_.choose(views, T0 + timedelta(seconds=300), 30, alert, hold_s=300)
    assert not later.held
    assert [pl_.choose(views, T0 + timedelta(seconds=s), 30, alert, 300).view.key
            for s in (300, 330, 360)] == ["wall", "alerts", "wall"]


def test_playlist_holds_until_the_newest_of_several_new_alerts_ages_out():
    views = pl_.parse("wall", [46])
    alerts = [_critical(46, T0), _critical(1, T0 + timedelta(seconds=100)),
              _critical(46, T0 - timedelta(seconds=10), handled=True)]
    choice = pl_.choose(views, T0 + timedelta(seconds=200), 30, alerts, hold_s=300)
    assert choice.held and [a.firing_since for a in choice.held_by] == [
        T0, T0 + timedelta(seconds=100)]  # oldest first; the handled one holds nothing
    assert choice.resumes_at == T0 + timedelta(seconds=400)


def test_playlist_province_view_is_held_only_by_its_own_province():
    views = pl_.parse("province:1", [1, 46])
    assert not pl_.choose(views, T0, 30, [_critical(46, T0)]).held
    assert pl_.choose(views, T0, 30, [_critical(1, T0)]).held


def test_playlist_choice_is_the_same_on_every_wall_at_the_same_moment():
    views = pl_.parse("wall,alerts,province:46", [46])
    alerts = [_critical(46, T0 - timedelta(seconds=400)), _critical(46, T0, handled=True)]
    picks = {pl_.choose(views, T0 + timedelta(seconds=45), 30, alerts, 300) for _ in range(5)}
    assert len(picks) == 1


def test_playlist_refuses_an_empty_list():
    with pytest.raises(ValueError):
        pl_.choose([], T0, 30)


def _status(rows):
    return pl.DataFrame(rows, schema={"id": pl.String, "province_code": pl.Int64,
                                      "province_name": pl.String, "lat": pl.Float64,
                                      "lon": pl.Float64, "status": pl.String}, orient="row")


def test_province_summary_counts_and_centroid_from_located_centres_only():
    status = _status([
        ("a", 46, "Huế", 16.0, 107.0, OK), ("b", 46, "Huế", 16.2, 107.4, DOWN),
        ("c", 46, "Huế", None, None, DEGRADED), ("d", 46, "Huế", None, None, OK),
        ("e", 1, "Hà Nội", None, None, OK), ("f", 1, "Hà Nội", None, None, OK),
    ])
    out = geo.province_summary(status).to_dicts()
    hanoi, hue = out
    assert hanoi["province_code"] == 1 and hanoi["lat"] is None and hanoi["located"] == 0
    assert hanoi["state"] == OK and hanoi["up"] == 2
    assert hue["centres"] == 4 and hue[DOWN] == 1 and hue["up"] == 3 and hue["fresh"] == 4
    assert hue["lat"] == pytest.approx(16.1) and hue["lon"] == pytest.approx(107.2)
    assert hue["state"] == DOWN  # 1 of 4 fresh centres down: the 25 % rule


@pytest.mark.parametrize(("statuses", "state"), [
    ([OK, OK, OK, OK, OK], OK),
    ([OK, OK, OK, OK, DEGRADED], DEGRADED),
    ([OK, OK, OK, OK, DOWN], DEGRADED),  # 1 of 5 down: below 25 %
    ([OK, OK, OK, DOWN, DOWN], DOWN),
    ([OK, OK, STALE, STALE, STALE], STALE),  # stale never passes as healthy
    ([STALE, STALE, NO_DATA, NO_DATA, NO_DATA], STALE),
    ([NO_DATA] * 5, NO_DATA),
])
def test_province_state_follows_the_rule(statuses, state):
    status = _status([(str(i), 1, "X", None, None, s) for i, s in enumerate(statuses)])
    assert geo.province_summary(status)["state"].to_list() == [state]


@pytest.mark.parametrize(("event", "target"), [
    ({"selection": {"points": [{"customdata": "19753", "lat": 16.4}]}}, ("centre", "19753")),
    ({"selection": {"points": [{"customdata": ["19753"]}]}}, ("centre", "19753")),
    ({"selection": {"points": [{"customdata": "province:46"}]}}, ("province", "46")),
    ({"selection": {"points": [{"lat": 1}, {"customdata": "x1"}]}}, ("centre", "x1")),
    ({"selection": {"points": []}}, None),
    ({}, None),
    (None, None),
])
def test_map_selection_gives_the_clicked_centre_or_province(event, target):
    assert maps.selection_target(event) == target


def test_status_map_points_carry_centre_ids_for_the_drill_down():
    points = pl.DataFrame({"id": ["a", "b"], "lat": [16.0, 16.1], "lon": [107.0, 107.1],
                           "status": [OK, DOWN], "sync_lag_s": [10.0, None]})
    labels = {s: s for s in (OK, DEGRADED, DOWN, STALE, NO_DATA)}
    fig = maps.status_map(points, labels, ["A", "B"])
    ids = [i for tr in fig.data for i in (tr.customdata or ())]
    assert sorted(ids) == ["a", "b"] and fig.layout.map.style == "white-bg"
    coloured = maps.status_map(points, labels, ["A", "B"], metric="sync_lag_s",
                               metric_label="lag")
    valued = coloured.data[0]
    assert list(valued.customdata) == ["a"]  # the down centre has no value: grey, not 0


def test_map_and_grid_are_built_making_almost_no_classes():
    """Figures are built in one constructor call: a layout set afterwards makes plotly
    define a class per key path (tests/unit/test_commune_charts.py), 524 for these three.
    Built at once, only names with an underscore are parsed (`paper_bgcolor`,
    `plot_bgcolor`: two classes each)."""
    points = pl.DataFrame({"id": ["a", "b"], "lat": [16.0, 16.1], "lon": [107.0, 107.1],
                           "status": [OK, DOWN], "sync_lag_s": [10.0, None],
                           "province_code": [46, 46]})
    labels = {s: s for s in (OK, DEGRADED, DOWN, STALE, NO_DATA)}
    summary = pl.DataFrame({"province_code": [46, 1], "state": [OK, DOWN]})

    def wall() -> None:
        maps.status_map(points, labels, ["A", "B"], tile_url="http://tiles.local/{z}/{x}/{y}")
        maps.status_map(points, labels, ["A", "B"], metric="sync_lag_s", metric_label="lag")
        maps.province_grid(summary, labels, ["Huế", "Hà Nội"], ["Huế", "Hà Nội"])

    wall()
    assert classes_made(wall) <= 8


def _alerts(rows):
    cols = ["id", "severity", "centre_id", "province_code", "state", "pending_since",
            "firing_since", "resolved_at", "acked_at"]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return df.with_columns([pl.col(c).cast(pl.Int64).cast(TIME) for c in cols[5:]])


def _ms(minutes):
    return None if minutes is None else int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)


def test_time_to_recover_uses_fired_and_resolved_alerts_only():
    frame = _alerts([
        (1, "critical", "a", 46, "resolved", _ms(0), _ms(2), _ms(12), None),   # 10 min
        (2, "warning", "a", 46, "resolved", _ms(20), _ms(20), _ms(50), None),  # 30 min
        (3, "warning", "a", 46, "resolved", _ms(60), None, _ms(61), None),     # never fired
        (4, "critical", "b", 46, "firing", _ms(0), _ms(1), None, None),        # still open
        (5, "critical", "b", 46, "resolved", _ms(0), _ms(0), _ms(5), None),    # 5 min
    ])
    ttr = alert_stats.time_to_recover(frame).to_dicts()
    assert ttr == [{"centre_id": "a", "recovered": 2, "median_s": 1200.0, "max_s": 1800.0},
                   {"centre_id": "b", "recovered": 1, "median_s": 300.0, "max_s": 300.0}]
    empty = alert_stats.time_to_recover(frame.head(0))
    assert empty.is_empty() and empty.schema["median_s"] == pl.Float64


def test_board_puts_critical_first_and_split_separates_acknowledged():
    frame = _alerts([
        (1, "warning", "a", 46, "firing", _ms(0), _ms(0), None, None),
        (2, "critical", "b", 1, "firing", _ms(5), _ms(6), None, _ms(7)),
        (3, "critical", "c", 46, "firing", _ms(1), _ms(1), None, None),
        (4, "info", "d", 46, "resolved", _ms(0), _ms(0), _ms(3), None),
    ])
    board = alert_stats.board(frame, T0 + timedelta(minutes=10))
    assert board["id"].to_list() == [3, 2, 1, 4]
    assert board["duration_s"].to_list() == [540.0, 240.0, 600.0, 180.0]
    parts = alert_stats.split(board)
    assert parts["active"]["id"].to_list() == [3, 1]
    assert parts["acknowledged"]["id"].to_list() == [2]
    assert parts["resolved"]["id"].to_list() == [4]
    assert alert_stats.critical_provinces(board) == (True, {46, 1})
    assert alert_stats.filter_history(board, severities=["critical"], states=[])["id"].to_list() \
        == [3, 2]


def test_active_at_replays_what_was_firing_then():
    frame = _alerts([
        (1, "critical", "a", 46, "resolved", _ms(0), _ms(1), _ms(10), None),
        (2, "critical", "b", 46, "firing", _ms(20), _ms(21), None, None),
        (3, "warning", "c", 46, "resolved", _ms(0), None, _ms(4), None),
    ])
    assert alert_stats.active_at(frame, T0 + timedelta(minutes=5))["id"].to_list() == [1]
    assert alert_stats.active_at(frame, T0 + timedelta(minutes=30))["id"].to_list() == [2]


def test_convex_hull_keeps_only_the_outer_points():
    square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    inside = [(1.0, 1.0), (0.5, 1.5), (1.0, 0.0)]  # (1, 0) lies on an edge: not a corner
    assert geo.convex_hull(square + inside) == square
    assert geo.convex_hull([(1.0, 1.0), (1.0, 1.0)]) == [(1.0, 1.0)]


def test_province_outlines_frame_each_province_with_three_or_more_located_centres():
    points = pl.DataFrame({
        "province_code": [46, 46, 46, 46, 1, 1],
        "lat": [16.0, 16.0, 16.4, 16.2, 21.0, None],
        "lon": [107.0, 107.4, 107.2, 107.2, 105.8, 105.9]})
    outlines = geo.province_outlines(points, pad_deg=0.1)
    assert [f["properties"]["province_code"] for f in outlines["features"]] == [46]
    ring = outlines["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 4  # a closed triangle: (107.2, 16.2) is inside
    lons, lats = [x for x, _ in ring], [y for _, y in ring]
    assert min(lons) < 107.0 and max(lons) > 107.4 and max(lats) > 16.4  # padded outwards
    fig = maps.status_map(points.with_columns(pl.lit(OK).alias("status"),
                                              pl.Series("id", list("abcdef"))),
                          {s: s for s in (OK, DEGRADED, DOWN, STALE, NO_DATA)}, list("ABCDEF"))
    assert [layer.type for layer in fig.layout.map.layers] == ["fill", "fill", "line"]


def test_province_outlines_are_built_once_per_set_of_coordinates():
    points = pl.DataFrame({"province_code": [46, 46, 46], "lat": [16.0, 16.0, 16.4],
                           "lon": [107.0, 107.4, 107.2], "status": [OK, DOWN, OK]})
    geo._outlines.cache_clear()
    first = geo.province_outlines(points)
    first["features"].clear()  # each call has its own copy
    again = geo.province_outlines(points.with_columns(pl.lit(DOWN).alias("status")))
    assert len(again["features"]) == 1 and geo._outlines.cache_info().hits == 1
    moved = geo.province_outlines(points.with_columns(pl.col("lat") + 1))
    assert moved != again and geo._outlines.cache_info().misses == 2
