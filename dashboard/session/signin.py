"""The dashboard's door: sign-in (local form or the identity provider), kiosk links, sign-out.

`gate()` runs at the top of every app run (dashboard/app.py) and returns the
`auth.Principal` or stops the script after drawing the sign-in screen. Pages
call `require()`, which returns the same principal (or runs the gate when the
page runs on its own) and refuses a principal without the permission. The
rules are pure (`dashboard.session.auth`); this module is only Streamlit and I/O.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

from config.loader import ConfigError
from config.scope import NATIONAL_SCOPE, Scope
from config.settings import Settings
from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.session import auth, web_session
from dashboard.views import fmt
from dashboard.widgets import components
from metrics.access import audit, kiosk
from metrics.access.accounts import UsersFile, load_users, users_path
from metrics.store import DatabaseError

WHO_KEY = "ioc.who"
OIDC_AUDITED = "ioc.oidc-audited"
FLASH = "ioc.signin-flash"
AFTER_SIGNIN = "ioc.after-signin"  # (url path, query) asked for before signing in
DOWN_SINCE = "ioc.store-down-since"  # when this tab first found the session store down
DOWN_ASKED = "ioc.store-down-asked"  # when it last asked


@st.cache_resource(show_spinner=False)
def throttle() -> auth.Throttle:
    """Failed sign-ins per user name, shared by every session of this process."""
    return auth.Throttle()


@st.cache_resource(show_spinner=False)
def address_limit() -> auth.AddressLimit:
    """Sign-in attempts per source address, shared by every session of this process."""
    return auth.AddressLimit()


def source_address() -> str:
    """The address the browser's connection comes from (Streamlit's view of it: behind a
    reverse proxy, the proxy's), or "unknown"."""
    address = st.context.ip_address
    if not isinstance(address, str) or not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return str(mapped or ip)


@st.cache_resource(show_spinner=False, max_entries=4)
def _users(path: str, mtime_ns: int) -> UsersFile:
    return load_users(Path(path))


def users(cfg: Settings) -> UsersFile:
    """The users file, re-read whenever it changes on disk (ConfigError when invalid)."""
    path = users_path(cfg.dashboard.users_file, os.environ.get("IOC_CONFIG"))
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = -1
    return _users(str(path), mtime)


def _audit(cfg: Settings, action: str, *, actor: str, role: str = "", ok: bool = True,
           target: str = "", detail: str = "") -> None:
    """Record to the audit log; a database failure is logged, never a reason to lock out."""
    try:
        audit.record(data.store(cfg.store.url), action, actor=actor, role=role, ok=ok,
                     target=target, detail=detail)
    except (DatabaseError, OSError) as exc:
        print(f"ioc dashboard: audit {action} not recorded: {type(exc).__name__}",
              file=sys.stderr)


def _tr() -> Tr:
    return i18n.text(components.current_language(data.settings().dashboard.language))


def scope_text(scope: Scope, tr: Tr) -> str:
    if scope.kind == "province":
        return tr("auth.scope.province", code=scope.province)
    if scope.kind == "commune":
        return tr("auth.scope.commune", id=scope.centre)
    return tr("auth.scope.national")


def gate(cfg: Settings, tr: Tr) -> auth.Principal:
    """The principal of this session, or draw the sign-in screen and stop."""
    dash = cfg.dashboard
    token = st.query_params.get(components.KIOSK_KEY)
    if dash.auth == "none":
        method = auth.KIOSK if components.kiosk_flag(token) else auth.NONE
        who = auth.Principal("", dash.role, NATIONAL_SCOPE, method)
    elif token is not None:
        who = _kiosk(cfg, token, tr)
    else:
        kept: auth.Principal | None = st.session_state.get(WHO_KEY)
        if kept is not None and kept.kiosk:
            kept = None  # a kiosk session left its link: sign in like anyone else
        who = _local(cfg, kept, tr) if dash.auth == "local" else _oidc(cfg, tr)
    st.session_state[WHO_KEY] = who
    return who


def require(permission: str = auth.VIEW) -> auth.Principal:
    """This session's principal (signing in first when the page runs on its own); stops with
    a message when it lacks `permission`."""
    who = st.session_state.get(WHO_KEY)
    if who is None:
        who = gate(data.settings(), _tr())
    if not auth.may(who, permission):
        st.error(_tr()("auth.forbidden"))
        st.stop()
    return who


