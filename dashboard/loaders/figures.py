"""The wall's figures, built once per state of the data and shared by the sessions showing it.

Building the status map (hover texts, traces, plotly's validation of the layout) was
about a tenth of the dashboard's CPU under 50 walls, each rebuilding the same figure.
A figure depends on the wall's view (`data.WallView.key`), the language, the colouring,
the tile layer and, through the hover texts' "HH:MM today" or full dates, the local day;
walls that agree on all of these get one figure, kept in the collection cycle's live
state (`data.cycle`) and dropped with it. Streamlit only reads a figure it is
given (`st.plotly_chart` copies it with `to_dict`), so sharing one is safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard import i18n
from dashboard.loaders import common as data
from dashboard.views import fmt
from dashboard.views import geo as geo_view
from dashboard.widgets import components


def map_figure(view: data.WallView, lang: str, now: datetime, tz: str, tile_url: str | None,
               metric: str, *, height: int = 600, font_scale: float = 1.0
               ) -> tuple[Any, list[str]]:
    """The map of the view's centres (shared): over the province outlines
    (`geo_view.map_figure`), or over the site's own raster tiles when it has a tile
    server (`components.map_figure`). `height` in px, `font_scale` × the map's type."""
    key = ("map", view.key, lang, fmt.date(now, tz), tz, tile_url, metric, height, font_scale)

    def build() -> tuple[Any, list[str]]:
        tr = i18n.text(lang)
        if tile_url:
            return components.map_figure(view.status, tr, now, tz, tile_url, metric)
        return geo_view.map_figure(view.status, tr, now, tz, metric, height=height,
                                   font_scale=font_scale)

    return data.cycle(view.key[0]).get(key, build)


def province_figure(view: data.WallView, lang: str, *, height: int = 600,
                    font_scale: float = 1.0) -> Any:
    """The national map of the view's provinces (`geo_view.province_figure`, shared)."""
    return data.cycle(view.key[0]).get(
        ("provinces", view.key, lang, height, font_scale),
        lambda: geo_view.province_figure(view.provinces, view.status, i18n.text(lang),
                                         height=height, font_scale=font_scale))
