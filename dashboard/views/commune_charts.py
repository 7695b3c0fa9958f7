"""Plotly figures for the commune drill-down (pure: frames and words in, figures out).

Times are drawn in local time (the bucket columns are already in the display
zone; they are passed to plotly as naive local times so nothing shifts them).
A null row breaks a line: a gap in collection shows as a gap, never as 0.
Label text a centre sent (procedure names) is escaped: plotly reads some HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt

HEIGHT = 290
COLOURS = {"centre": "#4ea1ff", "median": "#9aa4ae", "p95": "#ff9f43", "received": "#4ea1ff",
           "resolved": "#2ecc71", "late": "#ff6b6b"}
TICKS = "%H:%M<br>%d/%m"
HOVER_TIME = "%H:%M %d/%m/%Y"


def _local(col: pl.Series) -> list[datetime]:
    return col.dt.replace_time_zone(None).to_list()


def _layout(title: str, unit: str, lang: str, start: datetime, end: datetime,
            tz: str) -> dict:
    """The time charts' layout: title, unit, the range in local time, the language's separators."""
    x0 = start.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    x1 = end.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return {"title": {"text": html.escape(title), "font": {"size": 15}}, "height": HEIGHT,
            "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "hovermode": "x unified",
            "separators": _separators(lang),
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                       "xanchor": "right"},
            "yaxis": {"title": {"text": unit}, "rangemode": "tozero"},
            "xaxis": {"range": [x0, x1], "tickformat": TICKS, "hoverformat": HOVER_TIME}}


def _separators(lang: str) -> str:
    return fmt.plotly_separators(lang)


def line_chart(series: Sequence[tuple[str, pl.DataFrame, str, bool]], title: str, unit: str,
               lang: str, start: datetime, end: datetime, tz: str,
               scale: float = 1.0) -> go.Figure:
    """Lines from (name, frame with bucket/value, colour, dashed) items; value × `scale`."""
    traces = [go.Scatter(x=_local(frame["bucket"]),
                         y=[None if v is None else v * scale for v in frame["value"].to_list()],
                         name=html.escape(name), mode="lines", connectgaps=False,
                         line={"color": colour, "dash": "dash" if dashed else "solid",
                               "width": 2})
              for name, frame, colour, dashed in series if not frame.is_empty()]
    return go.Figure(data=traces, layout=_layout(title, unit, lang, start, end, tz))


def bar_chart(series: Sequence[tuple[str, pl.DataFrame, str]], title: str, unit: str,
              lang: str, start: datetime, end: datetime, tz: str) -> go.Figure:
    """Grouped bars from (name, frame with bucket/increase, colour) items."""
    traces = [go.Bar(x=_local(frame["bucket"]), y=frame["increase"].to_list(),
                     name=html.escape(name), marker={"color": colour})
              for name, frame, colour in series if not frame.is_empty()]
    return go.Figure(data=traces, layout={**_layout(title, unit, lang, start, end, tz),
                                          "barmode": "group"})


def mix_chart(labels: Sequence[str], values: Sequence[float], title: str,
              lang: str) -> go.Figure:
    """Horizontal bars: dossiers received per procedure, largest on top."""
    bar = go.Bar(x=list(values)[::-1], y=[html.escape(s) for s in labels][::-1],
                 orientation="h", marker={"color": COLOURS["received"]})
    return go.Figure(data=[bar], layout={
        "title": {"text": html.escape(title), "font": {"size": 15}},
        "height": max(HEIGHT, 40 + 28 * len(labels)),
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "separators": _separators(lang)})


def timeline_table(timeline: pl.DataFrame, tr: Tr, tz: str) -> pl.DataFrame:
    """`drilldown.timeline` rows as plain display text, with the page language's headings.

    Alerts, failure details and events are worded for the language (`alert_text`); stored
    text (notes, a centre's own error words) is shown as it is, as dataframe cells: never
    rendered as markdown or HTML.
    """
    keys = ("start", "end", "duration", "kind", "severity", "what", "detail", "actor")
    columns = [tr(f"commune.timeline.{k}") for k in keys]
    rows = []
    for r in timeline.iter_rows(named=True):
        what, detail = r["what"] or "", r["detail"] or ""
        if r["kind"] == "outage":
            what = tr(f"reason.{what}") if f"reason.{what}" in i18n.VI else what
            detail = alert_text.poll_detail(detail, tr)
        elif r["kind"] == "alert":
            detail = alert_text.summary({"rule": what, "summary": detail,
                                         "facts": r.get("facts")}, tr)
            what = alert_text.rule_name(what, tr)
        elif r["kind"] != "gap":
            detail = alert_text.event_detail(r["kind"], detail, tr, tz)
            what = alert_text.rule_name(what, tr)
        end = tr("commune.timeline.ongoing") if r["ongoing"] else (
            fmt.date_time(r["end"], tz) if r["end"] is not None else "")
        severity = r["severity"] or ""
        if f"commune.severity.{severity}" in i18n.VI:
            severity = tr(f"commune.severity.{severity}")
        rows.append(dict(zip(columns, (
            fmt.date_time(r["start"], tz) if r["start"] is not None else "", end,
            fmt.duration(r["duration_s"], tr.lang) if r["duration_s"] is not None else "",
            tr(f"commune.kind.{r['kind']}"), severity, what, detail,
            r["actor"] or ""), strict=True)))
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))