def _kiosk(cfg: Settings, token: str, tr: Tr) -> auth.Principal:
    try:
        link = kiosk.lookup(data.store(cfg.store.url), token)
    except (DatabaseError, OSError) as exc:
        st.error(tr("auth.no_db", error=type(exc).__name__))
        st.stop()
    if link is None:
        st.session_state.pop(WHO_KEY, None)
        st.error(tr("auth.kiosk_invalid"))
        st.stop()
    return auth.Principal(f"kiosk:{link.id}", "leader", link.scope, auth.KIOSK, link.label)


def kiosk_still_valid(cfg: Settings) -> bool:
    """For a kiosk session: whether its link still works (checked on every wall refresh,
    so a revoked link stops at the next one). Always True for anyone else."""
    who = st.session_state.get(WHO_KEY)
    if who is None or not who.kiosk or cfg.dashboard.auth == "none":
        return True
    try:
        link = kiosk.lookup(data.store(cfg.store.url),
                            st.query_params.get(components.KIOSK_KEY, ""))
    except (DatabaseError, OSError):
        return True  # the wall shows the database error itself; the link is not the problem
    return link is not None and f"kiosk:{link.id}" == who.username


def _local(cfg: Settings, who: auth.Principal | None, tr: Tr) -> auth.Principal:
    try:
        accounts = users(cfg)
    except ConfigError as exc:
        st.error(tr("auth.users_bad", error="; ".join(map(str, exc.problems[:3]))))
        st.stop()
    if who is not None and who.method == auth.LOCAL and auth.still_valid(accounts, who):
        if web_session.still_current(cfg, accounts, who):
            web_session.render_cookie_script()
            return who
        st.session_state[FLASH] = tr("auth.session_ended")
    try:
        resumed = web_session.resume(cfg, accounts)
    except web_session.StoreDown as down:
        _store_down(cfg, tr, down)
    st.session_state.pop(DOWN_SINCE, None)
    if resumed is not None:
        st.session_state.pop(FLASH, None)
        return resumed  # the cookie of an earlier sign-in: a reload or another tab
    st.session_state.pop(WHO_KEY, None)
    web_session.render_cookie_script()  # clears the cookie after a sign-out
    remember_destination()
    _local_form(cfg, accounts, tr)
    st.stop()


def _store_down(cfg: Settings, tr: Tr, down: web_session.StoreDown) -> NoReturn:
    """A reload whose sign-in cookie cannot be looked up: say the database is unreachable,
    since when, and retry every `dashboard.refresh_s` until it answers; then the whole
    page runs again and resumes the session (never the sign-in form in between)."""
    now = datetime.now(UTC)
    st.session_state.setdefault(DOWN_SINCE, now)
    st.session_state[DOWN_ASKED] = now
    print(f"ioc dashboard: sign-in session not read: {down.error}", file=sys.stderr)
    st.fragment(_retry_store, run_every=cfg.dashboard.refresh_s)(cfg, tr)
    st.stop()


def _retry_store(cfg: Settings, tr: Tr) -> None:
    """The outage notice; each timed rerun asks the database again, and once it answers the
    whole page runs (resuming the session, or showing the form if the cookie is no good)."""
    now = datetime.now(UTC)
    if (now - st.session_state[DOWN_ASKED]).total_seconds() >= cfg.dashboard.refresh_s / 2:
        st.session_state[DOWN_ASKED] = now
        try:
            web_session.resume(cfg, users(cfg))
        except web_session.StoreDown:
            pass
        else:
            st.rerun(scope="app")
    tz = cfg.dashboard.timezone
    st.error(tr("auth.db_down", since=fmt.clock(st.session_state[DOWN_SINCE], tz),
                at=fmt.local(st.session_state[DOWN_ASKED], tz).strftime("%H:%M:%S"),
                s=fmt.number(cfg.dashboard.refresh_s, tr.lang)))


