"""Figure builders for maps (pure: DataFrames in, plotly figures out).

The wall's maps are plotly's d3 geo maps (`geo_status_map`, `geo_province_map`):
they draw SVG, so names can be written on the map with no glyph server, and with
every base layer off plotly.js fetches no topojson. The outlines are the 34
provinces of `dashboard/geography` (Natural Earth, public domain), referenced by
URL (`geojson_url`): the browser fetches them once and plotly.js keeps them for
the page's life, so a refresh sends only the figure. The first trace of a geo
map is always a Scattergeo: plotly.js decides whether to fetch its world
topojson from the FIRST trace (a choropleth there would make it fetch from
cdn.plot.ly).

`status_map` (MapLibre, `Scattermap`) stays for a site with its own raster tile
server (`dashboard.tile_url`): it draws no text on the map (that would need a
glyph server), only markers over the tiles and the centres' convex outline
(`metrics.geo.province_outlines`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import polars as pl
from plotly import graph_objects as go

from dashboard import geography
from metrics.geo import province_outlines
from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE

# Colour-blind-safe enough at a distance: hue and brightness both differ.
# Red: down; amber: a warning problem — degraded (#f5a623) or no new data (the centre_silent
# rule, a deeper amber); grey: never observed (no data yet).
STATUS_COLOURS = {OK: "#2ecc71", DEGRADED: "#f5a623", DOWN: "#ff3b30",
                  STALE: "#d9822b", NO_DATA: "#5a5a5f"}
# Drawn in this order so problems sit on top of healthy markers.
DRAW_ORDER = (OK, NO_DATA, STALE, DEGRADED, DOWN)
# Coloured by their status even when a metric colours the map (down last: on top, red).
BESIDE_METRIC = (NO_DATA, STALE, DOWN)
PROBLEMS = (DOWN, DEGRADED, STALE)  # labelled with their names on the map
BACKGROUND = "#131a22"
# A problem centre's name on the map, in px on a 1080-line screen (scaled with it): 1.7 % of
# the screen's height, above the wall's 1.5 % floor for any label.
LABEL_PX = 18
OUTLINE_FILL, OUTLINE_LINE = "#1b2530", "#3d4b5c"  # the area the province's centres cover
# Low values dark blue, high values bright yellow: readable on the dark wall.
METRIC_SCALE = "Plasma"
WORLD = {"type": "Feature", "properties": {}, "geometry": {
    "type": "Polygon",
    "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]]}}


def mapped(status: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(centres with coordinates, centres without): the second is listed, not mapped."""
    has = pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
    return status.filter(has), status.filter(~has)


def _zoom(lat_span: float, lon_span: float) -> float:
    """A zoom that fits the span (degrees) into roughly a 600 px square."""
    span = max(lat_span, lon_span, 0.02) * 1.25  # room for the markers at the edges
    zoom = 8.0
    while zoom > 3 and span * 1.15 > 360 / 2 ** zoom * (600 / 256):
        zoom -= 0.25
    while zoom < 13 and span * 1.15 < 360 / 2 ** (zoom + 0.25) * (600 / 256):
        zoom += 0.25
    return zoom


