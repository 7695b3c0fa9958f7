"""Render helpers for the pages: each takes computed frames/values and writes Streamlit elements.

No database access here (that is `dashboard.loaders.common`), no metric arithmetic
(that is `metrics.queries`); only wording, formatting and layout.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt, maps, wall_fit
from dashboard.views import alerts as alerts_view
from dashboard.views import incidents as incident_view
from dashboard.views.problem_words import problem_name, problem_text
from dashboard.views.week import WeekDisplay
from metrics import queries as q
from metrics.alerts import stats as alert_stats
from metrics.store.records import from_ms
from metrics.today import Today

# The commune drill-down page (url_path "commune", ?centre=<id>) a map click opens.
COMMUNE_PAGE = Path(__file__).resolve().parents[1] / "app_pages" / "commune.py"
LAGGING_ROWS = 6  # what fits beside the map on a 1080p wall without scrolling
# Markdown's (and HTML's) punctuation; `:` too (Streamlit's :red[…] and :emoji: directives).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:&])")


def md_text(text: object) -> str:
    """Untrusted text (a centre's name, an alert's summary, a URL parameter) made inert for
    any element that renders Markdown — st.markdown/caption/metric/table cells/messages:
    every Markdown and HTML punctuation mark backslash-escaped, line breaks flattened, so it
    shows as the same characters and never as markup."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


class Quoted(str):
    """A string for templates that quote with `{value!r}`: its repr is `md_text`-escaped."""

    def __repr__(self) -> str:
        return md_text(str.__repr__(self))


def plot_text(text: object) -> str:
    """Untrusted text for a plotly label or hover text (plotly reads a few HTML tags)."""
    return html.escape(str(text), quote=True)


def _when(ts: datetime, now: datetime, tz: str) -> str:
    """HH:MM today, HH:MM dd/mm/yyyy otherwise."""
    same_day = fmt.date(ts, tz) == fmt.date(now, tz)
    return fmt.clock(ts, tz) if same_day else fmt.date_time(ts, tz)


def why(row: dict[str, Any], tr: Tr, now: datetime, tz: str) -> str:
    """Why a centre is not ok, in one line (from a `centre_status` row): down with its
    reason and since when, stale since when, or the alert conditions it breaks."""
    status = row["status"]
    if status == q.NO_DATA:
        return tr("why.no_data")
    if status == q.STALE:
        return tr("why.stale", t=_when(row["last_poll"], now, tz))
    if status == q.DOWN:
        if row["poll_ok"] is False and row["reason"]:
            reason = tr(f"reason.{row['reason']}")
        elif row.get("system_state") == 0:
            reason = tr("reason.soft_down")
        else:
            reason = problem_name("centre_down", tr)
        since = row.get("down_since")
        if since is None:
            return reason
        key = "why.down_at_least" if row.get("since_window_start") else "why.down_since"
        return tr(key, t=_when(since, now, tz), reason=reason)
    return "; ".join(problem_text(r, row, tr) for r in row.get("problems") or [])


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


