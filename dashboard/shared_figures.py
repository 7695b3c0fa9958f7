"""The wall's figures, built once per state of the data and shared by the sessions showing it.

Building the status map (hover texts, traces, plotly's validation of the layout) was
about a tenth of the dashboard's CPU under 50 walls, each rebuilding the same figure.
A figure depends on the wall's view (`data.WallView.key`), the language, the colouring,
the tile layer and, through the hover texts' "HH:MM today" or full dates, the local day;
walls that agree on all of these get one figure. Streamlit only reads a figure it is
given (`st.plotly_chart` copies it with `to_dict`), so sharing one is safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from dashboard import components, data, fmt, i18n


def map_figure(view: data.WallView, lang: str, now: datetime, tz: str, tile_url: str | None,
               metric: str) -> tuple[Any, list[str]]:
    """`components.map_figure` of the view's centres (shared)."""
    return _map_figure(view.key, lang, fmt.date(now, tz), tz, tile_url, metric, _view=view,
                       _now=now)


@st.cache_resource(ttl=data.LIVE_TTL_S, max_entries=64, show_spinner=False)
def _map_figure(view_key: tuple, lang: str, day: str, tz: str, tile_url: str | None,
                metric: str, *, _view: data.WallView, _now: datetime) -> tuple[Any, list[str]]:
    return components.map_figure(_view.status, i18n.text(lang), _now, tz, tile_url, metric)


def province_figure(view: data.WallView, lang: str) -> Any:
    """`components.province_figure` of the view's provinces (shared)."""
    return _province_figure(view.key, lang, _view=view)


@st.cache_resource(ttl=data.LIVE_TTL_S, max_entries=32, show_spinner=False)
def _province_figure(view_key: tuple, lang: str, *, _view: data.WallView) -> Any:
    return components.province_figure(_view.provinces, i18n.text(lang))
