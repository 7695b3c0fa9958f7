"""Sign-in sessions, the pure parts: token hash, expiry, who a stored session stands for,
the one-time handoff codes, the cookie's attributes, the route's refusals, the page script,
and `dashboard.session_hours` validation."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from config.loader import ConfigError, load_settings
from config.scope import national, province
from dashboard.session import auth
from dashboard.session import cookie as session_cookie
from dashboard.session.cookie import Handoffs
from metrics.access import sessions as web_sessions
from metrics.access.accounts import UserEntry, UsersFile, hash_password
from metrics.access.sessions import WebSession

HASH = hash_password("right-password-9")
USERS = UsersFile(users={
    "lan": UserEntry(role="tech", scope="province:46", password_hash=HASH, name="Lan"),
    "old": UserEntry(role="leader", scope="national", password_hash=HASH, disabled=True),
})
NOW = 1_750_000_000_000
HUE = province(46)


def stored(username: str = "lan", role: str = "tech", scope=HUE,
           stamp: str | None = None, expires: int = NOW + 1, revoked: int | None = None,
           ) -> WebSession:
    return WebSession(id=1, token_hash="0" * 64, username=username, role=role, scope=scope,
                      credential_stamp=auth.credential_stamp(HASH) if stamp is None else stamp,
                      created_at=NOW - 10, expires_at=expires, last_seen=NOW - 10,
                      revoked_at=revoked)


def test_token_hash_is_hex_sha256_and_both_modules_agree():
    token = "abc-DEF_123"
    expected = hashlib.sha256(token.encode()).hexdigest()
    assert web_sessions.hash_token(token) == session_cookie.token_hash(token) == expected


def test_expiry_is_session_hours_after_sign_in_and_needs_a_positive_length():
    assert web_sessions.expires_at(NOW, 12) == NOW + 12 * 3_600_000
    assert web_sessions.expires_at(NOW, 0.5) == NOW + 1_800_000
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="hours"):
            web_sessions.expires_at(NOW, bad)


def test_a_session_is_live_until_it_expires_or_is_revoked():
    assert stored(expires=NOW + 1).live(NOW)
    assert not stored(expires=NOW).live(NOW)  # expiry is exclusive
    assert not stored(revoked=NOW - 5).live(NOW)


def test_a_live_session_resumes_as_its_user_with_the_name_from_the_users_file():
    assert auth.resume(USERS, stored(), NOW) == auth.Principal(
        "lan", "tech", province(46), auth.LOCAL, "Lan")


@pytest.mark.parametrize("session", [
    stored(expires=NOW),  # expired
    stored(revoked=NOW - 1),  # signed out, or ended by `ioc users signout`
    stored(username="nobody"),  # removed from the users file
    stored(username="old", role="leader", scope=national()),  # disabled
    stored(role="admin"),  # the role changed since
    stored(scope=province(1)),  # the scope changed since
    stored(stamp=auth.credential_stamp(hash_password("right-password-9"))),  # new password
], ids=["expired", "revoked", "removed", "disabled", "role", "scope", "password"])
def test_an_ended_or_outdated_session_does_not_resume(session):
    assert auth.resume(USERS, session, NOW) is None


def test_the_credential_stamp_follows_the_password_hash_not_the_password():
    again = hash_password("right-password-9")  # same password, new salt: a new hash
    assert auth.credential_stamp(HASH) == auth.credential_stamp(HASH)
    assert auth.credential_stamp(again) != auth.credential_stamp(HASH)
    assert re.fullmatch(r"[0-9a-f]{64}", auth.credential_stamp(HASH))


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_a_handoff_code_gives_its_token_once_and_only_within_its_time():
    clock = Clock()
    handoffs = Handoffs(ttl_s=120, clock=clock)
    code = handoffs.put("the-token", 43_200)
    assert handoffs.waiting(code)
    got = handoffs.take(code)
    assert (got.token, got.max_age_s) == ("the-token", 43_200)
    assert handoffs.take(code) is None and not handoffs.waiting(code)  # once
    late = handoffs.put("other", 60)
    clock.t += 120
    assert not handoffs.waiting(late) and handoffs.take(late) is None
    assert handoffs.take("never-issued") is None
    assert handoffs.put("x", 1) != handoffs.put("x", 1)  # random codes


def test_handoffs_keep_at_most_max_items_dropping_the_oldest():
    handoffs = Handoffs(max_items=3, clock=Clock())
    codes = [handoffs.put(f"t{i}", 60) for i in range(5)]
    assert [handoffs.waiting(c) for c in codes] == [False, False, True, True, True]


def test_the_cookie_is_httponly_strict_for_the_whole_site_and_secure_on_https():
    assert session_cookie.cookie_options(43_200, secure=False) == {
        "max_age": 43_200, "path": "/", "httponly": True, "samesite": "strict",
        "secure": False}
    assert session_cookie.cookie_options(60, secure=True)["secure"] is True
    assert session_cookie.cookie_options(-5, secure=False)["max_age"] == 0


@pytest.mark.parametrize(("headers", "refused"), [
    ({}, True),  # a plain form post or a cross-site simple request: no header
    ({"X-IOC-Session": "0"}, True),
    ({"X-IOC-Session": "1", "Sec-Fetch-Site": "cross-site"}, True),
    ({"X-IOC-Session": "1", "Sec-Fetch-Site": "same-site"}, True),  # another port or subdomain
    ({"x-ioc-session": "1", "sec-fetch-site": "same-origin"}, False),
    ({"X-IOC-Session": "1"}, False),  # a browser that does not send Sec-Fetch-Site
])
def test_the_route_takes_only_requests_our_page_script_makes(headers, refused):
    assert session_cookie.refused(headers) is refused


def test_the_page_script_posts_the_code_to_the_route_under_the_base_path():
    text = session_cookie.script("POST", "code-123", "/ioc/")
    assert text.startswith("<script>") and text.endswith("</script>")
    call = json.loads(re.search(r"const c = (\{.*?\});", text).group(1))
    assert call == {"method": "POST", "body": "code-123", "url": "/ioc/_ioc/session"}
    assert "'X-IOC-Session': '1'" in text and "same-origin" in text
    assert session_cookie.route_path("") == "/_ioc/session"
    assert "</script" not in session_cookie.script("DELETE", "</script><b>", "")[8:-9]
    with pytest.raises(ValueError, match="method"):
        session_cookie.script("GET", "x")


def test_session_hours_defaults_to_twelve_and_is_validated(tmp_path):
    cfg = tmp_path / "ioc.yaml"
    cfg.write_text("{}\n")
    assert load_settings(cfg, env={}).dashboard.session_hours == 12
    assert load_settings(cfg, env={"IOC_DASHBOARD__SESSION_HOURS": "0.5"}
                         ).dashboard.session_hours == 0.5
    for bad in ("0", "-1", "721", "nan", "twelve"):
        with pytest.raises(ConfigError, match="session_hours"):
            load_settings(cfg, env={"IOC_DASHBOARD__SESSION_HOURS": bad})