def render_tiles(k: q.Kpis, newest: datetime | None, now: datetime, tr: Tr, tz: str,
                 *, compact: bool = False, week: WeekDisplay | None = None) -> None:
    """The KPI tiles in one row. Missing figures show a dash, never 0. `compact` (the
    kiosk wall): a span in its largest unit ("25 phút"), so a value fits its tile on one
    line at every screen size, and each figure in a detail line kept whole. `week`: the
    same time last week beside the received and resolved dossiers (the kiosk wall gives it
    the detail line; elsewhere it follows the counting window)."""
    lang = tr.lang
    parts = 1 if compact else 2

    def span(seconds: float | None) -> str:
        return fmt.duration(seconds, lang, parts)

    def whole(text: str | None) -> str | None:
        return text if text is None or not compact else _figures_whole(text)
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
        otp_worst = tr("tile.otp_worst", value=span(k.otp_p95_worst_s),
                       centre=md_text(k.otp_p95_worst_centre))
    overdue = None if k.overdue is None else tr("tile.overdue_detail",
                                                overdue=fmt.number(k.overdue, lang))
    def dossiers(key: str) -> str:
        if week is None or k.received is None:
            return since
        last = week.row(key).tile(tr)
        return last if compact else f"{since} · {last}"
    tiles: list[tuple[str, str, str | None, Literal["red", "orange", "gray"]]] = [
        (tr("tile.centres_up"), up, detail, "red" if k.counts[q.DOWN] else "gray"),
        (tr("tile.received"), fmt.number(k.received, lang), dossiers("received"), "gray"),
        (tr("tile.resolved"), fmt.number(k.resolved, lang), dossiers("resolved"), "gray"),
        (tr("tile.late"), fmt.number(k.late, lang), since, "orange" if k.late else "gray"),
        (tr("tile.on_time"), fmt.percent(k.on_time_rate, lang), overdue, "gray"),
        (tr("tile.otp"), span(k.otp_p95_median_s), otp_worst, "gray"),
        (tr("tile.sync"), span(k.sync_lag_worst_s),
         None if k.sync_lag_worst_centre is None else md_text(k.sync_lag_worst_centre), "gray"),
    ]
    # What a figure is, where its name alone could be mistaken for another (KPI 2.1); not on
    # a kiosk wall, which has nothing to press or hover (the KPI page explains it too).
    helps = {} if is_kiosk() else {tr("tile.on_time"): tr("tile.on_time_help")}
    for col, (label, value, delta, colour) in zip(st.columns(len(tiles)), tiles, strict=True):
        col.metric(label, value, whole(delta), delta_color=colour, delta_arrow="off", border=True,
                   height="stretch", help=helps.get(label))


# A chart's height: pixels, or as its container / its content decides.
Height = int | Literal["stretch", "content"]
_FIGURE = re.compile(r"(\d[\d.,]*) (?=\S)")


def _figures_whole(text: str) -> str:
    """Each number kept on one line with the word after it ("2 phút 20 giây" → no break
    inside): a no-break space after every figure."""
    return _FIGURE.sub("\\1\u00a0", text)


def today_basis(today: Today, at: datetime, tr: Tr, tz: str) -> str | None:
    """What today's dossier counts rest on when it is coarser than the raw samples
    (`metrics.today`): the roll-up and the time they count up to; None when exact."""
    if today.exact:
        return None
    return tr(f"today.basis.{today.resolution}", t=fmt.clock(from_ms(today.until_ms), tz),
              at=fmt.date_time(at, tz))


def hover_texts(points: pl.DataFrame, tr: Tr, now: datetime, tz: str) -> list[str]:
    """One hover text per map point: name, status and why."""
    out = []
    for row in points.iter_rows(named=True):
        lines = [f"<b>{plot_text(row['name'])}</b>", tr(f"status.{row['status']}")]
        reason = why(row, tr, now, tz)
        if reason:
            lines.append(reason)
        if row["status"] in (q.OK, q.DEGRADED) and row["sync_lag_s"] is not None:
            lines.append(f"{tr('lag.sync')}: {fmt.duration(row['sync_lag_s'], tr.lang)}")
        out.append("<br>".join(lines))
    return out


# Map colourings: query/selector key -> centre_status column (None: by status).
MAP_METRICS: dict[str, str | None] = {"status": None, "sync_lag": "sync_lag_s",
                                      "otp_p95": "otp_p95_s", "overdue": "overdue",
                                      "unsynced": "unsynced"}
MAP_CONFIG = {"displayModeBar": False, "scrollZoom": True}


def map_figure(status: pl.DataFrame, tr: Tr, now: datetime, tz: str, tile_url: str | None,
               metric: str = "status") -> tuple[Any, list[str]]:
    """The status map (plotly figure) and the notes under it (approximate, unplaced)."""
    points, unplaced = maps.mapped(status)
    labels = {s: tr(f"status.{s}") for s in q.STATUSES}
    column = MAP_METRICS.get(metric)
    fig = maps.status_map(points, labels, hover_texts(points, tr, now, tz), tile_url=tile_url,
                          metric=column, metric_label=tr(f"wall2.metric.{metric}"),
                          separators=fmt.plotly_separators(tr.lang))
    notes = []
    if points.height and points["coords_approximate"].any():
        notes.append(tr("map.approx"))
    if unplaced.height:
        names = [md_text(n) for n in unplaced["name"].head(12).to_list()]
        more = f" … (+{unplaced.height - 12})" if unplaced.height > 12 else ""
        notes.append(tr("map.unmapped", names=", ".join(names) + more))
    return fig, notes


