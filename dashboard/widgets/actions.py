"""The "Giao việc" (assign) sections: on the commune page (assign the commune, the open list
with close buttons, time to fix per unit over 30 days), on the alerts page (assign an open
incident) and in the briefing (opened, closed and overdue since the previous conference).

Assigning and closing appear only when the person's role may (`auth.may_act` over
config/alerts.yaml `permissions.assign`), never for a leader, a kiosk or a replayed
moment; they call `metrics.alerts.assignments_store` (which checks the role again and audits).
Loading is `dashboard.loaders.actions`, words `dashboard/texts/actions.py`, tables
`dashboard.views.actions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from config.loader import ConfigError
from dashboard.i18n import Tr
from dashboard.loaders import actions as data_actions
from dashboard.loaders import common as data
from dashboard.session import auth
from dashboard.views import actions as view
from dashboard.views import fmt
from dashboard.widgets import components
from metrics.alerts import assignments as pure
from metrics.alerts import assignments_store
from metrics.store import DatabaseError, to_ms

plain = components.md_text


def _flash_key(key: str) -> str:
    return f"{key}-flash"


def _may_assign(who: auth.Principal, tr: Tr) -> bool:
    """Whether `who` may assign and close; says why not (config unreadable, read-only)."""
    if who.kiosk:
        return False
    try:
        cfg = data.alerts_config()
    except ConfigError as exc:
        st.error(tr("actions.unavailable",
                    error=plain("; ".join(map(str, exc.problems[:3])))))
        return False
    if not cfg.assignments.units:
        st.caption(tr("actions.no_units"))
        return False
    if not auth.may_act(who, cfg.permissions.assign):
        st.caption(tr("actions.readonly"))
        return False
    return True


def _who_acts(key: str, who: auth.Principal, tr: Tr) -> str:
    """Who assigns or closes: the signed-in person; without sign-in (auth: none) the name
    they type (one box for the form and the close buttons)."""
    if who.method != auth.NONE:
        return who.username
    return st.text_input(tr("actions.user"), max_chars=80, key=f"{key}-user")


def _clear(key: str) -> None:
    """After an action, before the widgets are drawn: the note, unit, incident and outcome
    start afresh (set, not removed, so the browser shows the cleared values too); who acts
    and the due time are kept."""
    if st.session_state.pop(f"{key}-clear", False):
        for field, empty in (("note", ""), ("close-note", ""), ("unit", None), ("pick", None)):
            st.session_state[f"{key}-{field}"] = empty


def _done(key: str, text: str) -> None:
    """After an action: forget the freshness keys, clear the form, rerun with a message."""
    data_actions.clear()
    data.alerts_version.clear()
    st.session_state[_flash_key(key)] = text
    st.session_state[f"{key}-clear"] = True
    st.rerun()


def _form(key: str, who: auth.Principal, user: str, tr: Tr, tz: str, *,
          centre_id: str | None = None, incidents: Mapping[int, str] | None = None) -> None:
    """The assign form: an incident (from `incidents`) or the commune `centre_id`, a unit,
    a due date and time (proposed: now + `assignments.default_due_h`) and a note."""
    cfg = data.alerts_config()
    units = dict(cfg.assignments.units)
    now = datetime.now(UTC)
    proposed = fmt.local(now + timedelta(hours=cfg.assignments.default_due_h), tz)
    proposed = proposed.replace(second=0, microsecond=0)
    with st.form(f"{key}-form", border=True):
        st.markdown(f"**{tr('actions.form')}**")
        pick = None
        if incidents is not None:
            pick = st.selectbox(tr("actions.pick"), list(incidents), index=None,
                                key=f"{key}-pick", placeholder=tr("actions.pick.placeholder"),
                                format_func=lambda i: incidents[i])
        unit = st.selectbox(tr("actions.unit"), list(units), index=None, key=f"{key}-unit",
                            format_func=lambda u: view.unit_name(u, units, tr.lang),
                            placeholder=tr("common.choose"))
        left, right = st.columns(2)
        day = left.date_input(tr("actions.due_date"), proposed.date(), format="DD/MM/YYYY",
                              key=f"{key}-due-date")
        moment = right.time_input(tr("actions.due_time"), proposed.time(), step=300,
                                  key=f"{key}-due-time")
        note = st.text_input(tr("actions.note"), max_chars=300, key=f"{key}-note")
        sent = st.form_submit_button(tr("actions.submit"), type="primary", key=f"{key}-submit")
    if not sent:
        return
    if incidents is not None and pick is None:
        st.warning(tr("actions.need_pick"))
        return
    if unit is None:
        st.warning(tr("actions.need_unit"))
        return
    if not user.strip():
        st.warning(tr("actions.need_user"))
        return
    due = datetime.combine(day, moment).replace(tzinfo=fmt.local(now, tz).tzinfo)
    if due <= now:
        st.warning(tr("actions.bad_due"))
        return
    try:
        new_id = assignments_store.assign(
            data.store(data.settings().store.url), cfg, unit=unit, due_at=to_ms(due),
            note=note, user=user, role=who.role, alert_id=pick,
            centre_id=centre_id if incidents is None else None, now=to_ms(now))
    except (ValueError, PermissionError, KeyError) as exc:
        st.error(tr("actions.refused", error=plain(exc)))
        return
    _done(key, tr("actions.done", id=new_id, unit=plain(view.unit_name(unit, units, tr.lang)),
                  due=fmt.date_time(due, tz)))


def _open_list(key: str, frame: pl.DataFrame, who: auth.Principal, user: str, tr: Tr,
               tz: str, now: int, may: bool) -> None:
    """The open assignments, one line each, with a close button when `may`."""
    units = data_actions.units()
    still = frame.filter(pl.col("status") != pure.CLOSED).sort("due_at", "id")
    st.markdown(f"**{tr('actions.open', n=still.height)}**")
    if still.is_empty():
        st.caption(tr("actions.open.none"))
        return
    outcome = st.text_input(tr("actions.close_note"), max_chars=300,
                            key=f"{key}-close-note") if may else ""
    for row in still.iter_rows(named=True):
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.markdown(view.line(row, tr, tz, now, units))
        if may and button.button(tr("actions.close"), key=f"{key}-close-{row['id']}"):
            if not user.strip():
                st.warning(tr("actions.need_user"))
                return
            cfg = data.alerts_config()
            try:
                assignments_store.close(data.store(data.settings().store.url), cfg, row["id"],
                                        user=user, role=who.role,
                                        note=outcome, now=to_ms(datetime.now(UTC)))
            except (ValueError, PermissionError, KeyError) as exc:
                st.error(tr("actions.refused", error=plain(exc)))
                return
            _done(key, tr("actions.closed_done", id=row["id"],
                          unit=plain(view.unit_name(row["unit"], units, tr.lang))))


def _flash(key: str) -> None:
    """The message of the action just done, once; and the form cleared (`_clear`)."""
    _clear(key)
    if text := st.session_state.pop(_flash_key(key), None):
        st.success(text)


def render_commune(centre: Mapping, who: auth.Principal, tr: Tr, tz: str, url: str,
                   now: datetime, replay: bool) -> None:
    """The commune page's section: time to fix per unit (30 days to `now`), the open
    assignments with close buttons, the assign form, and those closed in 30 days."""
    key = "commune-actions"
    st.subheader(tr("actions.title"))
    _flash(key)
    at = to_ms(now)
    try:
        found = data_actions.assignments(url, str(who.scope),
                                         since_ms=at - pure.TTF_DAYS * pure.DAY_MS,
                                         centre_id=centre["id"])
    except (DatabaseError, OSError) as exc:
        st.error(tr("commune.no_db", error=type(exc).__name__))
        return
    units = data_actions.units()
    seen = pure.as_of(found, at)
    ttf = pure.time_to_fix(found, at, list(units))
    st.markdown(f"**{tr('actions.ttf')}**")
    if ttf.is_empty():
        st.caption(tr("actions.ttf.none"))
    else:
        st.dataframe(view.ttf_table(ttf, tr, units), hide_index=True)
    may = not replay and _may_assign(who, tr)
    user = _who_acts(key, who, tr) if may else ""
    _open_list(key, seen, who, user, tr, tz, at, may)
    if may:
        _form(key, who, user, tr, tz, centre_id=centre["id"])
    done = seen.filter(pl.col("status") == pure.CLOSED).sort("closed_at", descending=True)
    if done.height:
        st.markdown(f"**{tr('actions.recent', n=done.height)}**")
        st.dataframe(view.table(done, tr, tz, at, units, view.CLOSED_COLUMNS),
                     hide_index=True)


def render_alerts(open_alerts: list[dict], labels: Mapping[int, str], who: auth.Principal,
                  tr: Tr, tz: str, url: str) -> None:
    """The alerts page's section: the scope's open assignments with close buttons and the
    form assigning one of `open_alerts` (worded by `labels`, alert id → option text)."""
    if who.kiosk:
        return
    key = "alerts-actions"
    st.subheader(tr("actions.title"))
    _flash(key)
    now = to_ms(datetime.now(UTC))
    try:
        found = pure.as_of(data_actions.assignments(url, str(who.scope), since_ms=now), now)
    except (DatabaseError, OSError) as exc:
        st.error(tr("alerts.no_db", error=type(exc).__name__))
        return
    may = _may_assign(who, tr)
    user = _who_acts(key, who, tr) if may else ""
    _open_list(key, found, who, user, tr, tz, now, may)
    if may and open_alerts:
        _form(key, who, user, tr, tz, incidents={a["id"]: labels.get(a["id"], f"#{a['id']}")
                                           for a in open_alerts})


def render_briefing(at: datetime, previous: datetime, who: auth.Principal, tr: Tr, tz: str,
                    url: str) -> None:
    """The briefing's section: assignments opened and closed since the previous conference
    (`previous`, to `at`) and those overdue at `at`, within the person's scope."""
    window = data_actions.since_conference(url, str(who.scope), to_ms(previous), to_ms(at))
    units = data_actions.units()
    st.subheader(tr("actions.briefing.title", prev=fmt.date_time(previous, tz)))
    for part, columns in (("opened", view.COLUMNS), ("closed", view.CLOSED_COLUMNS),
                          ("overdue", view.COLUMNS)):
        frame: pl.DataFrame = getattr(window, part)
        st.markdown(f"**{tr(f'actions.briefing.{part}', n=frame.height)}**")
        if frame.is_empty():
            st.caption(tr("actions.briefing.none"))
        else:
            st.dataframe(view.table(frame, tr, tz, to_ms(at), units, columns),
                         hide_index=True)
