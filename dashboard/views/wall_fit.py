"""The kiosk wall sized to the screen it is on: read from 4 m, never scrolled, never cut.

Every length of the kiosk wall is a share of the screen's height (CSS `vh`; the root font
size too, so Streamlit's own rem-based sizes follow), so the same layout fits 1366×768 and
3840×2160 alike. Its lists have a fixed number of one- or two-line rows, chosen here from
the height they have (`fit_rows`), and summarise the rest ("và 9 cảnh báo khác") instead of
growing the page. The count badge ("5 ngừng · 8 cảnh báo") reads the page's own figures:
the down count of `metrics.queries.centre_status` (the tiles') and the alert board's rows.

HTML here is built from escaped text only (`html.escape`): names and summaries come from
centres and are untrusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt
from dashboard.views import alerts as alerts_view
from dashboard.views import incidents as incident_view
from dashboard.views import playlist as pl_
from metrics import queries as q
from metrics.alerts import stats as alert_stats

# The kiosk layout, in % of the screen height (vh). The right-hand column holds both lists
# in BODY_VH; each list has a title and a "more" line; rows are of fixed height.
BODY_VH = 63.0
TITLE_VH = 4.6  # a list's title with its margin
MORE_VH = 3.0  # "và 9 cảnh báo khác" (or the "nothing to show" line)
GAP_VH = 1.2  # between the two lists
ALERT_ROW_VH = 6.4  # two lines: severity, centre, what, how long · who handles it
LAG_ROW_VH = 3.9  # one line: status, centre, why
TILES_VH = 20.0  # the row of tiles, with its gap
MAP_NOTE_VH = 4.0  # under the map: its note ("Toạ độ gần đúng"), with the gap
MIN_ALERT_ROWS = 2  # the alerts keep at least this many rows when centres crowd them


def rows_budget() -> float:
    """The height (vh) the two lists' rows share: the body less titles, more-lines, gap."""
    return BODY_VH - 2 * TITLE_VH - 2 * MORE_VH - GAP_VH


def fit_rows(n_alerts: int, n_lagging: int, n_down: int, budget: float | None = None
             ) -> tuple[int, int]:
    """How many alert rows and lagging-centre rows fit in `budget` vh (default
    `rows_budget()`): the lagging list first gets a row for every down centre (so each is
    named) and at least four, keeping room for `MIN_ALERT_ROWS` alerts; the alerts take
    what is left; then any room the alerts do not need goes back to the lagging list."""
    budget = rows_budget() if budget is None else budget
    keep = min(n_alerts, MIN_ALERT_ROWS) * ALERT_ROW_VH
    lag_room = max(0, math.floor((budget - keep) / LAG_ROW_VH + 1e-9))
    lagging = min(n_lagging, max(n_down, 4), lag_room)
    alerts = min(n_alerts, max(0, math.floor((budget - lagging * LAG_ROW_VH) / ALERT_ROW_VH
                                             + 1e-9)))
    lagging = min(n_lagging, max(0, math.floor((budget - alerts * ALERT_ROW_VH) / LAG_ROW_VH
                                               + 1e-9)))
    return alerts, lagging


def board_rows() -> int:
    """Alert rows of the full-width alert board (a playlist's `alerts` view, no tiles):
    the body and the tiles' height."""
    return math.floor((BODY_VH + TILES_VH - TITLE_VH - MORE_VH) / ALERT_ROW_VH)


REFERENCE_HEIGHT_PX = 1080  # the screen height the map's type is drawn for at scale 1
_VIEWPORT_JS = """
export default function ({ setStateValue }) {
  const send = () => setStateValue("height", window.innerHeight);
  send();
  window.addEventListener("resize", send);
  return () => window.removeEventListener("resize", send);
}
"""


def screen_height() -> int | None:
    """The browser window's height in CSS px (a custom component reports it, and again on
    resize; the page reruns when it changes); None until it has (the first run, AppTest)."""
    viewport = st.components.v2.component("ioc_viewport", html="<span></span>",
                                          js=_VIEWPORT_JS)
    result = viewport(key="ioc-viewport", on_height_change=lambda: None)
    height = getattr(result, "height", None)
    return int(height) if isinstance(height, int | float) and height > 0 else None


def map_size(screen_px: int | None) -> tuple[int, float]:
    """The map's figure height (px) and type scale for a screen `screen_px` high: its box
    (`BODY_VH` less its note) and the screen's height over `REFERENCE_HEIGHT_PX`; a
    1080-line screen's when not known yet."""
    screen = screen_px or REFERENCE_HEIGHT_PX
    return round(screen * (BODY_VH - MAP_NOTE_VH) / 100), screen / REFERENCE_HEIGHT_PX