def status_map(points: pl.DataFrame, labels: dict[str, str], hover: list[str],
               *, tile_url: str | None = None, height: int = 600,
               metric: str | None = None, metric_label: str = "",
               separators: str = ",.") -> go.Figure:
    """Centres as large markers coloured by status; one trace per status (its legend entry).

    `points`: rows with id, lat, lon and status (and `metric`'s column when
    given); `hover`: one hover text per row; `labels`: status -> legend text in
    the page's language. With `metric`, centres with fresh data are coloured
    by that column's value (a colour bar titled `metric_label`) and sized by
    it; a down centre stays red and stale and never-polled centres keep their
    status colour: an outage never turns into a value, an old value is no value.
    Each point's customdata is its centre id (`selection_target`). `separators`: the
    language's decimal and thousands marks (`fmt.plotly_separators`), for the colour bar.
    """
    indexed = points.with_columns(pl.Series("hover", hover, dtype=pl.String))
    traces = [] if metric is None else _metric_traces(indexed, labels, metric, metric_label)
    for status in DRAW_ORDER if metric is None else BESIDE_METRIC:
        part = indexed.filter(pl.col("status") == status)
        traces.append(go.Scattermap(
            lat=part["lat"].to_list(), lon=part["lon"].to_list(), mode="markers",
            marker={"size": 22 if status in (DOWN, DEGRADED) else 17,
                    "color": STATUS_COLOURS[status], "opacity": 0.95},
            name=f"{labels[status]} ({part.height})", text=part["hover"].to_list(),
            customdata=part["id"].to_list(),
            hovertemplate="%{text}<extra></extra>", showlegend=True))
    layers = [{"sourcetype": "geojson", "source": WORLD, "type": "fill", "below": "traces",
               "color": BACKGROUND, "opacity": 1.0}]
    if "province_code" in points.columns:  # where the province's centres lie (not its border)
        outlines = province_outlines(points)
        layers += [{"sourcetype": "geojson", "source": outlines, "type": "fill",
                    "below": "traces", "color": OUTLINE_FILL, "opacity": 1.0},
                   {"sourcetype": "geojson", "source": outlines, "type": "line",
                    "below": "traces", "color": OUTLINE_LINE, "line": {"width": 2}}]
    if tile_url:
        layers.append({"sourcetype": "raster", "source": [tile_url], "below": "traces"})
    centre = {"lat": 16.0, "lon": 106.0}
    zoom = 5.0
    if points.height:
        lat_lo, lat_hi, lon_lo, lon_hi = points.select(
            pl.col("lat").min().alias("lat_lo"), pl.col("lat").max().alias("lat_hi"),
            pl.col("lon").min().alias("lon_lo"), pl.col("lon").max().alias("lon_hi")).row(0)
        centre = {"lat": (lat_lo + lat_hi) / 2, "lon": (lon_lo + lon_hi) / 2}
        zoom = _zoom(lat_hi - lat_lo, lon_hi - lon_lo)
    return go.Figure(data=traces, layout={
        "map": {"style": "white-bg", "layers": layers, "center": centre, "zoom": zoom},
        "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND, "uirevision": "wall", "clickmode": "event+select",
        "separators": separators,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 0.01, "xanchor": "left",
                   "x": 0.01, "bgcolor": "rgba(19,26,34,0.85)",
                   "font": {"size": 18, "color": "#f2f5f7"}},
        "hoverlabel": {"font": {"size": 18}}})


def _metric_traces(points: pl.DataFrame, labels: dict[str, str], metric: str,
                   metric_label: str) -> list[go.Scattermap]:
    """Up centres coloured and sized by `metric`; up ones without a value in grey."""
    fresh = points.filter(pl.col("status").is_in([OK, DEGRADED]))
    valued = fresh.filter(pl.col(metric).is_not_null())
    values = valued[metric]
    peak = valued.select(pl.col(metric).max()).item() if valued.height else None
    top = float(peak) if peak else 1.0
    sizes = [12 + 20 * min(1.0, float(v) / top) for v in values.to_list()] if top else []
    traces = [go.Scattermap(
        lat=valued["lat"].to_list(), lon=valued["lon"].to_list(), mode="markers",
        marker={"size": sizes, "color": values.to_list(), "colorscale": METRIC_SCALE,
                "cmin": 0, "cmax": top, "opacity": 0.95,
                "colorbar": {"title": {"text": metric_label, "font": {"size": 16}},
                             "tickfont": {"size": 14, "color": "#f2f5f7"}, "x": 0.98,
                             "exponentformat": "none"}},  # 10.800, not "10.8k"
        name=f"{metric_label} ({valued.height})", text=valued["hover"].to_list(),
        customdata=valued["id"].to_list(), hovertemplate="%{text}<extra></extra>",
        showlegend=True)]
    missing = fresh.filter(pl.col(metric).is_null())
    if missing.height:
        traces.append(go.Scattermap(
            lat=missing["lat"].to_list(), lon=missing["lon"].to_list(), mode="markers",
            marker={"size": 14, "color": STATUS_COLOURS[NO_DATA]},
            name=f"{labels[NO_DATA]} ({missing.height})", text=missing["hover"].to_list(),
            customdata=missing["id"].to_list(), hovertemplate="%{text}<extra></extra>"))
    return traces