def _on_select(selectable: bool) -> Literal["rerun", "ignore"]:
    """A chart's `on_select`: rerun the page on a click when the chart is selectable."""
    return "rerun" if selectable else "ignore"


def render_map(built: tuple[Any, list[str]], *, selectable: bool = True,
               height: Height = "content") -> tuple[str, str] | None:
    """The status map and its notes (`map_figure`'s), centres without coordinates listed
    under it.

    Returns what a click selected (`maps.selection_target`), when `selectable`.
    """
    fig, notes = built
    event = st.plotly_chart(fig, key="wall-map", config=MAP_CONFIG, height=height,
                            on_select=_on_select(selectable), selection_mode="points")
    if notes:
        st.caption(" · ".join(notes))
    return maps.selection_target(event) if selectable else None


def province_figure(summary: pl.DataFrame, tr: Tr) -> Any:
    """The national grid of provinces (plotly figure), one tile per province."""
    labels = {s: tr(f"status.{s}") for s in q.STATUSES}
    lang = tr.lang
    tiles, hover = [], []
    for row in summary.iter_rows(named=True):
        name = plot_text(short_province(row["province_name"]))
        tiles.append(tr("wall2.prov.tile", name=name, up=fmt.number(row["up"], lang),
                        total=fmt.number(row["centres"], lang)))
        hover.append(tr("wall2.prov.hover", name=plot_text(row["province_name"]),
                        state=labels[row["state"]], up=fmt.number(row["up"], lang),
                        total=fmt.number(row["centres"], lang),
                        down=fmt.number(row[q.DOWN], lang),
                        degraded=fmt.number(row[q.DEGRADED], lang),
                        stale=fmt.number(row[q.STALE] + row[q.NO_DATA], lang)))
    return maps.province_grid(summary, labels, tiles, hover)


def short_province(name: str) -> str:
    """"Thành phố Hà Nội" → "Hà Nội", "Tỉnh Lâm Đồng" → "Lâm Đồng": room on a tile."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def render_provinces(fig: Any, tr: Tr, *, selectable: bool = True,
                     height: Height = "content") -> tuple[str, str] | None:
    """The national view's province grid (`province_figure`'s); returns a clicked
    province, when `selectable`."""
    event = st.plotly_chart(fig, key="wall-provinces", height=height,
                            config={"displayModeBar": False},
                            on_select=_on_select(selectable), selection_mode="points")
    st.caption(tr("wall2.prov.note"))
    return maps.selection_target(event) if selectable else None


def alert_board_table(board: pl.DataFrame, tr: Tr, now: datetime, tz: str,
                      causes: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Active alerts (`alert_stats.board` rows) as display text, in the page's language,
    with each alert's phase (pending, inhibited, in maintenance) and who acknowledged or
    silenced it (`alerts_view.handling_text`); cells from the store are `md_text`-escaped
    (st.table renders Markdown). An incident folded by `alert_stats.fold_incidents` is one
    row naming its cause (`causes`: rule → cause in the page's language) and centres."""
    lang = tr.lang
    keys = ("wall2.alerts.severity", "wall2.alerts.centre", "wall2.alerts.summary",
            "wall2.alerts.since", "wall2.alerts.duration", "alerts.col.handling")
    rows = []
    for row in board.iter_rows(named=True):
        where, what = incident_view.incident_cells(row, tr, causes or {}) or (
            row["centre"] or row["centre_id"] or tr("wall2.alerts.whole"),
            alert_text.summary(row, tr))
        phase = row.get("phase")
        severity = severity_text(row["severity"], tr) + (
            f" · {tr('wall2.phase.' + phase)}" if phase not in (None, "firing") else "")
        rows.append(dict(zip([tr(k) for k in keys], (
            md_text(severity), md_text(where), md_text(what),
            _when(row["since"], now, tz), fmt.duration(row["duration_s"], lang),
            md_text(alerts_view.handling_text(row, tr, tz, now))), strict=True)))
    return pl.DataFrame(rows, schema=dict.fromkeys([tr(k) for k in keys], pl.String))


