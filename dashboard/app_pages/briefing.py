"""The daily briefing (giao ban) at a chosen moment (default now): today's dossiers, the
leading centres, incidents since the previous conference, the centres needing attention,
a summary paragraph, and one-click exports (printable HTML, CSV). `?at=2025-07-03T10:00`
(local time) presets the moment; `?since=2025-07-01` counts the dossiers from the start of
that earlier day (a period, such as the new centres' first days) instead of today's;
`?lang=en` switches to English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from dashboard import i18n
from dashboard.loaders import actions as data_actions
from dashboard.loaders import availability as data_availability
from dashboard.loaders import briefing as data_briefing
from dashboard.loaders import common as data
from dashboard.session import signin
from dashboard.views import briefing_docx, fmt, report, xlsx
from dashboard.views import week as week_view
from dashboard.widgets import actions as actions_ui
from dashboard.widgets import components
from metrics.store import DatabaseError, to_ms

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
lang = tr.lang
who = signin.require()  # the briefing and its exports cover only who.scope

clock_now = datetime.now(UTC)
default = clock_now
if raw_at := st.query_params.get("at"):
    try:
        default = fmt.parse_local(raw_at, tz)
    except ValueError:
        st.warning(tr("briefing.bad_at", value=components.Quoted(raw_at)))
local_default = fmt.local(default, tz)
since_default = local_default.date()
if raw_since := st.query_params.get("since"):
    try:
        since_default = min(date.fromisoformat(raw_since.strip()), since_default)
    except ValueError:
        st.warning(tr("briefing.bad_since", value=components.Quoted(raw_since)))

st.title(tr("briefing.title"))
first, left, right, _ = st.columns([1, 1, 1, 2])
since = first.date_input(tr("briefing.since"), value=since_default, format="DD/MM/YYYY",
                         key="briefing-since", help=tr("briefing.since_help"))
day = left.date_input(tr("briefing.date"), value=local_default.date(), format="DD/MM/YYYY",
                      key="briefing-date")
moment = right.time_input(tr("briefing.time"), value=local_default.time().replace(
    second=0, microsecond=0), step=300, key="briefing-time")
at = datetime.combine(day, moment, tzinfo=ZoneInfo(tz))
if at > clock_now:
    st.info(tr("briefing.future"))
if since > day:
    st.info(tr("briefing.since_after", since=fmt.date(datetime.combine(
        since, moment, tzinfo=ZoneInfo(tz)), tz)))

try:
    b = data_briefing.briefing_view(cfg, at, scope=who.scope, since=since)
except (DatabaseError, OSError) as exc:
    st.error(tr("briefing.no_db", error=type(exc).__name__))
    st.stop()
if b.centres.is_empty():
    st.info(tr("briefing.no_centres"))
    st.stop()

period = fmt.date(b.day_start, tz) != fmt.date(b.at, tz)
st.caption(tr("briefing.caption_period" if period else "briefing.caption",
              t=fmt.clock(b.counted_until or b.at, tz), date=fmt.date(b.at, tz),
              since=fmt.date(b.day_start, tz), prev=fmt.date_time(b.previous, tz)))
if b.resolution != "raw" and b.counted_until is not None:
    st.info(tr(f"today.basis.{b.resolution}", t=fmt.clock(b.counted_until, tz),
               at=fmt.date_time(b.at, tz)))  # only roll-ups are kept for this moment
stamp = fmt.local(b.at, tz).strftime("%Y-%m-%d-%H%M")
exports = st.columns([1, 1, 1, 1, 1])
exports[0].download_button(
    tr("briefing.export_html"), report.html_report(b, tr, tz, cfg.deployment.name),
    file_name=f"giao-ban-{stamp}.html", mime="text/html", key="briefing-html")
exports[1].download_button(
    tr("briefing.export_csv"), report.csv_bytes(b, tr), file_name=f"giao-ban-{stamp}.csv",
    mime="text/csv", key="briefing-csv")
exports[2].download_button(
    tr("common.export_xlsx"), report.xlsx_bytes(b, tr, tz), file_name=f"giao-ban-{stamp}.xlsx",
    mime=xlsx.MIME, key="briefing-xlsx")
follow_up = briefing_docx.actions_section(data_actions.since_conference(
    cfg.store.url, str(who.scope), to_ms(b.previous), to_ms(b.at)), data_actions.units())
exports[3].download_button(
    tr("doc.export"), briefing_docx.docx_bytes(b, tr, tz, briefing_docx.letterhead(cfg, tr),
                                               [*briefing_docx.SECTIONS, follow_up]),
    file_name=f"giao-ban-{stamp}.docx", mime=briefing_docx.MIME, key="briefing-docx")

tiles = st.columns(5)
for col, key in zip(tiles, report.COUNT_COLUMNS, strict=True):
    col.metric(tr(f"briefing.{key}"), fmt.number(b.totals[key], lang), border=True)

st.subheader(tr("briefing.summary"))
st.text(report.summary(b, tr, tz))

st.subheader(tr("briefing.sec.top"))
top_left, top_right = st.columns(2)
for col, key, frame in ((top_left, "top_received", b.top_received),
                        (top_right, "top_resolved", b.top_resolved)):
    col.markdown(f"**{tr(f'briefing.{key}')}**")
    count = "briefing.col.received" if key == "top_received" else "briefing.col.resolved"
    col.dataframe(fmt.texts(frame.select(pl.col("name").alias(tr("briefing.col.centre")),
                                         pl.col("value").alias(tr(count))),
                            lang, {tr(count): 0}), hide_index=True)

if b.week is not None:
    week = week_view.display(b.week, tr, tz)
    st.subheader(week.title)
    st.dataframe(week.table(tr), hide_index=True)
    for note in week.notes:  # what last week's figure lacks: never shown as a plain figure
        st.info(note)

prev = fmt.date_time(b.previous, tz)
sections = (("briefing.sec.attention", report.attention_table(b, tr, tz)),
            ("briefing.sec.incidents", report.incident_table(b, tr, tz)),
            ("briefing.sec.alerts", report.alert_table(b, tr, tz)))
for key, table in sections:
    st.subheader(tr(key, prev=prev))
    if table.is_empty():
        st.caption(tr("briefing.none"))
    else:
        st.dataframe(table, hide_index=True)

actions_ui.render_briefing(b.at, b.previous, who, tr, tz, url=cfg.store.url)

st.subheader(tr("briefing.sec.centres"))
st.dataframe(report.centre_screen(b, tr), hide_index=True)
if b.availability_end is not None:
    st.caption(tr("avail.help", t=fmt.date_time(b.availability_end, tz),
                  hold=fmt.duration(data_availability.hold_s(cfg), lang)))