def province_grid(summary: pl.DataFrame, labels: dict[str, str], tile_text: list[str],
                  hover: list[str], *, columns: int = 7, height: int = 600) -> go.Figure:
    """The national view: one square tile per province coloured by its state, in code order.

    Not a map (the registry has no coordinates for most provinces): a grid
    that draws offline and reads from across the room. `tile_text`: the words
    on each tile; customdata is "province:<code>" (`selection_target`).
    """
    n = summary.height
    rows = max(1, -(-n // columns))
    xs = [i % columns for i in range(n)]
    ys = [rows - 1 - i // columns for i in range(n)]
    states = summary["state"].to_list()
    traces = [go.Scatter(
        x=xs, y=ys, mode="markers+text", text=tile_text,
        textfont={"size": 15, "color": "#0b1016"},
        marker={"symbol": "square", "size": 96, "color": [STATUS_COLOURS[s] for s in states],
                "line": {"width": 0}},
        customdata=[f"province:{c}" for c in summary["province_code"].to_list()],
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False)]
    traces += [go.Scatter(x=[None], y=[None], mode="markers",  # legend entries only
                          marker={"symbol": "square", "size": 18,
                                  "color": STATUS_COLOURS[state]},
                          name=f"{labels[state]} ({states.count(state)})")
               for state in DRAW_ORDER]
    return go.Figure(data=traces, layout={
        "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND, "plot_bgcolor": BACKGROUND, "uirevision": "provinces",
        "clickmode": "event+select",
        "xaxis": {"visible": False, "range": [-0.6, columns - 0.4], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-0.6, rows - 0.4], "fixedrange": True},
        "legend": {"orientation": "h", "yanchor": "top", "y": 0.0, "x": 0.0,
                   "font": {"size": 18, "color": "#f2f5f7"}},
        "hoverlabel": {"font": {"size": 18}}})


def selection_target(event: Any) -> tuple[str, str] | None:
    """What a click on a map or grid asks for: ("centre", id), ("province", code) or None.

    `event` is what `st.plotly_chart(on_select="rerun")` returns: a mapping
    with selection.points, each carrying the point's customdata.
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, list):
            data = data[0] if data else None
        if not isinstance(data, str) or not data:
            continue
        if data.startswith("province:"):
            return ("province", data.split(":", 1)[1])
        return ("centre", data)
    return None


# --- d3 geo maps over the shipped province outlines --------------------------------------

LAND_FILL = "#1a222c"  # the neighbouring countries
NEIGHBOUR_FILL, NEIGHBOUR_LINE = "#161e27", "#33414f"  # provinces around a province wall
PROVINCE_FILL, PROVINCE_LINE = "#22303d", "#7d8fa3"  # the province a wall is about
UNWATCHED = "#232c36"  # a province with no centre in this deployment's scope
LABEL_LIGHT, LABEL_DARK = "#f2f5f7", "#0b1016"
NAME_FAINT = "#8494a6"
LAYERS_OFF = {f"show{layer}": False for layer in (
    "land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits", "frame")}
CENTRE_PREFIXES = ("Phường ", "Xã ", "Đặc khu ", "Thị trấn ")


def short_centre(name: str) -> str:
    """"Phường Phú Xuân" → "Phú Xuân": the name a wall writes next to a centre."""
    for prefix in CENTRE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _written(name: str) -> str:
    """A centre's short name as map text (escaped: plotly reads a few HTML tags)."""
    return html.escape(short_centre(name), quote=True)


def problem_text(points: pl.DataFrame) -> list[str]:
    """The word written next to each point: its short name when it has a problem
    (down, degraded, no new data), nothing otherwise."""
    return [_written(n) if s in PROBLEMS else ""
            for n, s in zip(points["name"].to_list(), points["status"].to_list(), strict=True)]


LABEL_SIDES = ("top center", "bottom center", "middle right", "middle left")


def label_sides(lats: list[float], lons: list[float], labelled: list[bool],
                box: tuple[float, float, float, float],
                near: tuple[float, float] = (0.09, 0.05)) -> list[str]:
    """Where each point's name goes (plotly `textposition`): above it, unless a name already
    placed for a point within `near` (fractions of the box's lon and lat spans) sits on
    that side, then below, right or left, in that order; so two close centres' names do
    not print over each other. Unlabelled points get "top center"."""
    dx, dy = (box[2] - box[0]) * near[0], (box[3] - box[1]) * near[1]
    sides = ["top center"] * len(lats)
    placed: list[tuple[float, float, str]] = []
    for i in sorted((i for i, on in enumerate(labelled) if on), key=lambda i: -lats[i]):
        taken = {side for lat, lon, side in placed
                 if abs(lat - lats[i]) < dy and abs(lon - lons[i]) < dx}
        sides[i] = next((side for side in LABEL_SIDES if side not in taken), LABEL_SIDES[0])
        placed.append((lats[i], lons[i], sides[i]))
    return sides


def view_box(box: tuple[float, float, float, float] | None, points: pl.DataFrame,
             pad: float = 0.08, min_span: float = 0.3) -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) holding `box` (a province's mainland) and the
    located `points`, padded by `pad` of the span; Vietnam's box when there is neither."""
    xs, ys = [], []
    if box is not None:
        xs += [box[0], box[2]]
        ys += [box[1], box[3]]
    located = points.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
    xs += located["lon"].to_list()
    ys += located["lat"].to_list()
    if not xs:
        return geography.VIETNAM_VIEW
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    dx, dy = max(x1 - x0, min_span), max(y1 - y0, min_span)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - dx * (0.5 + pad), cy - dy * (0.5 + pad),
            cx + dx * (0.5 + pad), cy + dy * (0.5 + pad))


def _geo_layout(box: tuple[float, float, float, float], height: int, font_scale: float,
                separators: str, uirevision: str, note: str = "",
                legend_top_right: bool = False) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "geo": {**LAYERS_OFF, "visible": False, "bgcolor": BACKGROUND,
                "projection": {"type": "mercator"}, "fitbounds": False,
                "lonaxis": {"range": [box[0], box[2]]}, "lataxis": {"range": [box[1], box[3]]}},
        "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND, "uirevision": uirevision, "clickmode": "event+select",
        "separators": separators, "dragmode": False,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 0.01, "xanchor": "left",
                   "x": 0.01, "bgcolor": "rgba(19,26,34,0.85)",
                   "font": {"size": round(18 * font_scale), "color": LABEL_LIGHT}},
        "hoverlabel": {"font": {"size": round(18 * font_scale)}}}
    if legend_top_right:  # the national map: the sea's corner, clear of the country
        layout["legend"].update(orientation="v", yanchor="top", y=0.99, xanchor="right",
                                x=0.99)
    if note:
        layout["annotations"] = [{"text": note, "xref": "paper", "yref": "paper", "x": 0.01,
                                  "y": 0.99, "xanchor": "left", "yanchor": "top",
                                  "showarrow": False, "align": "left",
                                  "bgcolor": "rgba(19,26,34,0.85)",
                                  "font": {"size": round(13 * font_scale), "color": NAME_FAINT}}]
    return layout