def severity_text(severity: str, tr: Tr) -> str:
    """The severity's word; an unknown one (from a newer engine) is shown as it is."""
    key = f"wall2.severity.{severity}"
    return tr(key) if key in i18n.VI else severity


def render_alert_board(board: pl.DataFrame, tr: Tr, now: datetime, tz: str,
                       shown: int = LAGGING_ROWS) -> None:
    """The wall's active alerts, most urgent first, an incident's centres folded into its
    one row; read-only (no buttons, ever)."""
    from dashboard.loaders.alerts import incident_causes

    causes = incident_causes(tr.lang)
    _render_capped(alert_stats.fold_incidents(board), shown, tr, "wall2.alerts",
                   lambda head: alert_board_table(head, tr, now, tz, causes))


def lagging_table(lagging: pl.DataFrame, tr: Tr, now: datetime, tz: str) -> pl.DataFrame:
    """The lagging centres as display text, with the page language's column names (the
    name `md_text`-escaped: st.table renders Markdown).

    Sync lag and OTP p95 appear in "why" when they are the problem.
    """
    lang = tr.lang
    rows = [{
        tr("lag.commune"): md_text(row["name"]),
        tr("lag.status"): tr(f"status.{row['status']}"),
        tr("lag.why"): why(row, tr, now, tz),
        tr("lag.overdue"): fmt.number(row["overdue"], lang),
    } for row in lagging.iter_rows(named=True)]
    columns = [tr(k) for k in ("lag.commune", "lag.status", "lag.why", "lag.overdue")]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))


def render_lagging(lagging: pl.DataFrame, tr: Tr, now: datetime, tz: str,
                   shown: int = LAGGING_ROWS) -> None:
    """The centres needing attention: the first `shown` rows, then how many more."""
    _render_capped(lagging, shown, tr, "lag", lambda head: lagging_table(head, tr, now, tz))


def _render_capped(rows: pl.DataFrame, shown: int, tr: Tr, words: str,
                   table: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    """A wall panel: `<words>.title`, then `<words>.none` when there are no rows, else the
    first `shown` rows as `table` makes them and `<words>.more` counting the rest."""
    st.subheader(tr(f"{words}.title"))
    if rows.is_empty():
        st.success(tr(f"{words}.none"))
        return
    st.table(table(rows.head(shown)), hide_index=True)
    if rows.height > shown:
        st.caption(tr(f"{words}.more", n=rows.height - shown))


def render_not_found(tr: Tr, path: str, home: Any) -> None:
    """The page for a URL path that names no page this person may open; a link home."""
    st.warning(tr("common.not_found", path=md_text(path)))
    st.page_link(home, label=tr("common.not_found.home"))


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
/* A value is never cut to "96,…": it scales with the screen and wraps when it must. */
[data-testid="stMetricValue"] { font-size: clamp(1.5rem, 2.3vw, 2.6rem); }
[data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
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


KIOSK_CSS = wall_fit.KIOSK_CSS  # every size a share of the screen height
KIOSK_KEY = "kiosk"


def kiosk_flag(value: object) -> bool:
    """`?kiosk=1` (or true/yes) when the dashboard runs without sign-in (auth: none)."""
    return str(value or "").lower() in ("1", "true", "yes")


def is_kiosk() -> bool:
    """The unattended wall, without any control: a kiosk link's session
    (`dashboard.session.signin`), or `?kiosk=1` where no sign-in is configured."""
    who = st.session_state.get("ioc.who")  # dashboard.session.signin.WHO_KEY
    if who is not None:
        return bool(who.kiosk)
    return kiosk_flag(st.query_params.get(KIOSK_KEY))


def apply_wall_style(kiosk: bool = False) -> None:
    st.markdown(WALL_CSS + wall_fit.BADGE_CSS + (KIOSK_CSS if kiosk else ""),
                unsafe_allow_html=True)
