"""The alerts page (tech teams): active, acknowledged and resolved alerts, history with
filters and pages, time to recover per centre, failed notification deliveries.

Acknowledge and silence appear only when the signed-in person's role allows
them (`auth.may_act` over config/alerts.yaml `permissions`), never for a
leader and never in kiosk mode; the wall display never has them. No alert is
preselected; a critical one asks for confirmation naming its centre; after an
action the form is cleared and the alert acted on stays selected. Every
list says who acknowledged (with the note) and which silence mutes it. Everything
shown is within the person's scope. The alert engine writes the tables; this
page reads them and calls the engine's actions (which audit them). The history is
filtered and paged in the database (`data_alerts.history_page`): one page is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from config.loader import ConfigError
from dashboard import i18n
from dashboard.loaders import alerts as data_alerts
from dashboard.loaders import common as data
from dashboard.session import auth, signin
from dashboard.views import alert_text, fmt
from dashboard.views import alerts as av
from dashboard.widgets import actions as actions_ui
from dashboard.widgets import components
from metrics.alerts import actions
from metrics.alerts import stats as alert_stats
from metrics.store import DatabaseError, to_ms

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SILENCE_HOURS = (1, 4, 24)
FLASH = "alerts-done"  # one message after an action's rerun (popped when shown)
PAGE = "alerts-page"  # the history page shown (from 1)
PAGE_OF = "alerts-page-of"  # the period and filters that page belongs to
PICK, NOTE, HOURS = "alerts-act-pick", "alerts-act-note", "alerts-act-hours"  # the form
KEEP = "alerts-act-keep"  # the alert acted on: selected again after the rerun
CLEAR = "alerts-act-clear"  # after an action the note and duration start afresh
CONFIRM = "alerts-act-confirm"  # an action on a critical alert awaiting confirmation

cfg = data.settings()
dash = cfg.dashboard
tz = dash.timezone
url = cfg.store.url
tr = i18n.text(components.current_language(dash.language))
who = signin.require()
kiosk = who.kiosk
now = datetime.now(UTC)

st.title(tr("alerts.title"))
if flash := st.session_state.pop(FLASH, None):
    st.success(flash)
st.caption(tr("alerts.caption", role=tr(f"alerts.role.{who.role}"), t=fmt.clock(now, tz)))

choice = st.segmented_control(tr("alerts.range"), [*RANGES, "custom"], default="24h",
                              format_func=lambda k: tr(f"alerts.range.{k}"),
                              key="alerts-range") or "24h"
start, end = now - RANGES.get(choice, RANGES["24h"]), now
period_key: tuple = (choice,)  # what the history's page belongs to (not the moving clock)
if choice == "custom":
    today = fmt.local(now, tz).date()
    a, b = st.columns(2)
    first = a.date_input(tr("alerts.range.from"), today - timedelta(days=7), format="DD/MM/YYYY")
    last = b.date_input(tr("alerts.range.to"), today, format="DD/MM/YYYY")
    if first > last:
        st.warning(tr("alerts.range.bad"))
        st.stop()
    start = fmt.parse_local(first.isoformat(), tz)  # local midnight of the first day
    end = min(now, fmt.parse_local((last + timedelta(days=1)).isoformat(), tz))
    period_key = (choice, first.isoformat(), last.isoformat())

def no_db(exc: Exception) -> None:
    st.error(tr("alerts.no_db", error=type(exc).__name__))
    st.stop()


try:
    period = data_alerts.summary(url, start, end, scope=who.scope)
    outbox = data_alerts.failed_deliveries(url, scope=who.scope)
except (DatabaseError, OSError) as exc:
    no_db(exc)
lists = alert_stats.split(alert_stats.fold_incidents(alert_stats.board(period.open, now)))
causes = data_alerts.incident_causes(tr.lang)  # an incident's likely cause in this language
counts = period.overview.counts


def centre_of(row: dict) -> str:
    return row.get("centre") or row["centre_id"] or tr("wall2.alerts.whole")


def perform(action: dict, row: dict, alerts_cfg) -> None:
    """Do `action` (acknowledge or silence `row`) through the engine's actions; on success
    rerun with the form cleared, the same alert selected and a message naming it."""
    db, when = data.store(url), to_ms(datetime.now(UTC))
    centre = components.md_text(centre_of(row))
    try:
        if action["kind"] == "ack":
            actions.acknowledge(db, alerts_cfg, row["id"], user=action["user"], role=who.role,
                                note=action["note"], now=when)
            done = tr("alerts.act.acked", id=row["id"], centre=centre)
        else:
            actions.silence(db, alerts_cfg, user=action["user"], role=who.role,
                            reason=action["note"] or tr("alerts.act.silence"),
                            ends_at=when + action["hours"] * 3_600_000, rule=row["rule"],
                            centre_id=row["centre_id"], now=when,
                            # a province alert or incident: its province only, not everywhere
                            labels=None if row["centre_id"] or row["province_code"] is None
                            else {"province_code": str(row["province_code"])})
            done = tr("alerts.act.silenced", id=row["id"], centre=centre, hours=action["hours"])
    except (ValueError, PermissionError, KeyError) as exc:
        st.error(tr("alerts.act.refused", error=components.md_text(exc)))
        return
    # Show the change at once: forget the 2-s freshness key, redraw, say what was done.
    data.alerts_version.clear()
    st.session_state[FLASH] = done
    st.session_state[KEEP] = row["id"]
    st.session_state[CLEAR] = True
    st.rerun()


def confirm(rows: dict[int, dict], alerts_cfg) -> None:
    """The action on a critical alert waiting for its confirmation, naming the centre."""
    action = st.session_state.get(CONFIRM)
    if action is None:
        return
    row = rows.get(action["id"])
    if row is None:  # resolved meanwhile (or out of the list)
        st.session_state.pop(CONFIRM, None)
        st.warning(tr("alerts.act.gone", id=action["id"]))
        return
    centre = components.md_text(centre_of(row))
    words = {"id": row["id"], "centre": centre, "summary": components.md_text(row["summary"]),
             "rule": components.md_text(row["rule"]), "hours": action["hours"],
             "severity": components.md_text(components.severity_text(row["severity"], tr))}
    with st.container(border=True, key="alerts-confirm"):
        st.warning(tr(f"alerts.confirm.{'ack' if action['kind'] == 'ack' else 'silence'}",
                      **words))
        yes, no = st.columns(2)
        label = "alerts.confirm.yes_ack" if action["kind"] == "ack" else \
            "alerts.confirm.yes_silence"
        if yes.button(tr(label, centre=centre), type="primary", key="alerts-confirm-yes"):
            st.session_state.pop(CONFIRM, None)
            perform(action, row, alerts_cfg)
        if no.button(tr("alerts.confirm.no"), key="alerts-confirm-no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def act(open_alerts: list[dict]) -> None:
    """Acknowledge / silence one open alert through the engine's actions (role-gated).

    Nothing is preselected; after an action the note and duration are cleared and the
    alert acted on stays selected. Acting on a critical alert asks for confirmation
    naming its centre (`alert_stats.needs_confirmation`)."""
    if kiosk or not open_alerts:
        return
    try:
        alerts_cfg = data_alerts.alerts_config()
    except ConfigError as exc:
        st.error(tr("alerts.act.unavailable",
                    error=components.md_text("; ".join(map(str, exc.problems[:3])))))
        return
    may_ack = auth.may_act(who, alerts_cfg.permissions.acknowledge)
    may_silence = auth.may_act(who, alerts_cfg.permissions.silence)
    if not (may_ack or may_silence):
        st.caption(tr("alerts.act.readonly"))
        return
    st.subheader(tr("alerts.act.title"))
    rows = {row["id"]: row for row in open_alerts}
    if (keep := st.session_state.pop(KEEP, None)) in rows:
        st.session_state[PICK] = keep
    elif st.session_state.get(PICK) not in rows:
        st.session_state.pop(PICK, None)
    if st.session_state.pop(CLEAR, False):
        st.session_state[NOTE] = ""
        st.session_state.pop(HOURS, None)
    confirm(rows, alerts_cfg)
    with st.form("alerts-act", border=True):
        alert_id = st.selectbox(tr("alerts.act.pick"), list(rows), index=None, key=PICK,
                                placeholder=tr("alerts.act.placeholder"),
                                format_func=lambda i: av.option_label(rows[i], tr, causes))
        # Signed in: the person is known. Without sign-in (auth: none) they say who they are.
        user = who.username if who.method != auth.NONE else st.text_input(
            tr("alerts.act.user"), max_chars=80, key="alerts-act-user")
        note = st.text_input(tr("alerts.act.note"), max_chars=300, key=NOTE)
        hours = st.selectbox(tr("alerts.act.silence_for"), SILENCE_HOURS, key=HOURS,
                             format_func=lambda n: tr("alerts.act.hours", n=n),
                             placeholder=tr("common.choose"))
        left, right = st.columns(2)
        ack = left.form_submit_button(tr("alerts.act.ack"), disabled=not may_ack,
                                      type="primary", key="alerts-ack")
        mute = right.form_submit_button(tr("alerts.act.silence"), disabled=not may_silence,
                                        key="alerts-silence")
    if not (ack or mute):
        return
    if alert_id is None:
        st.warning(tr("alerts.act.need_pick"))
        return
    if not user.strip():
        st.warning(tr("alerts.act.need_user"))
        return
    action = {"kind": "ack" if ack else "silence", "id": alert_id, "user": user,
              "note": note.strip(), "hours": hours}
    row = rows[alert_id]
    if alert_stats.needs_confirmation(row["severity"]):
        st.session_state[CONFIRM] = action  # asked above the form on the rerun
        st.rerun()
    st.session_state.pop(CONFIRM, None)
    perform(action, row, alerts_cfg)


active, acked = lists["active"], lists["acknowledged"]
st.subheader(tr("alerts.active", n=active.height))  # an incident and its centres: one row
if active.is_empty():
    st.success(tr("alerts.active.none"))
else:
    st.dataframe(av.alerts_table(active, tr, tz, av.ALERT_COLUMNS, causes=causes, now=now),
                 hide_index=True)
act(list(active.iter_rows(named=True)) + list(acked.iter_rows(named=True)))
open_rows = list(active.iter_rows(named=True)) + list(acked.iter_rows(named=True))
actions_ui.render_alerts(open_rows, {r["id"]: av.option_label(r, tr, causes) for r in open_rows},
                         who, tr, tz, url)

st.subheader(tr("alerts.acked", n=acked.height))
if acked.is_empty():
    st.caption(tr("alerts.acked.none"))
else:
    st.dataframe(av.alerts_table(acked, tr, tz, av.ACKED_COLUMNS, causes=causes, now=now),
                 hide_index=True)

st.subheader(tr("alerts.history"))
cols = st.columns(4)
severities = cols[0].multiselect(tr("alerts.filter.severity"), period.overview.severities,
                                 format_func=lambda s: components.severity_text(s, tr),
                                 placeholder=tr("common.all"))
rules = cols[1].multiselect(tr("alerts.filter.rule"), period.overview.rules,
                            format_func=lambda r: alert_text.rule_name(r, tr),
                            placeholder=tr("common.all"))
names = period.centres
centres = cols[2].multiselect(tr("alerts.filter.centre"), list(names),
                              format_func=lambda c: names.get(c) or c,
                              placeholder=tr("common.all"))
states = cols[3].multiselect(tr("alerts.filter.state"), ["firing", "pending", "resolved"],
                             format_func=lambda s: tr(f"alerts.state.{s}"),
                             placeholder=tr("common.all"))
chosen = {"severities": severities, "rules": rules, "centres": centres, "states": states}
# Another period or filter starts again at the first page.
page_of = (*period_key, *(tuple(sorted(v)) for v in chosen.values()))
if st.session_state.get(PAGE_OF) != page_of:
    st.session_state[PAGE_OF], st.session_state[PAGE] = page_of, 1
table = st.container()
try:
    shown, total = data_alerts.history_page(url, start, end, scope=who.scope,
                                            page=st.session_state.get(PAGE, 1),
                                            severities=severities, rules=rules,
                                            centres=centres, states=states)
    pages = max(1, -(-total // data_alerts.PAGE_ROWS))
    if st.session_state.get(PAGE, 1) > pages:  # fewer rows than when the page was chosen
        st.session_state[PAGE] = pages
        shown, total = data_alerts.history_page(url, start, end, scope=who.scope, page=pages,
                                                severities=severities, rules=rules,
                                                centres=centres, states=states)
except (DatabaseError, OSError) as exc:
    no_db(exc)
if shown.is_empty():
    table.caption(tr("alerts.history.none"))
else:
    table.dataframe(av.alerts_table(alert_stats.timing(shown, now), tr, tz,
                                    av.RESOLVED_COLUMNS, causes=causes, now=now),
                    hide_index=True)
if pages > 1:
    nav, where = st.columns([1, 4], vertical_alignment="bottom")
    page = nav.number_input(tr("alerts.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    first_row = (page - 1) * data_alerts.PAGE_ROWS + 1
    where.caption(tr("alerts.page.shown", first=fmt.number(first_row, tr.lang),
                     last=fmt.number(first_row + shown.height - 1, tr.lang),
                     n=fmt.number(total, tr.lang), pages=fmt.number(pages, tr.lang)))
st.caption(tr("alerts.resolved", n=counts["resolved"]))

st.subheader(tr("alerts.ttr"))
ttr = period.ttr
if ttr.is_empty():
    st.caption(tr("alerts.ttr.none"))
else:
    st.dataframe(av.ttr_table(ttr, {k: v for k, v in names.items() if k and v}, tr),
                      hide_index=True)

if outbox is None:  # not kept per centre: only a national scope sees the outbox
    st.stop()
st.subheader(tr("alerts.failed", n=outbox.height))
if outbox.is_empty():
    st.caption(tr("alerts.failed.none"))
else:
    st.dataframe(av.failed_table(outbox, tr, tz), hide_index=True)
