"""The access log (administrators with national scope): sign-ins, alert actions, account
and kiosk-link changes, newest first; the wall-display links, with a way to revoke one.

Shown in st.dataframe only (no markup): actors and details can carry typed text.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboard import i18n
from dashboard.loaders import audit as data_audit
from dashboard.loaders import common as data
from dashboard.session import auth, signin
from dashboard.views import alert_text
from dashboard.widgets import components
from metrics.access import audit, kiosk
from metrics.store import DatabaseError

cfg = data.settings()
tz = cfg.dashboard.timezone
url = cfg.store.url
tr = i18n.text(components.current_language(cfg.dashboard.language))
who = signin.require(auth.ADMIN)
if not who.scope.is_national:
    st.error(tr("auth.forbidden"))
    st.stop()

st.title(tr("audit.title"))
if flash := st.session_state.pop("audit-done", None):
    st.success(flash)
chosen = st.multiselect(tr("audit.filter"), sorted(audit.ACTIONS), key="audit-actions",
                        format_func=lambda a: alert_text.audit_action(a, tr),
                        placeholder=tr("common.all"))
try:
    table = data_audit.audit_table(url, tr, tz, chosen)
    links, active = data_audit.kiosk_table(url, tr, tz)
except (DatabaseError, OSError) as exc:
    st.error(tr("audit.no_db", error=type(exc).__name__))
    st.stop()
st.caption(tr("audit.caption", n=data_audit.ROWS))
if table.is_empty():
    st.info(tr("audit.none"))
else:
    st.dataframe(table, hide_index=True)

st.subheader(tr("audit.kiosk.title"))
st.caption(tr("audit.kiosk.caption"))
if links.is_empty():
    st.info(tr("audit.kiosk.none"))
else:
    st.dataframe(links, hide_index=True)
if active:
    with st.form("audit-revoke", border=True):
        link_id = st.selectbox(tr("audit.kiosk.pick"), active, placeholder=tr("common.choose"))
        revoke = st.form_submit_button(tr("audit.kiosk.revoke"))
    if revoke and link_id is not None:
        # KeyError: revoked meanwhile (by the CLI or another admin); the table shows it.
        with contextlib.suppress(KeyError):
            kiosk.revoke(data.store(url), int(link_id), actor=who.username, role=who.role)
        st.session_state["audit-done"] = tr("audit.kiosk.revoked", id=link_id)
        st.rerun()