@dataclass(frozen=True, slots=True)
class Counts:
    """The badge's figures: centres down (the tiles' status), alerts on the board and
    follow-up assignments past their due time."""

    down: int
    alerts: int
    overdue: int = 0


def counts(kpis: q.Kpis, board: pl.DataFrame, overdue: int = 0) -> Counts:
    """The badge's figures from what the page already computed: `kpis.counts` (the one
    status evaluation), the alert board as the list shows it (an incident's centres
    folded into its one row) and the count of overdue assignments (`data_actions`)."""
    return Counts(kpis.counts[q.DOWN], alert_stats.fold_incidents(board).height, overdue)


# HTML's and Markdown's punctuation (and Streamlit's :directive[…] and $math$) as
# character references: st.markdown has nothing to read as a tag or as markup, and the
# browser shows the same characters.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~$:"})


def _e(text: object) -> str:
    """Untrusted text as inert HTML text (no tag, no Markdown), on one line."""
    return " ".join(str(text).splitlines()).translate(_INERT)


def badge_html(c: Counts, tr: Tr) -> str:
    """The large count badge: "5 ngừng · 8 cảnh báo" (red), "Tất cả hoạt động" (green)."""
    lang = tr.lang
    if not c.down and not c.alerts and not c.overdue:
        return f'<div class="ioc-badge ioc-ok">{_e(tr("wallfit.badge.ok"))}</div>'
    parts = [tr("wallfit.badge.down", n=fmt.number(c.down, lang))] if c.down else []
    parts.append(tr("wallfit.badge.alerts", n=fmt.number(c.alerts, lang)))
    if c.overdue:
        parts.append(tr("actions.wall.overdue", n=fmt.number(c.overdue, lang)))
    tone = "ioc-bad" if c.down else "ioc-warn"
    spans = "<span class='ioc-sep'> · </span>".join(
        f"<span class='ioc-nb'>{_e(p)}</span>" for p in parts)
    return f'<div class="ioc-badge {tone}">{spans}</div>'


def held_html(choice: pl_.Choice, names: dict[tuple[int | None, datetime], str], tr: Tr,
              tz: str, title: str | None = None) -> str:
    """The playlist's stop notice, as large as the badge: what holds it, and until when
    (then `title`, the view's, when the notice takes its place). `names`: (province,
    firing_since) → the alert's centre (or cause) for the alerts."""
    shown = [names.get((a.province, a.firing_since), "") for a in choice.held_by]
    who = ", ".join(n for n in dict.fromkeys(shown) if n) or tr("wall2.alerts.whole")
    until = fmt.clock(choice.resumes_at, tz) if choice.resumes_at else fmt.DASH
    why = tr("wallfit.held.why", who=who, t=until)
    if title:
        why = f"{why} · {title}"
    return (f'<div class="ioc-badge ioc-bad ioc-held"><span class="ioc-nb">'
            f'{_e(tr("wallfit.held.title"))}</span>'
            f'<div class="ioc-held-why">{_e(why)}</div></div>')


def critical_facts(board: pl.DataFrame) -> tuple[list[pl_.Critical],
                                                 dict[tuple[int | None, datetime], str]]:
    """The playlist's stop-rule facts from the alert board: each critical alert that is
    firing (not pending, inhibited or in maintenance), when it began firing and whether a
    person acknowledged or silenced it; and a name for each (its centre, else its rule)."""
    facts: list[pl_.Critical] = []
    names: dict[tuple[int | None, datetime], str] = {}
    firing = board.filter((pl.col("severity") == "critical") & (pl.col("phase") == "firing")
                          & pl.col("firing_since").is_not_null())
    for row in firing.iter_rows(named=True):
        handled = bool(row.get("acked_by")) or row.get("silenced_until") is not None
        fact = pl_.Critical(row["province_code"], row["firing_since"], handled)
        facts.append(fact)
        names.setdefault((fact.province, fact.firing_since),
                         row.get("centre") or row.get("centre_id") or row["rule"])
    return facts, names


def _nb(text: str) -> str:
    """A figure with its unit kept on one line ("25 phút" never splits)."""
    return text.replace(" ", "\u00a0")


