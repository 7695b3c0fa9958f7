"""Figure builders for maps (pure: DataFrames in, plotly figures out).

The map must draw on a closed network: plotly's `Scattermap` on the built-in
`white-bg` style needs no tiles, no CDN and no glyph server as long as no
text labels are drawn on the map (names go in the hover text). A dark
GeoJSON polygon over the whole world sits under the markers so the map
matches the dark wall. A raster tile layer is added only when the site has
its own tile server (`dashboard.tile_url`).
"""

from __future__ import annotations

import polars as pl
from plotly import graph_objects as go

from metrics.queries import DEGRADED, DOWN, NO_DATA, OK, STALE

# Colour-blind-safe enough at a distance: hue and brightness both differ.
STATUS_COLOURS = {OK: "#2ecc71", DEGRADED: "#f5a623", DOWN: "#ff3b30",
                  STALE: "#8e8e93", NO_DATA: "#5a5a5f"}
# Drawn in this order so problems sit on top of healthy markers.
DRAW_ORDER = (OK, NO_DATA, STALE, DEGRADED, DOWN)
BACKGROUND = "#131a22"
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
               *, tile_url: str | None = None, height: int = 600) -> go.Figure:
    """Centres as large markers coloured by status; one trace per status (its legend entry).

    `points`: rows with lat, lon and status; `hover`: one hover text per row;
    `labels`: status -> legend text in the page's language.
    """
    fig = go.Figure()
    indexed = points.with_columns(pl.Series("hover", hover, dtype=pl.String))
    for status in DRAW_ORDER:
        part = indexed.filter(pl.col("status") == status)
        fig.add_trace(go.Scattermap(
            lat=part["lat"].to_list(), lon=part["lon"].to_list(), mode="markers",
            marker={"size": 22 if status in (DOWN, DEGRADED) else 17,
                    "color": STATUS_COLOURS[status], "opacity": 0.95},
            name=f"{labels[status]} ({part.height})", text=part["hover"].to_list(),
            hovertemplate="%{text}<extra></extra>", showlegend=True))
    layers = [{"sourcetype": "geojson", "source": WORLD, "type": "fill", "below": "traces",
               "color": BACKGROUND, "opacity": 1.0}]
    if tile_url:
        layers.append({"sourcetype": "raster", "source": [tile_url], "below": "traces"})
    lat, lon = points["lat"], points["lon"]
    centre = {"lat": 16.0, "lon": 106.0}
    zoom = 5.0
    if points.height:
        centre = {"lat": (lat.min() + lat.max()) / 2, "lon": (lon.min() + lon.max()) / 2}
        zoom = _zoom(lat.max() - lat.min(), lon.max() - lon.min())
    fig.update_layout(
        map={"style": "white-bg", "layers": layers, "center": centre, "zoom": zoom},
        height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=BACKGROUND, uirevision="wall",
        legend={"orientation": "h", "yanchor": "bottom", "y": 0.01, "xanchor": "left",
                "x": 0.01, "bgcolor": "rgba(19,26,34,0.85)",
                "font": {"size": 18, "color": "#f2f5f7"}},
        hoverlabel={"font": {"size": 18}})
    return fig