def _local_form(cfg: Settings, accounts: UsersFile, tr: Tr) -> None:
    st.title(tr("auth.title"))
    if flash := st.session_state.pop(FLASH, None):
        st.info(flash)
    if not accounts.users:
        path = users_path(cfg.dashboard.users_file, os.environ.get("IOC_CONFIG"))
        st.warning(tr("auth.no_users", path=str(path)))
    with st.form("signin", border=True, clear_on_submit=True):
        username = st.text_input(tr("auth.username"), max_chars=64, key="signin-user")
        password = st.text_input(tr("auth.password"), type="password", max_chars=256,
                                 key="signin-password")
        submitted = st.form_submit_button(tr("auth.submit"), type="primary")
    st.caption(tr("auth.help"))
    if not submitted:
        return
    name = auth.normalise_username(username)
    address = source_address()
    origin = f"from {address}"
    # The cheap refusals first: no password hash (~0.17 s of CPU) for a flooding address or
    # a locked name.
    if (wait := address_limit().take(address)) > 0:
        _audit(cfg, "sign_in", actor=name[:64], ok=False, detail=f"rate limited · {origin}")
        st.error(tr("auth.rate_limited", s=max(1, round(wait))))
        return
    limiter = throttle()
    if (wait := limiter.wait_s(name)) > 0:
        _audit(cfg, "sign_in", actor=name[:64], ok=False, detail=f"throttled · {origin}")
        st.error(tr("auth.throttled", min=max(1, round(wait / 60))))
        return
    who = auth.check_password(accounts, name, password)
    if who is None:
        limiter.failure(name)
        _audit(cfg, "sign_in", actor=name[:64], ok=False,
               detail=f"local: bad name or password · {origin}")
        st.error(tr("auth.failed"))
        return
    limiter.success(name)
    address_limit().give_back(address)
    session = web_session.start(cfg, who, accounts)
    _audit(cfg, "sign_in", actor=who.username, role=who.role,
           detail=f"local · {who.scope} · {origin}",
           target="" if session is None else f"session:{session.id}")
    st.session_state[WHO_KEY] = who
    st.rerun()


def _oidc(cfg: Settings, tr: Tr) -> auth.Principal:
    oidc = cfg.dashboard.oidc
    if not st.user.get("is_logged_in"):
        st.title(tr("auth.title"))
        if st.button(tr("auth.oidc_button"), type="primary"):
            try:
                st.login(oidc.provider)
            except StreamlitAPIException as exc:
                st.error(tr("auth.oidc_unavailable", error=type(exc).__name__))
        st.stop()
    claims = dict(st.user)
    who = auth.principal_from_claims(claims, oidc)
    if who is None:
        name = str(claims.get(oidc.username_claim) or claims.get("sub") or "?")[:200]
        if not st.session_state.get(OIDC_AUDITED):
            _audit(cfg, "sign_in", actor=name, ok=False,
                   detail=f"oidc: no rule grants access · from {source_address()}")
            st.session_state[OIDC_AUDITED] = True
        st.error(tr("auth.oidc_denied"))
        st.text(name)
        st.button(tr("auth.sign_out"), on_click=st.logout)
        st.stop()
    if not st.session_state.get(OIDC_AUDITED):
        _audit(cfg, "sign_in", actor=who.username, role=who.role,
               detail=f"oidc · {who.scope} · from {source_address()}")
        st.session_state[OIDC_AUDITED] = True
    return who


def remember_destination() -> None:
    """Keep the page and query the person asked for (a link to `/commune?centre=…` from a
    notification, say) while the sign-in form shows, so `pop_destination` can go there."""
    if AFTER_SIGNIN in st.session_state:
        return
    path = urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    query = {k: st.query_params.get_all(k)[-1] for k in st.query_params}
    st.session_state[AFTER_SIGNIN] = (path, query)


def pop_destination() -> tuple[str, dict[str, str]] | None:
    """(url path, query) remembered by `remember_destination`, once; None when none."""
    return st.session_state.pop(AFTER_SIGNIN, None)


def render_account(cfg: Settings, who: auth.Principal | None, tr: Tr) -> None:
    """The sidebar's "signed in as" line and the sign-out button (nothing for a kiosk, or
    while a stop requested by the sign-in screen is still unwinding)."""
    if who is None or who.kiosk or who.method == auth.NONE:
        return
    st.sidebar.text(tr("auth.signed_in", name=who.shown_name, role=tr(f"auth.role.{who.role}"),
                       scope=scope_text(who.scope, tr)))
    if st.sidebar.button(tr("auth.sign_out"), key="signout"):
        ended = web_session.end(cfg, by=who.username) if who.method == auth.LOCAL else None
        _audit(cfg, "sign_out", actor=who.username, role=who.role, detail=who.method,
               target="" if ended is None else f"session:{ended.id}")
        st.session_state.pop(WHO_KEY, None)
        st.session_state.pop(OIDC_AUDITED, None)
        if who.method == auth.OIDC:
            # The browser leaves for the provider's sign-out. Stop, not rerun: a rerun
            # clears the messages not yet sent, which can drop that redirect.
            st.logout()
            st.stop()
        st.session_state[FLASH] = tr("auth.signed_out")
        st.rerun()