def alert_rows_html(board: pl.DataFrame, tr: Tr, now: datetime, tz: str,
                    causes: dict[str, str], shown: int) -> str:
    """The alert list: the first `shown` rows of the folded board, each on two lines —
    severity, where, what, for how long; then who handles it (`alerts_view.handling_text`)
    — and "và N cảnh báo khác"."""
    folded = alert_stats.fold_incidents(board)
    out = [f'<h3 class="ioc-list-title">{_e(tr("wall2.alerts.title"))}</h3>']
    if folded.is_empty():
        out.append(f'<p class="ioc-more ioc-none">{_e(tr("wall2.alerts.none"))}</p>')
        return "".join(out)
    out.append('<ol class="ioc-list ioc-alerts">')
    for row in folded.head(shown).iter_rows(named=True):
        where, what = incident_view.incident_cells(row, tr, causes) or (
            row.get("centre") or row["centre_id"] or tr("wall2.alerts.whole"),
            alert_text.summary(row, tr))
        phase = row.get("phase")
        severity = row["severity"] if row["severity"] in ("critical", "warning", "info") \
            else "info"
        sev_word = _severity(row["severity"], tr) + (
            f" · {tr('wall2.phase.' + phase)}" if phase not in (None, "firing") else "")
        handled = bool(row.get("acked_by")) or row.get("silenced_until") is not None
        who = alerts_view.handling_text(row, tr, tz, now)
        out.append(
            f'<li class="ioc-row ioc-sev-{severity}">'
            f'<div class="ioc-l1"><span class="ioc-chip">{_e(sev_word)}</span>'
            f'<b class="ioc-name">{_e(where)}</b>'
            f'<span class="ioc-what">{_e(what)}</span>'
            f'<span class="ioc-dur">{_e(_nb(fmt.duration(row["duration_s"], tr.lang)))}</span>'
            f'</div><div class="ioc-l2 {"ioc-handled" if handled else "ioc-unhandled"}">'
            f'{"✓ " if handled else "! "}{_e(who)}</div></li>')
    out.append("</ol>")
    if folded.height > shown:
        out.append(f'<p class="ioc-more">{_e(tr("wall2.alerts.more", n=folded.height - shown))}'
                   '</p>')
    return "".join(out)


def _severity(severity: str, tr: Tr) -> str:
    """The severity's word; an unknown one (from a newer engine) as it is."""
    key = f"wall2.severity.{severity}"
    return tr(key) if key in i18n.VI else severity


def lagging_rows_html(lagging: pl.DataFrame, why: Sequence[str], tr: Tr, shown: int) -> str:
    """The centres needing attention: the first `shown`, one line each (status, name, why:
    `why` holds the reason of each of those rows), then "và N trung tâm khác"."""
    out = [f'<h3 class="ioc-list-title">{_e(tr("lag.title"))}</h3>']
    if lagging.is_empty():
        out.append(f'<p class="ioc-more ioc-none">{_e(tr("lag.none"))}</p>')
        return "".join(out)
    out.append('<ol class="ioc-list ioc-lagging">')
    for row, reason in zip(lagging.head(shown).iter_rows(named=True), why, strict=False):
        out.append(
            f'<li class="ioc-row ioc-st-{_e(row["status"])}">'
            f'<div class="ioc-l1"><span class="ioc-chip">{_e(tr("status." + row["status"]))}'
            f'</span><b class="ioc-name">{_e(row["name"])}</b>'
            f'<span class="ioc-what">{_e(reason)}</span></div></li>')
    out.append("</ol>")
    if lagging.height > shown:
        out.append(f'<p class="ioc-more">{_e(tr("lag.more", n=lagging.height - shown))}</p>')
    return "".join(out)


def _vh(x: float) -> str:
    return f"{x:g}vh"


# The count badge and the playlist's stop notice (kiosk or not): as large as each other.
BADGE_CSS = """
<style>
.ioc-badge { font-size: 4.2vh; font-weight: 700; line-height: 1.2; padding: .6vh 1.8vh;
     border-radius: 1.2vh; text-align: center; white-space: nowrap; }
.ioc-badge.ioc-bad { background: #b3261e; color: #fff; }
.ioc-badge.ioc-warn { background: #8a5a00; color: #fff; }
.ioc-badge.ioc-ok { background: #1e6b3a; color: #fff; }
.ioc-badge .ioc-nb { white-space: nowrap; }
.ioc-held-why { font-size: 2.1vh; font-weight: 600; white-space: nowrap; overflow: hidden;
     text-overflow: ellipsis; }
.ioc-badges { display: flex; gap: 1.2vh; justify-content: flex-end; align-items: stretch;
     margin-bottom: .5rem; }
.ioc-badge.ioc-held { padding-top: .3vh; padding-bottom: .3vh; }
.ioc-badges > div { min-width: 0; }
.ioc-badges.ioc-left { justify-content: flex-start; }
.ioc-badges.ioc-left .ioc-held { text-align: left; }
</style>
"""

