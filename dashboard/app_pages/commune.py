"""The commune drill-down: one centre's state now, its history and incidents.

`?centre=19753` opens a centre (the search box sets it); `?at=2025-07-03T10:00`
(local time) ends the ranges at that moment instead of now; `?lang=en`
switches to English. Thin: loading is `dashboard.loaders.commune`, arithmetic
`metrics.drilldown`, figures `dashboard.views.commune_charts`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import polars as pl
import streamlit as st

from config import catalogue
from dashboard import i18n
from dashboard.loaders import ahead as data_ahead
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.loaders import commune as data_commune
from dashboard.loaders import gaps as data_gaps
from dashboard.session import signin
from dashboard.views import alert_text, fmt, search
from dashboard.views import availability as availability_view
from dashboard.views import commune_charts as charts
from dashboard.views import gaps as gaps_view
from dashboard.widgets import actions as actions_ui
from dashboard.widgets import components
from metrics import drilldown as d
from metrics import queries as q
from metrics.store import DatabaseError
from metrics.store.records import from_ms
from metrics.today import Today

PICK_KEY = "commune.pick"
COLOURS = charts.COLOURS
STATE_COLOURS: dict[float, Literal["green", "orange", "red"]] = {
    2.0: "green", 1.0: "orange", 0.0: "red"}

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
lang = tr.lang
url = cfg.store.url
who = signin.require()  # only centres in who.scope can be searched or opened
plain = components.md_text  # text through a markdown element, markup escaped


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def choose() -> None:
    picked = st.session_state.get(PICK_KEY)
    if picked:
        st.query_params["centre"] = picked


def render_search(fleet: pl.DataFrame) -> None:
    """The search box: a name with or without diacritics (or a code) → matching centres."""
    left, right = st.columns(2)
    query = left.text_input(tr("commune.search"), key="commune.query",
                            placeholder=tr("commune.search_placeholder"))
    if not query:
        return
    names = {r["id"]: f"{r['name']} · {r['province_name']} ({r['id']})"
             for r in fleet.iter_rows(named=True)}
    found = search.search([search.Candidate(i, n) for i, n in zip(
        fleet["id"], fleet["name"], strict=True)], query)
    if not found:
        right.caption(plain(tr("commune.no_match", query=query)))
        return
    right.selectbox(tr("commune.pick"), [c.id for c in found], index=None, key=PICK_KEY,
                    format_func=names.__getitem__, placeholder=tr("commune.pick_placeholder"),
                    on_change=choose)


def pick_range(end: datetime) -> tuple[datetime, datetime, timedelta] | None:
    """The range widgets; (start, end, bucket), or None after saying the dates are wrong."""
    options = [*d.RANGES, "custom"]
    choice = st.radio(tr("commune.range"), options, index=1, horizontal=True,
                      key="commune.range", format_func=lambda k: tr(f"commune.range.{k}"))
    if choice != "custom":
        return d.window(end, choice, tz)
    today = fmt.local(end, tz).date()
    a, b = st.columns(2)
    first = a.date_input(tr("commune.from"), today - timedelta(days=6), max_value=today,
                         key="commune.from", format="DD/MM/YYYY")
    last = b.date_input(tr("commune.to"), today, max_value=today, key="commune.to",
                        format="DD/MM/YYYY")
    try:
        return d.custom_window(first, last, end, tz)
    except ValueError:
        st.warning(tr("commune.bad_range", days=d.MAX_CUSTOM.days))
        return None


# Fixed CSS (no data in it): state words fit their tiles at this page's density.
STATE_CSS = "<style>[data-testid='stMetricValue'] { font-size: 1.7rem; }</style>"


def render_states(view: data_commune.CommuneView, now: datetime) -> None:
    st.subheader(tr("commune.now"))
    st.markdown(STATE_CSS, unsafe_allow_html=True)
    half = (len(view.states) + 1) // 2  # two rows: the words stay readable
    cells = [*st.columns(half), *st.columns(half)]
    for col, state in zip(cells, view.states, strict=False):
        name = (tr("commune.component.system") if state.component == "system"
                else _first_upper(tr(f"component.{state.component}")))
        delta = None
        if state.ts is None:
            delta = tr("commune.state_none")
        elif not state.current:
            delta = tr("commune.state_old", t=fmt.date_time(state.ts, tz))
        colour: Literal["green", "orange", "red", "gray"] = (
            STATE_COLOURS.get(state.value, "gray")
            if state.current and state.value is not None else "gray")
        col.metric(name, tr(f"commune.word.{state.word}"), delta, delta_color=colour,
                   delta_arrow="off", border=True)


def render_availability(avail: pl.DataFrame, end: datetime) -> None:
    """The centre's availability over the 24 h to `end`, its time without data apart."""
    row = avail.row(0, named=True) if avail.height else None
    value, detail = availability_view.line(row, tr)
    cell = st.columns(4)[0]  # as wide as a state tile
    cell.metric(tr("avail.title"), value, detail, delta_color="off", delta_arrow="off",
                border=True, help=tr("avail.help", t=fmt.date_time(end, tz),
                                     hold=fmt.duration(data_availability.hold_s(cfg), lang)))