def _names_trace(names: dict[int, str], colours: dict[int, str], size: int) -> go.Scattergeo:
    """Province names at their label points."""
    where = geography.label_points()
    codes = [c for c in names if c in where]
    return go.Scattergeo(
        lat=[where[c][0] for c in codes], lon=[where[c][1] for c in codes], mode="text",
        text=[names[c] for c in codes],
        textfont={"size": size, "color": [colours.get(c, LABEL_LIGHT) for c in codes]},
        hoverinfo="skip", showlegend=False, name="")


def _land_trace(geojson_url: str) -> go.Choropleth:
    return go.Choropleth(
        geojson=geojson_url, locations=[geography.LAND_ID], z=[0], featureidkey="id",
        colorscale=[[0, LAND_FILL], [1, LAND_FILL]], showscale=False,
        marker={"line": {"width": 0}}, hoverinfo="skip", name="")


def geo_status_map(points: pl.DataFrame, labels: dict[str, str], hover: list[str], *,
                   geojson_url: str, province: int | None = None,
                   province_names: dict[int, str] | None = None,
                   metric: str | None = None, metric_label: str = "",
                   separators: str = ",.", height: int = 600, font_scale: float = 1.0,
                   note: str = "") -> go.Figure:
    """A province (or any set of centres) over the real outlines: the province's own
    outline, its neighbours faint, the coast; centres as markers coloured by status (or
    by `metric`, a down centre staying red); every centre with a problem named on the map.

    `points`: id, name, lat, lon, status (and `metric`'s column); `hover`: one text per
    row; `labels`: status -> legend word; `province_names`: code -> name written on the
    map (the province and its neighbours); `note`: a line in the top corner (e.g. that
    commune outlines are not drawn). Customdata: centre ids; a click on a province
    gives "province:<code>" (`selection_target`)."""
    scale = font_scale
    names = province_names or {}
    box = view_box(geography.bounds(province) if province is not None else None, points)
    inside = {c for c, (lat, lon) in geography.label_points().items()
              if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]}
    # The neighbours' names (the wall's title names its own province); a Scattergeo first.
    shown = {c: n for c, n in names.items() if c in inside and c != province}
    traces: list = [_names_trace(shown, dict.fromkeys(shown, NAME_FAINT), round(15 * scale)),
                    _land_trace(geojson_url)]
    codes = sorted(geography.label_points())
    traces.append(go.Choropleth(
        geojson=geojson_url, featureidkey="id", locations=[str(c) for c in codes],
        z=[1 if c == province else 0 for c in codes], zmin=0, zmax=1,
        colorscale=[[0, NEIGHBOUR_FILL], [1, PROVINCE_FILL]], showscale=False,
        marker={"line": {"color": [PROVINCE_LINE if c == province else NEIGHBOUR_LINE
                                   for c in codes],
                         "width": [2.5 if c == province else 1 for c in codes]}},
        customdata=[f"province:{c}" for c in codes], hoverinfo="skip", name=""))
    written = problem_text(points)
    sides = label_sides(points["lat"].to_list(), points["lon"].to_list(),
                        [bool(w) for w in written], box)
    indexed = points.with_columns(pl.Series("hover", hover, dtype=pl.String),
                                  pl.Series("label", written, dtype=pl.String),
                                  pl.Series("side", sides, dtype=pl.String))
    if metric is not None:
        traces += _geo_metric_traces(indexed, labels, metric, metric_label, scale)
    for status in DRAW_ORDER if metric is None else BESIDE_METRIC:
        part = indexed.filter(pl.col("status") == status)
        traces.append(go.Scattergeo(
            lat=part["lat"].to_list(), lon=part["lon"].to_list(), mode="markers+text",
            text=part["label"].to_list(), textposition=part["side"].to_list(),
            textfont={"size": round(LABEL_PX * scale), "color": LABEL_LIGHT},
            marker={"size": round((20 if status in (DOWN, DEGRADED) else 14) * scale),
                    "color": STATUS_COLOURS[status], "opacity": 0.95,
                    "line": {"width": 1, "color": BACKGROUND}},
            name=f"{labels[status]} ({part.height})", hovertext=part["hover"].to_list(),
            customdata=part["id"].to_list(), hovertemplate="%{hovertext}<extra></extra>",
            showlegend=True))
    return go.Figure(data=traces, layout=_geo_layout(box, height, scale, separators,
                                                     "wall", note))


