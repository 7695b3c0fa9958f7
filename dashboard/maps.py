"""Figure builders for maps (pure: DataFrames in, plotly figures out).

The map must draw on a closed network: plotly's `Scattermap` on the built-in
`white-bg` style needs no tiles, no CDN and no glyph server as long as no
text labels are drawn on the map (names go in the hover text). A dark
GeoJSON polygon over the whole world sits under the markers so the map
matches the dark wall; over it, each province's area is outlined from its
centres' own coordinates (`metrics.geo.province_outlines`: no boundary data
is fetched or shipped). A raster tile layer is added only when the site has
its own tile server (`dashboard.tile_url`).
"""

from __future__ import annotations

import polars as pl
from plotly import graph_objects as go

from metrics.geo import province_outlines
from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE

# Colour-blind-safe enough at a distance: hue and brightness both differ.
# Red: down; amber: a warning problem — degraded (#f5a623) or no new data (the centre_silent
# rule, a deeper amber); grey: never observed (no data yet).
STATUS_COLOURS = {OK: "#2ecc71", DEGRADED: "#f5a623", DOWN: "#ff3b30",
                  STALE: "#d9822b", NO_DATA: "#5a5a5f"}
# Drawn in this order so problems sit on top of healthy markers.
DRAW_ORDER = (OK, NO_DATA, STALE, DEGRADED, DOWN)
BACKGROUND = "#131a22"
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
               metric: str | None = None, metric_label: str = "") -> go.Figure:
    """Centres as large markers coloured by status; one trace per status (its legend entry).

    `points`: rows with id, lat, lon and status (and `metric`'s column when
    given); `hover`: one hover text per row; `labels`: status -> legend text in
    the page's language. With `metric`, centres with fresh data are coloured
    by that column's value (a colour bar titled `metric_label`) and sized by
    it; stale and never-polled centres stay grey: an old value is no value.
    Each point's customdata is its centre id (`selection_target`).
    """
    indexed = points.with_columns(pl.Series("hover", hover, dtype=pl.String))
    traces = [] if metric is None else _metric_traces(indexed, labels, metric, metric_label)
    for status in DRAW_ORDER if metric is None else (STALE, NO_DATA):
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
    lat, lon = points["lat"], points["lon"]
    centre = {"lat": 16.0, "lon": 106.0}
    zoom = 5.0
    if points.height:
        centre = {"lat": (lat.min() + lat.max()) / 2, "lon": (lon.min() + lon.max()) / 2}
        zoom = _zoom(lat.max() - lat.min(), lon.max() - lon.min())
    return go.Figure(data=traces, layout={
        "map": {"style": "white-bg", "layers": layers, "center": centre, "zoom": zoom},
        "height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND, "uirevision": "wall", "clickmode": "event+select",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 0.01, "xanchor": "left",
                   "x": 0.01, "bgcolor": "rgba(19,26,34,0.85)",
                   "font": {"size": 18, "color": "#f2f5f7"}},
        "hoverlabel": {"font": {"size": 18}}})


def _metric_traces(points: pl.DataFrame, labels: dict[str, str], metric: str,
                   metric_label: str) -> list[go.Scattermap]:
    """Fresh centres coloured and sized by `metric`; fresh ones without a value in grey."""
    fresh = points.filter(pl.col("status").is_in([OK, DEGRADED, DOWN]))
    valued = fresh.filter(pl.col(metric).is_not_null())
    values = valued[metric]
    top = float(values.max()) if valued.height and values.max() else 1.0  # type: ignore[arg-type]
    sizes = [12 + 20 * min(1.0, float(v) / top) for v in values.to_list()] if top else []
    traces = [go.Scattermap(
        lat=valued["lat"].to_list(), lon=valued["lon"].to_list(), mode="markers",
        marker={"size": sizes, "color": values.to_list(), "colorscale": METRIC_SCALE,
                "cmin": 0, "cmax": top, "opacity": 0.95,
                "colorbar": {"title": {"text": metric_label, "font": {"size": 16}},
                             "tickfont": {"size": 14, "color": "#f2f5f7"}, "x": 0.98}},
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


def selection_target(event: object) -> tuple[str, str] | None:
    """What a click on a map or grid asks for: ("centre", id), ("province", code) or None.

    `event` is what `st.plotly_chart(on_select="rerun")` returns: a mapping
    with selection.points, each carrying the point's customdata.
    """
    try:
        points = event["selection"]["points"]  # type: ignore[index]
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
