"""The walls and the scopes' availability computed ahead: once per collection cycle, in the
background, for every wall a session showed lately and every scope whose finder or commune
pages were opened lately (`dashboard.runtime.ahead`), so a wall's load or refresh and a
staff page's availability only read.

One `Refresher` per database URL, made by a `st.cache_resource` factory and started there:
by the server's start (`start`, which also pins the deployment's own wall, so the first
wall after a start finds it ready or in flight) or by the first wall shown. A wall asks
with `wall`; the job then reads what the wall's live fragment reads, through the same
loaders and the cycle's live state: its alerts, view, gaps, week comparison and figures.
A staff page asks with `availability`: the 24 h availability of its scope (the finder's
column, a commune's figure where `availability.read_by_scope`), whose settled chunks are
cached and whose newest one is read once per cycle. On a province deployment `start` pins
its scope's availability too; on a national one it is computed ahead once asked, as reading
the whole country's newest polls each cycle for nobody would be waste.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import streamlit as st

from config.scope import NATIONAL_SCOPE, Scope
from config.settings import Settings
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.loaders import compare as data_compare
from dashboard.loaders import figures
from dashboard.loaders import gaps as data_gaps
from dashboard.runtime.ahead import Refresher
from dashboard.views import wall_fit

MAP, PROVINCES = "map", "provinces"
Figure = tuple[str, int, float]  # (MAP or PROVINCES, height in px, type scale)
DEFAULT_FIGURE_HEIGHT = 600  # the figures' own default height and scale (outside kiosk)


def _release(made: Refresher) -> None:
    made.stop()


@st.cache_resource(show_spinner=False, on_release=_release)
def refresher(url: str) -> Refresher:
    """The database's refresher, its thread started (one per process and URL; stopped when
    the cache lets it go)."""
    made = Refresher(partial(data.marker, url))
    made.start(name="ioc-ahead")
    return made


def wall_figures(kiosk: bool, whole_country: bool, screen_px: int | None) -> tuple[Figure, ...]:
    """The figures a wall draws: in kiosk, the province grid (whole country) or the map,
    sized to the screen (`wall_fit.map_size`); outside, the grid and the located centres'
    map (whole country) or the map, at their default size."""
    if kiosk:
        height, scale = wall_fit.map_size(screen_px)
        return ((PROVINCES if whole_country else MAP, height, scale),)
    shown = (PROVINCES, MAP) if whole_country else (MAP,)
    return tuple((kind, DEFAULT_FIGURE_HEIGHT, 1.0) for kind in shown)


def wall(cfg: Settings, *, scope: Scope, province: int | None, lang: str, metric: str,
         shown: tuple[Figure, ...], pinned: bool = False) -> None:
    """A live wall of `scope` (its part in `province`) in `lang`, its map coloured by
    `metric`, drawing the figures `shown`: compute its values ahead from now on."""
    key = ("wall", str(scope), province, lang, metric, shown)
    refresher(cfg.store.url).want(
        key, partial(wall_values, cfg, scope, province, lang, metric, shown), pinned=pinned)


def wall_values(cfg: Settings, scope: Scope, province: int | None, lang: str, metric: str,
                shown: tuple[Figure, ...]) -> None:
    """Compute what a live wall reads now (into the cycle's live state, nothing returned)."""
    now = datetime.now(UTC)
    data.wall_alerts(cfg, now, scope=scope, province=province)
    view = data.wall_view(cfg, now, scope=scope, province=province)
    data_gaps.wall_gaps(cfg, now, scope=scope, province=province)
    data_compare.week_comparison(cfg, now, scope=scope, province=province, today=view.today)
    if view.status.is_empty():
        return
    tz, tile_url = cfg.dashboard.timezone, cfg.dashboard.tile_url
    for kind, height, scale in shown:
        if kind == PROVINCES:
            figures.province_figure(view, lang, height=height, font_scale=scale)
        else:
            figures.map_figure(view, lang, now, tz, tile_url, metric, height=height,
                               font_scale=scale)


def availability(cfg: Settings, *, scope: Scope, pinned: bool = False) -> None:
    """A staff page of `scope` shows its 24 h availability: compute it ahead from now on."""
    refresher(cfg.store.url).want(("availability", str(scope)),
                                  partial(availability_values, cfg, scope), pinned=pinned)


def availability_values(cfg: Settings, scope: Scope) -> None:
    """Compute the 24 h availability a live page of `scope` reads now (into the caches)."""
    end = data_availability.window_end(datetime.now(UTC), data.newest_ms(cfg.store.url))
    data_availability.availability_24h(cfg, end, scope=scope)


def start(cfg: Settings) -> Refresher:
    """Start the refresher of the deployment's database with its own wall pinned: the
    deployment's scope (national without sign-in), in its language, as a kiosk shows it
    on a screen of unknown height; on a province deployment that scope's availability
    too."""
    dash, dep = cfg.dashboard, cfg.deployment
    scope = NATIONAL_SCOPE if dash.auth == "none" or dep.scope == "national" else \
        Scope.parse(f"province:{dep.province}")
    whole_country = dep.scope == "national" and scope.is_national
    wall(cfg, scope=scope, province=None, lang=dash.language, metric="status",
         shown=wall_figures(True, whole_country, None), pinned=True)
    if dep.scope != "national":
        availability(cfg, scope=scope, pinned=True)
    return refresher(cfg.store.url)