def _geo_metric_traces(points: pl.DataFrame, labels: dict[str, str], metric: str,
                       metric_label: str, scale: float) -> list[go.Scattergeo]:
    """Up centres coloured and sized by `metric`; up ones without a value in grey."""
    fresh = points.filter(pl.col("status").is_in([OK, DEGRADED]))
    valued = fresh.filter(pl.col(metric).is_not_null())
    values = valued[metric]
    peak = valued.select(pl.col(metric).max()).item() if valued.height else None
    top = float(peak) if peak else 1.0
    sizes = [round((10 + 16 * min(1.0, float(v) / top)) * scale) for v in values.to_list()]
    traces = [go.Scattergeo(
        lat=valued["lat"].to_list(), lon=valued["lon"].to_list(), mode="markers+text",
        text=valued["label"].to_list(), textposition=valued["side"].to_list(),
        textfont={"size": round(LABEL_PX * scale), "color": LABEL_LIGHT},
        marker={"size": sizes, "color": values.to_list(), "colorscale": METRIC_SCALE,
                "cmin": 0, "cmax": top, "opacity": 0.95,
                "colorbar": {"title": {"text": metric_label,
                                       "font": {"size": round(16 * scale)}},
                             "tickfont": {"size": round(14 * scale), "color": LABEL_LIGHT},
                             "x": 0.98, "exponentformat": "none"}},
        name=f"{metric_label} ({valued.height})", hovertext=valued["hover"].to_list(),
        customdata=valued["id"].to_list(), hovertemplate="%{hovertext}<extra></extra>",
        showlegend=True)]
    missing = fresh.filter(pl.col(metric).is_null())
    if missing.height:
        traces.append(go.Scattergeo(
            lat=missing["lat"].to_list(), lon=missing["lon"].to_list(), mode="markers+text",
            text=missing["label"].to_list(), textposition=missing["side"].to_list(),
            textfont={"size": round(LABEL_PX * scale), "color": LABEL_LIGHT},
            marker={"size": round(12 * scale), "color": STATUS_COLOURS[NO_DATA]},
            name=f"{labels[NO_DATA]} ({missing.height})", hovertext=missing["hover"].to_list(),
            customdata=missing["id"].to_list(), hovertemplate="%{hovertext}<extra></extra>"))
    return traces