def render_today(today: Today, now: datetime) -> None:
    """The centre's dossiers today up to `now`: the figures every page gives for it."""
    st.subheader(tr("commune.today"))
    counts = q.totals(today.increases)
    counted = now if today.exact else from_ms(today.until_ms)
    since = tr("tile.since", t=fmt.clock(counted, tz)) if counts else tr("tile.no_data_today")
    cells = st.columns(3)
    for col, key, metric in zip(cells, ("received", "resolved", "late"), q.TODAY_COUNTERS,
                                strict=True):
        value = counts.get(metric)
        col.metric(tr(f"tile.{key}"), fmt.number(None if value is None else round(value), lang),
                   since, delta_color="gray", delta_arrow="off", border=True)
    if basis := components.today_basis(today, now, tr, tz):
        st.caption(basis)  # only roll-ups are kept for this moment: say which


def render_site_metrics(values: pl.DataFrame) -> None:
    """The newest value of each of the deployment's own metrics (metrics.yaml), with its
    unit; nothing when it declares none or the centre sent none within a day."""
    if values.is_empty():
        return
    st.subheader(tr("commune.section.site"))
    rows = values.sort("metric", "label").iter_rows(named=True)
    for col, row in zip(st.columns(4) * (values.height // 4 + 1), rows, strict=False):
        m = catalogue.METRICS.get(row["metric"])
        if m is None:
            continue
        name = m.title or row["metric"]
        if row["label"]:
            name = f"{name} · {row['label']}"
        digits = 0 if float(row["value"]).is_integer() else 2
        col.metric(plain(name), f"{fmt.number(row['value'], lang, digits)} {m.unit}",
                   tr("commune.site_at", t=fmt.date_time(row["ts"], tz)), delta_color="gray",
                   delta_arrow="off", border=True)


def gauge(view: data_commune.CommuneView, metric: str, median: bool = False) -> pl.DataFrame:
    frame = view.median if median else view.gauges
    return frame.filter(pl.col("metric") == metric).select("bucket", "value")


def show(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def render_charts(view: data_commune.CommuneView) -> None:
    span = (view.start, view.end, tz)
    centre, median = tr("commune.series.centre"), tr("commune.series.median",
                                                     n=view.province_centres)
    st.subheader(tr("commune.section.service"))
    a, b = st.columns(2)
    with a:
        show(charts.line_chart(
            [(centre, gauge(view, "probe_duration_seconds"), COLOURS["centre"], False),
             (median, gauge(view, "probe_duration_seconds", True), COLOURS["median"], True)],
            tr("commune.chart.response"), tr("commune.unit.s"), lang, *span), "c-response")
    with b:
        show(charts.line_chart(
            [(centre, gauge(view, "up"), COLOURS["centre"], False),
             (median, gauge(view, "up", True), COLOURS["median"], True)],
            tr("commune.chart.availability"), tr("commune.unit.pct"), lang, *span,
            scale=100), "c-availability")
    st.subheader(tr("commune.section.otp"))
    a, b = st.columns(2)
    with a:
        show(charts.line_chart(
            [(tr("commune.series.p50"), gauge(view, "otp_p50_seconds"), COLOURS["centre"],
              False),
             (tr("commune.series.p95"), gauge(view, "otp_p95_seconds"), COLOURS["p95"], False),
             (tr("commune.series.median_p95"), gauge(view, "otp_p95_seconds", True),
              COLOURS["median"], True)],
            tr("commune.chart.otp_latency"), tr("commune.unit.s"), lang, *span), "c-otp")
    with b:
        show(charts.line_chart(
            [(centre, gauge(view, "otp_failure_ratio"), COLOURS["late"], False)],
            tr("commune.chart.otp_failure"), tr("commune.unit.pct"), lang, *span, scale=100),
            "c-otp-fail")
    st.subheader(tr("commune.section.sync"))
    a, b = st.columns(2)
    with a:
        show(charts.line_chart(
            [(centre, gauge(view, "sync_lag_seconds"), COLOURS["centre"], False),
             (median, gauge(view, "sync_lag_seconds", True), COLOURS["median"], True)],
            tr("commune.chart.sync_lag"), tr("commune.unit.min"), lang, *span, scale=1 / 60),
            "c-sync")
    with b:
        show(charts.line_chart(
            [(centre, gauge(view, "sync_unsynced_dossiers"), COLOURS["p95"], False)],
            tr("commune.chart.unsynced"), tr("commune.unit.dossiers"), lang, *span),
            "c-unsynced")
    render_dossiers(view, span)


def render_dossiers(view: data_commune.CommuneView, span: tuple) -> None:
    st.subheader(tr("commune.section.dossiers"))

    def bars(frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame, str]]:
        return [(tr(f"commune.series.{k}"), frame.filter(pl.col("metric") == m), COLOURS[k])
                for k, m in (("received", "dossiers_received_total"),
                             ("resolved", "dossiers_resolved_total"),
                             ("late", "dossiers_resolved_late_total"))]

    a, b = st.columns(2)
    with a:
        show(charts.bar_chart(bars(view.hourly), tr("commune.chart.per_hour"),
                              tr("commune.unit.dossiers"), lang, *span), "c-hour")
    with b:
        day_span = (fmt.local_midnight(view.start, tz), view.end, tz)
        show(charts.bar_chart(bars(view.daily), tr("commune.chart.per_day"),
                              tr("commune.unit.dossiers"), lang, *day_span), "c-day")
    if view.mix.is_empty():
        st.caption(tr("commune.no_mix"))
        return
    labels = [tr(f"commune.proc.{p}") if f"commune.proc.{p}" in i18n.VI else p
              for p in view.mix["label"]]
    show(charts.mix_chart(labels, view.mix["increase"].to_list(), tr("commune.chart.mix"),
                          lang), "c-mix")


def render_timeline(view: data_commune.CommuneView, lost: pl.DataFrame) -> None:
    """Outages, alerts, acknowledgements and collection gaps (`lost`), newest first."""
    st.subheader(tr("commune.section.timeline"))
    timeline = gaps_view.with_gaps(view.timeline, lost, tr)
    if timeline.is_empty():
        st.caption(tr("commune.timeline.none"))
        return
    st.dataframe(charts.timeline_table(timeline, tr, tz), hide_index=True)


def page() -> None:
    st.title(tr("commune.title"))
    at: datetime | None = None
    if raw_at := st.query_params.get("at"):
        try:
            at = fmt.parse_local(raw_at, tz)
        except ValueError:
            st.warning(tr("commune.bad_at", value=components.Quoted(raw_at)))
    now = at or datetime.now(UTC)
    try:
        fleet = data_commune.centres(url, str(who.scope))
        render_search(fleet)
        centre_id = st.query_params.get("centre")
        if not centre_id:
            st.info(tr("commune.choose"))
            return
        centre = data_commune.find_centre(cfg, centre_id, scope=who.scope)
        if centre is None:
            st.warning(plain(tr("commune.unknown", centre=centre_id)))
            return
        st.header(plain(centre["name"]), anchor=False)
        st.caption(plain(tr("commune.header", kind=centre["kind"],
                            province=centre["province_name"], id=centre["id"])))
        if at:
            st.info(tr("commune.replay", t=fmt.date_time(at, tz)))
        elif data_availability.read_by_scope(cfg, who.scope):  # computed ahead from now on
            data_ahead.availability(cfg, scope=who.scope)
        window = pick_range(now)
        if window is None:
            return
        start, end, every = window
        view = data_commune.commune_view(cfg, centre, start, end, every, now,
                                         scope=who.scope)
        today = data_commune.today(cfg, centre, now, scope=who.scope, replay=at is not None)
        own = data_commune.site_metrics(cfg, centre, now, scope=who.scope, replay=at is not None)
        lost = data_gaps.centre_gaps(cfg, centre["id"], start, end, scope=who.scope)
        avail_end = data_availability.window_end(now, data.newest_ms(url))
        avail = data_availability.availability_24h(cfg, avail_end, scope=who.scope,
                                                   centre_id=centre["id"])
    except (DatabaseError, OSError) as exc:
        st.error(tr("commune.no_db", error=type(exc).__name__))
        return
    st.caption(tr("commune.range_shown", start=fmt.date_time(start, tz),
                  end=fmt.date_time(end, tz), every=fmt.duration(every.total_seconds(), lang)))
    if view.last_poll is None:
        st.info(tr("commune.never_polled"))
    else:
        key = "commune.last_poll" if view.last_poll_ok else "commune.last_poll_failed"
        line = tr(key, t=fmt.date_time(view.last_poll, tz), ago=fmt.ago(view.last_poll, now, lang))
        if view.last_poll_reason:
            line += f": {tr(f'reason.{view.last_poll_reason}')}"
            if view.last_poll_detail:
                line += f" ({alert_text.poll_detail(view.last_poll_detail[:200], tr)})"
        st.caption(components.md_text(line))  # escaped: the detail comes from the centre
    render_states(view, now)
    render_availability(avail, avail_end)
    render_today(today, now)
    actions_ui.render_commune(centre, who, tr, tz, url, now, replay=at is not None)
    render_site_metrics(own)
    if view.has_data:
        render_charts(view)
    else:
        st.info(tr("commune.no_data"))
    render_timeline(view, lost)


page()