# Kiosk: no chrome; every size a share of the screen height (1rem = 1/54 of it: 20 px on a
# 1080-line screen), so the layout is the same at every 16:9 size; nothing wraps a figure.
KIOSK_CSS = f"""
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stMainMenu"], footer {{ display: none !important; }}
html {{ font-size: calc(100vh / 54) !important; }}
.block-container {{ padding: 1.2vh 1.6vh 0 1.6vh !important; max-width: 100% !important; }}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 1vh; }}
[data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] style),
[data-testid="stElementContainer"]:has(style:only-child) {{ display: none; }}
h1 {{ font-size: 4.6vh !important; padding: 0 0 .6vh 0 !important; line-height: 1.2 !important;
     white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
[data-testid="stCaptionContainer"] {{ font-size: 1.8vh !important; line-height: 1.3; }}
[data-testid="stMetric"] {{ padding: 1vh 1.2vh !important; }}
[data-testid="stMetricLabel"] p {{ font-size: 2.1vh !important; font-weight: 600;
     line-height: 1.2 !important; }}
[data-testid="stMetricLabel"] {{ height: auto !important; min-height: 5.1vh; }}
[data-testid="stMetricValue"] {{ font-size: 4.8vh !important; line-height: 1.2 !important; }}
[data-testid="stMetricValue"] * {{ white-space: nowrap !important; overflow: visible !important;
     text-overflow: clip !important; }}
[data-testid="stMetricDelta"] {{ font-size: 1.7vh !important; line-height: 1.25 !important; }}
[data-testid="stMetricDelta"] * {{ white-space: normal !important; }}
[data-testid="stMarkdownContainer"] p.ioc-fresh {{ font-size: 2.4vh; }}
.st-key-wall-body {{ height: {_vh(BODY_VH)} !important; flex: none !important; }}
.st-key-wall-body [data-testid="stHorizontalBlock"] {{ height: 100% !important; }}
.st-key-wall-mapbox {{ height: {_vh(BODY_VH - MAP_NOTE_VH)} !important; flex: none !important; }}
.st-key-ioc-viewport {{ display: none !important; }}
h3.ioc-list-title {{ font-size: 3vh !important; line-height: 1.2 !important;
     margin: 0 0 1vh 0 !important; padding: 0 !important; height: 3.6vh; }}
.ioc-lists p, .ioc-lists ol, .ioc-lists li {{ margin: 0; }}
ol.ioc-list {{ list-style: none; margin: 0; padding: 0; }}
.ioc-row {{ margin: 0; padding: .35vh .9vh; border-left: .6vh solid #6e7781;
     border-bottom: 1px solid #30363d; overflow: hidden; box-sizing: border-box; }}
.ioc-alerts .ioc-row {{ height: {_vh(ALERT_ROW_VH)}; }}
.ioc-lagging .ioc-row {{ height: {_vh(LAG_ROW_VH)}; }}
.ioc-l1, .ioc-l2 {{ display: flex; gap: 1vh; align-items: baseline; white-space: nowrap;
     overflow: hidden; }}
.ioc-l1 {{ font-size: 2.4vh; line-height: 1.35; }}
.ioc-l2 {{ font-size: 2vh; line-height: 1.3; text-overflow: ellipsis; display: block; }}
.ioc-chip {{ flex: none; font-size: .8em; font-weight: 700; padding: 0 .5vh;
     border-radius: .5vh; background: #30363d; }}
.ioc-name {{ flex: none; }}
.ioc-what {{ flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis;
     color: #c9d1d9; }}
.ioc-dur {{ flex: none; font-weight: 600; }}
.ioc-sev-critical, .ioc-st-down {{ border-left-color: #e5534b; }}
.ioc-sev-critical .ioc-chip, .ioc-st-down .ioc-chip {{ background: #b3261e; color: #fff; }}
.ioc-sev-warning, .ioc-st-degraded {{ border-left-color: #d29922; }}
.ioc-sev-warning .ioc-chip, .ioc-st-degraded .ioc-chip {{ background: #8a5a00; color: #fff; }}
.ioc-st-stale, .ioc-st-no_data {{ border-left-color: #8b949e; }}
.ioc-handled {{ color: #7ee787; }}
.ioc-unhandled {{ color: #ffa198; font-weight: 600; }}
.ioc-more {{ font-size: 2vh; line-height: 1.3; margin: .5vh 0 0 0; height: 2.5vh;
     color: #c9d1d9; }}
.ioc-none {{ color: #7ee787; font-size: 2.2vh; }}
.ioc-lists .ioc-gap {{ height: {_vh(GAP_VH)}; }}
</style>
"""
