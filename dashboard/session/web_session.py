"""A local sign-in that survives reloads and new tabs: the stored session behind the cookie.

- `start`: after the sign-in form accepts a password, open a session
  (metrics.access.sessions) and park its token for the page to collect as an
  HttpOnly cookie (dashboard.session.cookie; `render_cookie_script` draws the
  few lines of JavaScript that do it).
- `resume`: on a run with nobody signed in, read the cookie sent with this
  tab's websocket handshake (`st.context.cookies`), find its session and check
  it against the users file (`auth.resume`: not expired or revoked; the account
  exists, is enabled, keeps its role, scope and password).
- `still_current`: while signed in, the same check on every full run, so a
  sign-out in another tab, `ioc users passwd|remove|signout` or the expiry
  ends this tab's session too at its next run.
- `end`: on sign-out, revoke the session and have the page clear the cookie.

Resuming is not audited (every reload would write a row); the session's
`last_seen` is updated instead, at most every few minutes. A database error
never locks anyone out: a tab already signed in stays signed in, a reload whose
cookie cannot be looked up raises `StoreDown` (the sign-in screen then says the
database is unreachable and retries, dashboard.session.signin), and a sign-in during an
outage works for the tab only.
"""

from __future__ import annotations

import sys
import time

import streamlit as st

from config.settings import Settings
from dashboard.loaders import common as data
from dashboard.session import auth
from dashboard.session import cookie as session_cookie
from metrics.access import sessions as web_sessions
from metrics.access.accounts import UsersFile
from metrics.access.sessions import WebSession
from metrics.store import DatabaseError

SESSION_KEY = "ioc.web-session"  # this tab's WebSession (its token hash, never the token)
HANDOFF_KEY = "ioc.cookie-handoff"  # a handoff code the page has yet to redeem
ENDED_KEY = "ioc.cookie-ended"  # hash of the token this tab signed out: clear, never resume


class StoreDown(Exception):
    """The tab has a session cookie, but the database that holds sessions did not answer."""

    def __init__(self, exc: BaseException):
        super().__init__(f"{type(exc).__name__}")
        self.error = type(exc).__name__


def _now() -> int:
    return int(time.time() * 1000)


def _warn(what: str, exc: BaseException) -> None:
    print(f"ioc dashboard: sign-in session {what}: {type(exc).__name__}", file=sys.stderr)


def _base_path() -> str:
    return str(st.get_option("server.baseUrlPath") or "")


def start(cfg: Settings, who: auth.Principal, accounts: UsersFile) -> WebSession | None:
    """Open a stored session for `who`, just signed in with a password, and park its token
    for the page's cookie script. None (the sign-in stays this tab's only) when the
    database cannot be written."""
    entry = accounts.users[who.username]
    try:
        session, token = web_sessions.create(
            data.store(cfg.store.url), username=who.username, role=who.role, scope=who.scope,
            credential_stamp=auth.credential_stamp(entry.password_hash),
            hours=cfg.dashboard.session_hours)
    except (DatabaseError, OSError) as exc:
        _warn("not stored", exc)
        return None
    max_age_s = (session.expires_at - session.created_at) // 1000
    st.session_state[HANDOFF_KEY] = session_cookie.HANDOFFS.put(token, max_age_s)
    st.session_state[SESSION_KEY] = session
    st.session_state.pop(ENDED_KEY, None)
    return session


def resume(cfg: Settings, accounts: UsersFile) -> auth.Principal | None:
    """The principal of the session this tab's cookie names, when it is still good; None
    without a cookie or with one that is not. StoreDown when the database cannot say."""
    token = st.context.cookies.get(session_cookie.COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest's client gives no real cookies)
        return None
    if session_cookie.token_hash(token) == st.session_state.get(ENDED_KEY):
        return None
    try:
        store = data.store(cfg.store.url)
        session = web_sessions.find(store, token)
        who = None if session is None else auth.resume(accounts, session, _now())
        if session is not None and who is not None:
            web_sessions.touch(store, session, _now())
    except (DatabaseError, OSError) as exc:
        raise StoreDown(exc) from None
    if who is not None:
        st.session_state[SESSION_KEY] = session
    return who


def still_current(cfg: Settings, accounts: UsersFile, who: auth.Principal) -> bool:
    """Whether `who`'s stored session (if this tab has one) is still good; True when the
    tab has none (signed in while the database was down) or the database cannot say."""
    session: WebSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        return True
    try:
        store = data.store(cfg.store.url)
        stored = web_sessions.find_hash(store, session.token_hash)
        again = None if stored is None else auth.resume(accounts, stored, _now())
        if stored is not None and again is not None:
            web_sessions.touch(store, stored, _now())
    except (DatabaseError, OSError) as exc:
        _warn("not checked", exc)
        return True
    if again is None or again.username != who.username:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(HANDOFF_KEY, None)
        return False
    st.session_state[SESSION_KEY] = stored
    return True


def end(cfg: Settings, by: str) -> WebSession | None:
    """Sign-out: revoke this tab's session and have the page clear its cookie. The
    session ended (None when the tab had none)."""
    session: WebSession | None = st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(HANDOFF_KEY, None)
    if session is None:
        return None
    st.session_state[ENDED_KEY] = session.token_hash
    try:
        web_sessions.revoke(data.store(cfg.store.url), session.id, by=by)
    except (DatabaseError, OSError) as exc:
        _warn("not revoked", exc)  # the cookie is still cleared, and never resumed here
    return session


def render_cookie_script() -> None:
    """Draw the page script that sets the cookie (a handoff is waiting) or clears it (this
    tab signed out); nothing otherwise. Invisible: a script only, in the sidebar."""
    code = st.session_state.get(HANDOFF_KEY)
    if code is not None and not session_cookie.HANDOFFS.waiting(code):
        st.session_state.pop(HANDOFF_KEY, None)  # redeemed (or never will be)
        code = None
    if code is not None:
        st.sidebar.html(session_cookie.script("POST", code, _base_path()),
                        unsafe_allow_javascript=True)
    if (ended := st.session_state.get(ENDED_KEY)) is not None:
        st.sidebar.html(session_cookie.script("DELETE", ended, _base_path()),
                        unsafe_allow_javascript=True)
