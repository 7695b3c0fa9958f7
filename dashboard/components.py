"""Render helpers for the pages: each takes computed frames/values and writes Streamlit elements.

No database access here (that is `dashboard.data`), no metric arithmetic
(that is `metrics.queries`); only wording, formatting and layout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from dashboard import fmt, i18n, maps
from dashboard.i18n import Tr
from metrics import queries as q

THRESHOLDS = q.Thresholds()
LAGGING_ROWS = 6  # what fits beside the map on a 1080p wall without scrolling


def _when(ts: datetime, now: datetime, tz: str) -> str:
    """HH:MM today, HH:MM dd/mm/yyyy otherwise."""
    same_day = fmt.date(ts, tz) == fmt.date(now, tz)
    return fmt.clock(ts, tz) if same_day else fmt.date_time(ts, tz)


def why(row: dict[str, Any], tr: Tr, now: datetime, tz: str) -> str:
    """Why a centre is not ok, in one line (from a `centre_status` row)."""
    status = row["status"]
    if status == q.NO_DATA:
        return tr("why.no_data")
    if status == q.STALE:
        return tr("why.stale", t=_when(row["last_poll"], now, tz))
    if status == q.DOWN:
        reason = tr(f"reason.{row['reason']}") if not row["poll_ok"] and row["reason"] \
            else tr("reason.soft_down")
        since = row.get("down_since")
        if since is None:
            return reason
        key = "why.down_at_least" if row.get("since_window_start") else "why.down_since"
        return tr(key, t=_when(since, now, tz), reason=reason)
    parts = []
    if row["bad_components"]:
        names = ", ".join(tr(f"component.{c}") for c in row["bad_components"])
        parts.append(tr("why.components", names=names))
    if (row["sync_lag_s"] or 0) > THRESHOLDS.sync_lag_s:
        parts.append(tr("why.sync_lag", value=fmt.duration(row["sync_lag_s"], tr.lang)))
    if (row["otp_p95_s"] or 0) > THRESHOLDS.otp_p95_s:
        parts.append(tr("why.otp", value=fmt.duration(row["otp_p95_s"], tr.lang)))
    return "; ".join(parts) if parts else (tr("why.system") if status == q.DEGRADED else "")


def render_freshness(newest: datetime | None, stale: bool, now: datetime, tr: Tr,
                     tz: str) -> None:
    """The data's age: "Cập nhật 12 giây trước", a warning when stale, a note when none."""
    if newest is None:
        st.info(tr("fresh.none"))
        return
    values = {"ago": fmt.ago(newest, now, tr.lang), "t": _when(newest, now, tz)}
    if stale:
        st.warning(tr("fresh.stale", **values))
    else:
        st.markdown(f'<p class="ioc-fresh">{tr("fresh.updated", **values)}</p>',
                    unsafe_allow_html=True)


def render_tiles(k: q.Kpis, newest: datetime | None, now: datetime, tr: Tr, tz: str) -> None:
    """The KPI tiles in one row. Missing figures show a dash, never 0."""
    lang = tr.lang
    fresh = k.counts[q.OK] + k.counts[q.DEGRADED] + k.counts[q.DOWN]
    up = f"{k.centres_up}/{k.centres_total}" if fresh else f"{fmt.DASH}/{k.centres_total}"
    problems = {"down": k.counts[q.DOWN], "degraded": k.counts[q.DEGRADED],
                "stale": k.counts[q.STALE] + k.counts[q.NO_DATA]}
    detail = " · ".join(tr(f"tile.detail.{key}", n=n) for key, n in problems.items() if n) \
        or tr("tile.detail.all_ok")
    since = tr("tile.since", t=fmt.clock(newest, tz)) if newest else tr("tile.no_data_today")
    if k.received is None:
        since = tr("tile.no_data_today")
    otp_worst = None
    if k.otp_p95_worst_s is not None:
        otp_worst = tr("tile.otp_worst", value=fmt.duration(k.otp_p95_worst_s, lang),
                       centre=k.otp_p95_worst_centre)
    overdue = None if k.overdue is None else tr("tile.overdue_detail",
                                                overdue=fmt.number(k.overdue, lang))
    tiles = [
        (tr("tile.centres_up"), up, detail, "red" if k.counts[q.DOWN] else "gray"),
        (tr("tile.received"), fmt.number(k.received, lang), since, "gray"),
        (tr("tile.resolved"), fmt.number(k.resolved, lang), since, "gray"),
        (tr("tile.late"), fmt.number(k.late, lang), since, "orange" if k.late else "gray"),
        (tr("tile.on_time"), fmt.percent(k.on_time_rate, lang), overdue, "gray"),
        (tr("tile.otp"), fmt.duration(k.otp_p95_median_s, lang), otp_worst, "gray"),
        (tr("tile.sync"), fmt.duration(k.sync_lag_worst_s, lang), k.sync_lag_worst_centre,
         "gray"),
    ]
    for col, (label, value, delta, colour) in zip(st.columns(len(tiles)), tiles, strict=True):
        col.metric(label, value, delta, delta_color=colour, delta_arrow="off", border=True,
                   height="stretch")