PROVINCE_STATES = (OK, NO_DATA, STALE, DEGRADED, DOWN)


def geo_province_map(summary: pl.DataFrame, labels: dict[str, str],
                     province_text: dict[int, str], hover: dict[int, str], *,
                     geojson_url: str, problems: pl.DataFrame | None = None,
                     separators: str = ",.", height: int = 600, font_scale: float = 1.0,
                     note: str = "", more: str = "+{n}",
                     places: Sequence[tuple[float, float, str]] = ()) -> go.Figure:
    """The national wall: the 34 provinces coloured by their state
    (`metrics.geo.province_summary`), each named; provinces without a centre in scope
    dark; every centre with a problem (`problems`: id, name, province_code, status)
    named in its province's callout (`callout_traces`).

    `province_text`, `hover`: code -> what is written on the province, its hover text;
    `more`: "+{n}" in the page's language; `places`: (lat, lon, text) written as they
    are (the archipelagos' names). Customdata "province:<code>" (`selection_target`)."""
    scale = font_scale
    state_of = dict(zip(summary["province_code"].to_list(), summary["state"].to_list(),
                        strict=True))
    codes = sorted(geography.label_points())
    n = len(PROVINCE_STATES) + 1  # the states, then "not in scope"
    colours = [*(STATUS_COLOURS[s] for s in PROVINCE_STATES), UNWATCHED]
    scale_steps = [step for i, c in enumerate(colours) for step in ([i / n, c], [(i + 1) / n, c])]
    index = [PROVINCE_STATES.index(state_of[c]) if c in state_of else n - 1 for c in codes]
    text_colour = {c: (LABEL_DARK if c in state_of and state_of[c] != NO_DATA else LABEL_LIGHT)
                   for c in codes}
    # First an empty Scattergeo (see the module's docstring); the names last, on top.
    traces: list = [go.Scattergeo(lat=[None], lon=[None], mode="markers", hoverinfo="skip",
                                  showlegend=False, name=""),
                    _land_trace(geojson_url)]
    if places:
        traces.append(go.Scattergeo(
            lat=[p[0] for p in places], lon=[p[1] for p in places], text=[p[2] for p in places],
            mode="text", textfont={"size": round(12 * scale), "color": NAME_FAINT},
            hoverinfo="skip", showlegend=False, name=""))
    traces.append(go.Choropleth(
        geojson=geojson_url, featureidkey="id", locations=[str(c) for c in codes],
        z=[i + 0.5 for i in index], zmin=0, zmax=n, colorscale=scale_steps, showscale=False,
        marker={"line": {"color": BACKGROUND, "width": 1}},
        customdata=[f"province:{c}" for c in codes],
        hovertext=[hover.get(c, "") for c in codes],
        hovertemplate="%{hovertext}<extra></extra>", name=""))
    traces += callout_traces(problems, labels, more, scale)
    states = list(state_of.values())
    traces += [go.Scattergeo(lat=[None], lon=[None], mode="markers",  # legend entries only
                             marker={"symbol": "square", "size": round(18 * scale),
                                     "color": STATUS_COLOURS[state]},
                             name=f"{labels[state]} ({states.count(state)})")
               for state in PROVINCE_STATES]
    traces.append(_names_trace(province_text, text_colour, round(12 * scale)))
    return go.Figure(data=traces, layout=_geo_layout(geography.VIETNAM_VIEW, height, scale,
                                                     separators, "provinces", note,
                                                     legend_top_right=True))


