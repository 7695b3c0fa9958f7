"""Service-quality indicators per Decision 766: per province and per centre, every number
with the rule that produced it. `?at=2025-07-03T10:00` (local time) reads the data as of
that moment; `?lang=en` switches to English."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import i18n
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from dashboard.loaders import kpi as data_kpi
from dashboard.session import signin
from dashboard.views import fmt, kpi_tables
from dashboard.widgets import components
from metrics import kpi
from metrics.store import DatabaseError

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
tr = i18n.text(components.current_language(dash.language))
lang = tr.lang
who = signin.require()  # scorecards only for centres and provinces in who.scope

now = datetime.now(UTC)
if raw_at := st.query_params.get("at"):
    try:
        now = fmt.parse_local(raw_at, tz)
        st.info(tr("kpi.replay", t=fmt.date_time(now, tz)))
    except ValueError:
        st.warning(tr("kpi.bad_at", value=components.Quoted(raw_at)))

st.title(tr("kpi.title"))
st.caption(tr("kpi.intro"))
kind = st.radio(tr("kpi.period"), data_kpi.PERIODS, horizontal=True, key="kpi-period",
                format_func=lambda p: tr(f"kpi.period.{p}"))
custom = None
if kind == data_kpi.CUSTOM:
    today = fmt.local(now, tz).date()
    picked = st.date_input(tr("kpi.range"), value=(today.replace(day=1), today),
                           max_value=today, format="DD/MM/YYYY", key="kpi-range")
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info(tr("kpi.pick_both"))
        st.stop()
    custom = picked
start, end = data_kpi.period_bounds(kind, now, tz, custom)
st.caption(tr("kpi.range_caption", start=fmt.date_time(start, tz), end=fmt.date_time(end, tz)))

try:
    view = data_kpi.kpi_view(cfg, start, end, scope=who.scope)
except (DatabaseError, OSError) as exc:
    st.error(tr("kpi.no_db", error=type(exc).__name__))
    st.stop()
if view.centres.is_empty():
    st.info(tr("kpi.no_centres"))
    st.stop()
if view.today is not None and (basis := components.today_basis(view.today, end, tr, tz)):
    st.info(basis)  # only roll-ups are kept for this moment: say which
for problem in view.problems:
    st.warning(tr("kpi.problem", text=components.md_text(problem)))

for prow in view.provinces.iter_rows(named=True):
    card = view.province_cards[str(prow["province_code"])]
    st.subheader(f"{components.md_text(prow['province_name'])} · {prow['centres']}")
    total = card.total
    cols = [*st.columns(3), *st.columns(3)]  # two rows: whole scores stay readable
    cols[0].metric(tr("kpi.total"), fmt.DASH if total is None
                   else f"{fmt.number(total, lang, 1)}/100",
                   tr("kpi.total_of", assessed=fmt.number(card.assessed, lang), max=100),
                   delta_color="off", delta_arrow="off", border=True)
    for col, (n, group) in zip(cols[1:], card.groups.items(), strict=True):
        partial = None
        if group.points is not None and group.assessed < group.max_points:
            partial = tr("kpi.group_partial", assessed=fmt.number(group.assessed, lang),
                         max=fmt.number(group.max_points, lang))
        col.metric(kpi_tables.group_label(n, tr),
                   kpi_tables.group_text(group, tr), partial, delta_color="off",
                   delta_arrow="off", border=True)
    st.dataframe(kpi_tables.indicator_table(card, tr), hide_index=True)
    st.caption(kpi_tables.on_time_note(prow, card, tr))
    for code in sorted(kpi.ESTIMATED):
        st.caption(kpi.estimate_rule(code, lang))
    st.markdown(f"**{tr('kpi.rules')}**")
    for s in card.scores.values():
        with st.expander(f"{s.code} {kpi_tables.name(s.code, lang)}: "
                         f"{kpi_tables.value_text(s, tr)}"):
            st.text(s.rule(lang))
with st.expander(tr("kpi.not_measured")):
    st.text(tr("kpi.not_measured_text"))

st.subheader(tr("kpi.communes"))
st.dataframe(kpi_tables.centre_screen(view.centres, view.centre_cards, tr, view.availability),
             hide_index=True)
st.caption(tr("avail.help", t=fmt.date_time(view.availability_end, tz),
              hold=fmt.duration(data_availability.hold_s(cfg), lang)))
names = dict(zip(view.centres["id"].to_list(), view.centres["name"].to_list(), strict=True))
chosen = st.selectbox(tr("kpi.pick_centre"), list(names), format_func=names.__getitem__,
                      index=None, key="kpi-centre", placeholder=tr("common.choose"))
if chosen is not None:
    card = view.centre_cards[chosen]
    st.dataframe(kpi_tables.indicator_table(card, tr), hide_index=True)
    st.text("\n\n".join(s.rule(lang) for s in card.scores.values()))
