"""The wall's maps over the province outlines, in the page's language (figures from
dashboard/views/maps.py; words from dashboard/texts/geomap.py).

Commune and ward outlines are not drawn: no openly licensed data of the communes as
they stand since 1 July 2025 exists to ship, so a province wall draws each centre as a
point and says so on the map.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from streamlit import config

from config.registry import provinces
from dashboard.geography import serve
from dashboard.i18n import Tr
from dashboard.views import fmt, maps
from dashboard.widgets import components
from metrics import queries as q


def geojson_url() -> str:
    """Where browsers fetch the outlines (this server's route, under its base path)."""
    return serve.path(config.get_option("server.baseUrlPath") or "")


def province_names() -> dict[int, str]:
    """Code -> the short name written on the map ("Huế", "Lâm Đồng")."""
    return {c: components.plot_text(components.short_province(p.name))
            for c, p in provinces().items()}


def map_figure(status: pl.DataFrame, tr: Tr, now: datetime, tz: str, metric: str = "status",
               *, height: int = 600, font_scale: float = 1.0) -> tuple[Any, list[str]]:
    """A province's (or a set of centres') map and the notes under it (approximate
    coordinates, centres without any)."""
    points, unplaced = maps.mapped(status)
    labels = {s: tr(f"status.{s}") for s in q.STATUSES}
    codes = status["province_code"].unique().to_list() if "province_code" in status.columns \
        else []
    fig = maps.geo_status_map(
        points, labels, components.hover_texts(points, tr, now, tz),
        geojson_url=geojson_url(), province=codes[0] if len(codes) == 1 else None,
        province_names=province_names(), metric=components.MAP_METRICS.get(metric),
        metric_label=tr(f"wall2.metric.{metric}"), separators=fmt.plotly_separators(tr.lang),
        height=height, font_scale=font_scale, note=tr("geomap.communes_note"))
    notes = []
    if points.height and "coords_approximate" in points.columns \
            and points["coords_approximate"].any():
        notes.append(tr("map.approx"))
    if unplaced.height:
        names = [components.md_text(n) for n in unplaced["name"].head(12).to_list()]
        more = f" … (+{unplaced.height - 12})" if unplaced.height > 12 else ""
        notes.append(tr("map.unmapped", names=", ".join(names) + more))
    return fig, notes


def province_figure(summary: pl.DataFrame, status: pl.DataFrame, tr: Tr, *,
                    height: int = 600, font_scale: float = 1.0) -> Any:
    """The national map: the 34 provinces coloured by state, named; centres with a
    problem that have coordinates marked and named."""
    labels = {s: tr(f"status.{s}") for s in q.STATUSES}
    lang = tr.lang
    names = province_names()
    text = dict(names)
    hover = {c: tr("geomap.unwatched", name=components.plot_text(p.name))
             for c, p in provinces().items()}
    for row in summary.iter_rows(named=True):
        code = row["province_code"]
        text[code] = tr("wall2.prov.tile", name=names.get(code, ""),
                        up=fmt.number(row["up"], lang), total=fmt.number(row["centres"], lang))
        hover[code] = (tr("wall2.prov.hover", name=components.plot_text(row["province_name"]),
                        state=labels[row["state"]], up=fmt.number(row["up"], lang),
                        total=fmt.number(row["centres"], lang),
                        down=fmt.number(row[q.DOWN], lang),
                        degraded=fmt.number(row[q.DEGRADED], lang),
                        stale=fmt.number(row[q.STALE] + row[q.NO_DATA], lang)))
    problems = status.filter(pl.col("status").is_in(list(maps.PROBLEMS))) \
        .select("id", "name", "province_code", "lat", "lon", "status")
    return maps.geo_province_map(
        summary, labels, text, hover, geojson_url=geojson_url(), problems=problems,
        separators=fmt.plotly_separators(lang), height=height, font_scale=font_scale,
        more=tr("geomap.more", n="{n}"),
        places=[(15.2, 111.9, tr("geomap.hoang_sa")), (7.9, 113.8, tr("geomap.truong_sa"))])