CALLOUT_LON = 113.4  # callouts are written in the sea, east of the Hoàng Sa islands
CALLOUT_NAMES = 9  # names per status in one callout; the rest counted ("+3")
CALLOUT_PER_LINE = 3  # names per line of a callout
CALLOUT_GAP_DEG = 0.62  # latitude per line of callout text at the national view's scale


def callout_lines(part: pl.DataFrame, labels: dict[str, str], more: str) -> list[str]:
    """The lines naming a province's problem centres, worst status first ("<status>:
    name, name, name", then `CALLOUT_PER_LINE` names a line, the rest counted by `more`),
    each coloured like its status."""
    lines = []
    for status in (DOWN, DEGRADED, STALE):
        names = sorted(_written(n) for n in
                       part.filter(pl.col("status") == status)["name"].to_list())
        if not names:
            continue
        shown = names[:CALLOUT_NAMES]
        if len(names) > CALLOUT_NAMES:
            shown.append(more.format(n=len(names) - CALLOUT_NAMES))
        rows = [", ".join(shown[i:i + CALLOUT_PER_LINE])
                for i in range(0, len(shown), CALLOUT_PER_LINE)]
        rows[0] = f"{labels[status]}: {rows[0]}"
        lines += [f"<span style='color:{STATUS_COLOURS[status]}'>{row}</span>" for row in rows]
    return lines


def callout_traces(problems: pl.DataFrame | None, labels: dict[str, str], more: str,
                   scale: float = 1.0) -> list[go.Scattergeo]:
    """The national map's callouts: for each province with a problem, its problem centres
    named (`callout_lines`) in the sea beside it, a line from the province to them (a wall
    has no hover, and 3,321 centres do not fit as points at this scale: the province's
    colour and name stay visible). Callouts are stacked north to south without overlap."""
    if problems is None or not problems.height:
        return []
    where = geography.label_points()
    problems = problems.filter(pl.col("status").is_in(list(PROBLEMS)))
    order = sorted({c for c in problems["province_code"].to_list() if c in where},
                   key=lambda c: -where[c][0])
    traces: list = []
    next_lat = 90.0
    text_lat, text_lon, texts, line_lat, line_lon = [], [], [], [], []
    for code in order:
        lines = callout_lines(problems.filter(pl.col("province_code") == code), labels, more)
        height = CALLOUT_GAP_DEG * len(lines)
        lat = min(where[code][0], next_lat - height / 2)
        next_lat = lat - height / 2 - CALLOUT_GAP_DEG * 0.5
        text_lat.append(lat)
        text_lon.append(CALLOUT_LON)
        texts.append("<br>".join(lines))
        edge = geography.bounds(code)  # from the coast, clear of the province's name
        line_lat += [where[code][0], lat, None]
        line_lon += [edge[2] if edge else where[code][1], CALLOUT_LON - 0.1, None]
    traces.append(go.Scattergeo(lat=line_lat, lon=line_lon, mode="lines",
                                line={"color": LABEL_LIGHT, "width": 1}, hoverinfo="skip",
                                showlegend=False, name=""))
    traces.append(go.Scattergeo(lat=text_lat, lon=text_lon, mode="text", text=texts,
                                textposition="middle right",
                                textfont={"size": round(LABEL_PX * scale),
                                          "color": LABEL_LIGHT},
                                hoverinfo="skip", showlegend=False, name=""))
    return traces