def hover_texts(points: pl.DataFrame, tr: Tr, now: datetime, tz: str) -> list[str]:
    """One hover text per map point: name, status and why."""
    out = []
    for row in points.iter_rows(named=True):
        lines = [f"<b>{row['name']}</b>", tr(f"status.{row['status']}")]
        reason = why(row, tr, now, tz)
        if reason:
            lines.append(reason)
        if row["status"] in (q.OK, q.DEGRADED) and row["sync_lag_s"] is not None:
            lines.append(f"{tr('lag.sync')}: {fmt.duration(row['sync_lag_s'], tr.lang)}")
        out.append("<br>".join(lines))
    return out


def render_map(status: pl.DataFrame, tr: Tr, now: datetime, tz: str,
               tile_url: str | None) -> None:
    """The status map; centres without coordinates are listed under it."""
    points, unplaced = maps.mapped(status)
    labels = {s: tr(f"status.{s}") for s in q.STATUSES}
    fig = maps.status_map(points, labels, hover_texts(points, tr, now, tz), tile_url=tile_url)
    st.plotly_chart(fig, key="wall-map", config={"displayModeBar": False, "scrollZoom": True})
    notes = []
    if points.height and points["coords_approximate"].any():
        notes.append(tr("map.approx"))
    if unplaced.height:
        notes.append(tr("map.unmapped", names=", ".join(unplaced["name"].to_list())))
    if notes:
        st.caption(" · ".join(notes))


def lagging_table(lagging: pl.DataFrame, tr: Tr, now: datetime, tz: str) -> pl.DataFrame:
    """The lagging centres as display text, with the page language's column names.

    Sync lag and OTP p95 appear in "why" when they are the problem.
    """
    lang = tr.lang
    rows = [{
        tr("lag.commune"): row["name"],
        tr("lag.status"): tr(f"status.{row['status']}"),
        tr("lag.why"): why(row, tr, now, tz),
        tr("lag.overdue"): fmt.number(row["overdue"], lang),
    } for row in lagging.iter_rows(named=True)]
    columns = [tr(k) for k in ("lag.commune", "lag.status", "lag.why", "lag.overdue")]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))


def render_lagging(lagging: pl.DataFrame, tr: Tr, now: datetime, tz: str,
                   shown: int = LAGGING_ROWS) -> None:
    """The centres needing attention: the first `shown` rows, then how many more."""
    st.subheader(tr("lag.title"))
    if lagging.is_empty():
        st.success(tr("lag.none"))
        return
    st.table(lagging_table(lagging.head(shown), tr, now, tz), hide_index=True)
    if lagging.height > shown:
        st.caption(tr("lag.more", n=lagging.height - shown))


LANG_NAMES = {"vi": "Tiếng Việt", "en": "English"}
LANG_KEY = "lang"


def current_language(default: str) -> str:
    """The session's language: the sidebar switch, else ?lang=, else `default`."""
    chosen = st.session_state.get(LANG_KEY)
    if chosen in i18n.LANGS:
        return chosen
    return i18n.pick_language(st.query_params.get("lang"), default)


def render_language_switch(default: str) -> str:
    """The sidebar's vi/en switch (kept in ?lang= so a wall can be bookmarked); the choice."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = current_language(default)
    lang = st.sidebar.radio(i18n.text(st.session_state[LANG_KEY])("sidebar.language"),
                            i18n.LANGS, key=LANG_KEY, format_func=LANG_NAMES.__getitem__,
                            horizontal=True)
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    return lang


WALL_CSS = """
<style>
/* Readable from across the room: big tiles, big table text, little chrome. */
[data-testid="stMetricLabel"] p { font-size: 1.2rem; font-weight: 600; }
[data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stMetricDelta"] { font-size: 1rem; height: auto !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th {
  font-size: 1.15rem; padding: .3rem .55rem;
}
[data-testid="stMarkdownContainer"] p.ioc-fresh {
  font-size: 1.7rem; font-weight: 600; margin: 0; text-align: right; color: #c9d1d9;
}
[data-testid="stCaptionContainer"] { font-size: 1.05rem; }
.block-container { padding-top: 1rem; padding-bottom: .5rem; max-width: 100%; }
</style>
"""


def apply_wall_style() -> None:
    st.markdown(WALL_CSS, unsafe_allow_html=True)
