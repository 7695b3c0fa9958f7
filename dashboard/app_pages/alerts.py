"""The alerts page (tech teams): active, acknowledged and resolved alerts, history with
filters, time to recover per centre, failed notification deliveries.

Acknowledge and silence appear only when the signed-in person's role allows
them (`auth.may_act` over config/alerts.yaml `permissions`), never for a
leader and never in kiosk mode; the wall display never has them. Everything
shown is within the person's scope. The alert engine writes the tables; this
page reads them and calls the engine's actions (which audit them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import streamlit as st

from config.loader import ConfigError
from dashboard import alerts_view as av
from dashboard import auth, components, data, data_alerts, fmt, i18n, signin
from metrics import alert_stats
from metrics.alerts import actions
from metrics.store import to_ms

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SILENCE_HOURS = (1, 4, 24)
FLASH = "alerts-done"  # one message after an action's rerun (popped when shown)

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

try:
    found = alert_stats.board(data_alerts.history(url, start, end, scope=who.scope), now)
    outbox = data_alerts.failed_deliveries(url, scope=who.scope)
except (sa.exc.SQLAlchemyError, OSError) as exc:
    st.error(tr("alerts.no_db", error=type(exc).__name__))
    st.stop()
lists = alert_stats.split(found)


def act(open_alerts: list[dict]) -> None:
    """Acknowledge / silence one open alert through the engine's actions (role-gated)."""
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
    with st.form("alerts-act", border=True):
        alert_id = st.selectbox(tr("alerts.act.pick"), list(rows),
                                format_func=lambda i: av.option_label(rows[i], tr))
        # Signed in: the person is known. Without sign-in (auth: none) they say who they are.
        user = who.username if who.method != auth.NONE else st.text_input(
            tr("alerts.act.user"), max_chars=80)
        note = st.text_input(tr("alerts.act.note"), max_chars=300)
        hours = st.selectbox(tr("alerts.act.silence_for"), SILENCE_HOURS,
                             format_func=lambda n: tr("alerts.act.hours", n=n))
        left, right = st.columns(2)
        ack = left.form_submit_button(tr("alerts.act.ack"), disabled=not may_ack,
                                      type="primary", key="alerts-ack")
        mute = right.form_submit_button(tr("alerts.act.silence"), disabled=not may_silence,
                                        key="alerts-silence")
    if not (ack or mute):
        return
    if not user.strip():
        st.warning(tr("alerts.act.need_user"))
        return
    db, when, row = data.store(url), to_ms(datetime.now(UTC)), rows[alert_id]
    try:
        if ack:
            actions.acknowledge(db, alerts_cfg, alert_id, user=user, role=who.role,
                                note=note.strip(), now=when)
            done = tr("alerts.act.acked", id=alert_id)
        else:
            actions.silence(db, alerts_cfg, user=user, role=who.role,
                            reason=note.strip() or tr("alerts.act.silence"),
                            ends_at=when + hours * 3_600_000, rule=row["rule"],
                            centre_id=row["centre_id"], now=when)
            done = tr("alerts.act.silenced", id=alert_id, hours=hours)
    except (ValueError, PermissionError, KeyError) as exc:
        st.error(tr("alerts.act.refused", error=components.md_text(exc)))
        return
    # Show the change at once: forget the 2-s freshness key, redraw, say what was done.
    data.alerts_version.clear()
    st.session_state[FLASH] = done
    st.rerun()


active, acked = lists["active"], lists["acknowledged"]
st.subheader(tr("alerts.active", n=active.height))
if active.is_empty():
    st.success(tr("alerts.active.none"))
else:
    st.dataframe(av.alerts_table(active, tr, tz, av.ALERT_COLUMNS), hide_index=True)
act(list(active.iter_rows(named=True)) + list(acked.iter_rows(named=True)))

st.subheader(tr("alerts.acked", n=acked.height))
if acked.is_empty():
    st.caption(tr("alerts.acked.none"))
else:
    st.dataframe(av.alerts_table(acked, tr, tz, av.ACKED_COLUMNS), hide_index=True)

st.subheader(tr("alerts.history"))
cols = st.columns(4)
severities = cols[0].multiselect(tr("alerts.filter.severity"),
                                 sorted(set(found["severity"].to_list()),
                                        key=lambda s: alert_stats.SEVERITY_ORDER.get(s, 9)),
                                 format_func=lambda s: components.severity_text(s, tr),
                                 placeholder=tr("common.all"))
rules = cols[1].multiselect(tr("alerts.filter.rule"), sorted(set(found["rule"].to_list())),
                            placeholder=tr("common.all"))
names = dict(zip(found["centre_id"].to_list(), found["centre"].to_list(), strict=True))
centres = cols[2].multiselect(tr("alerts.filter.centre"),
                              sorted(c for c in names if c is not None),
                              format_func=lambda c: names.get(c) or c,
                              placeholder=tr("common.all"))
states = cols[3].multiselect(tr("alerts.filter.state"), ["firing", "pending", "resolved"],
                             format_func=lambda s: tr(f"alerts.state.{s}"),
                             placeholder=tr("common.all"))
shown = alert_stats.filter_history(found, severities=severities, rules=rules,
                                   centre_ids=centres, states=states)
if shown.is_empty():
    st.caption(tr("alerts.history.none"))
else:
    st.dataframe(av.alerts_table(shown, tr, tz, av.RESOLVED_COLUMNS), hide_index=True)
st.caption(tr("alerts.resolved", n=lists["resolved"].height))

st.subheader(tr("alerts.ttr"))
ttr = alert_stats.time_to_recover(found)
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
