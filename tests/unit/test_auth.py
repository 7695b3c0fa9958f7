"""Roles, permissions, sign-in checks, the throttle and the OIDC claim mapping (pure).

The claim mapping is tested on claim dictionaries shaped like an identity
provider's ID token; no real identity provider is reachable from the tests.
"""

from __future__ import annotations

import pytest

from config.roles import ClaimRule, OidcSettings
from config.scope import Scope, national, province
from dashboard.session import auth
from metrics.access.accounts import UserEntry, UsersFile, hash_password

HASH = hash_password("right-password-9")
USERS = UsersFile(users={
    "lan": UserEntry(role="tech", scope="province:46", password_hash=HASH, name="Lan"),
    "old": UserEntry(role="leader", scope="national", password_hash=HASH, disabled=True),
})


HUE = province(46)


def who(role: str, scope: Scope = HUE, method: str = auth.LOCAL) -> auth.Principal:
    return auth.Principal("u", role, scope, method)


@pytest.mark.parametrize(("role", "act", "admin"), [
    ("leader", False, False), ("ioc_staff", True, False), ("tech", True, False),
    ("admin", True, True)])
def test_auth_permissions_follow_the_role(role, act, admin):
    p = who(role)
    assert auth.may(p, auth.VIEW)
    assert auth.may(p, auth.ACT) is act
    assert auth.may(p, auth.ADMIN) is admin


def test_auth_leader_and_kiosk_never_act_even_when_the_alert_config_lists_them():
    everyone = ("leader", "ioc_staff", "tech", "admin")
    assert not auth.may_act(who("leader"), everyone)
    assert not auth.may_act(who("tech", method=auth.KIOSK), everyone)
    assert auth.may_act(who("tech"), ("tech",))
    assert not auth.may_act(who("ioc_staff"), ("tech",))  # the alert config decides


def test_auth_pages_give_kiosk_the_wall_and_national_admins_the_audit_log():
    assert auth.pages_for(who("leader", method=auth.KIOSK)) == ("wall", "alerts")
    assert "audit" in auth.pages_for(who("admin", national()))
    assert "audit" not in auth.pages_for(who("admin", province(46)))
    assert "audit" not in auth.pages_for(who("tech", national()))


def test_auth_check_password_signs_in_only_an_enabled_user_with_the_right_password():
    ok = auth.check_password(USERS, " LAN ", "right-password-9")
    assert ok == auth.Principal("lan", "tech", province(46), auth.LOCAL, "Lan")
    assert auth.check_password(USERS, "lan", "wrong-password") is None
    assert auth.check_password(USERS, "nobody", "right-password-9") is None
    assert auth.check_password(USERS, "old", "right-password-9") is None  # disabled


def test_auth_session_ends_when_the_user_is_removed_or_their_role_changes():
    p = auth.check_password(USERS, "lan", "right-password-9")
    assert auth.still_valid(USERS, p)
    assert not auth.still_valid(UsersFile(), p)
    demoted = UsersFile(users={"lan": USERS.users["lan"].model_copy(update={"role": "leader"})})
    assert not auth.still_valid(demoted, p)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_throttle_locks_a_name_after_repeated_failures_and_unlocks_after_the_lock():
    clock = Clock()
    t = auth.Throttle(max_failures=3, window_s=60, lock_s=300, clock=clock)
    for _ in range(2):
        t.failure("Lan")
    assert t.wait_s("lan") == 0
    t.failure("lan")
    assert t.wait_s("LAN") == 300
    assert t.wait_s("minh") == 0  # per user name
    clock.t += 301
    assert t.wait_s("lan") == 0


def test_throttle_forgets_old_failures_and_a_success_clears_the_count():
    clock = Clock()
    t = auth.Throttle(max_failures=3, window_s=60, lock_s=300, clock=clock)
    t.failure("lan")
    t.failure("lan")
    clock.t += 61  # outside the window
    t.failure("lan")
    assert t.wait_s("lan") == 0
    t.failure("lan")
    t.success("lan")
    t.failure("lan")
    t.failure("lan")
    assert t.wait_s("lan") == 0


def test_throttle_remembers_at_most_max_keys_names():
    t = auth.Throttle(max_failures=5, max_keys=3, clock=Clock())
    for name in "abcde":
        t.failure(name)
    assert len(t._failures) == 3


OIDC = OidcSettings(username_claim="email", rules=(
    ClaimRule(claim="groups", value="ioc-admins", role="admin", scope="national"),
    ClaimRule(claim="groups", value="hue-tech", role="tech", scope="province:46"),
    ClaimRule(claim="email", value="lan@hue.gov.vn", role="leader", scope="province:46"),
    ClaimRule(claim="hd", value="hue.gov.vn", role="ioc_staff", scope="commune:19753"),
))


@pytest.mark.parametrize(("claims", "expected"), [
    ({"email": "a@x", "groups": ["staff", "ioc-admins"]}, ("admin", "national")),
    ({"email": "b@x", "groups": ["hue-tech"]}, ("tech", "province:46")),
    ({"email": "b@x", "groups": ["hue-tech", "ioc-admins"]}, ("admin", "national")),  # order
    ({"email": "lan@hue.gov.vn"}, ("leader", "province:46")),
    ({"email": "c@x", "hd": "hue.gov.vn"}, ("ioc_staff", "commune:19753")),
    ({"email": "d@x", "groups": "hue-tech"}, ("tech", "province:46")),  # a string claim
])
def test_oidc_claims_map_to_the_first_matching_rules_role_and_scope(claims, expected):
    p = auth.principal_from_claims(claims, OIDC)
    assert p is not None and (p.role, str(p.scope)) == expected
    assert p.method == auth.OIDC and p.username == claims["email"]


@pytest.mark.parametrize("claims", [
    {"email": "e@x", "groups": ["other"]},  # no rule matches: no access
    {"email": "e@x"},
    {"groups": ["hue-tech"]},  # no name to record
    {"email": "e@x", "groups": ["hue-tech-2"]},  # no partial matches
])
def test_oidc_claims_without_a_matching_rule_or_a_name_get_no_access(claims):
    assert auth.principal_from_claims(claims, OIDC) is None


def test_oidc_rules_with_a_bad_scope_are_refused_when_the_config_loads():
    with pytest.raises(ValueError, match="scope"):
        ClaimRule(claim="groups", value="x", role="tech", scope="province:hue")


def test_throttle_keeps_a_lock_through_failures_on_ten_thousand_other_names():
    clock = Clock()
    t = auth.Throttle(max_failures=3, window_s=60, lock_s=300, clock=clock)
    for _ in range(3):
        t.failure("lan")
    for i in range(25_000):  # more names than max_keys (10,000): their counts are forgotten
        t.failure(f"other{i}")
    assert t.wait_s("lan") == 300  # … the lock is not
    clock.t += 301
    t.failure("one-more")
    assert t.wait_s("lan") == 0


def test_throttle_drops_only_expired_locks_when_many_names_are_locked():
    clock = Clock()
    t = auth.Throttle(max_failures=1, lock_s=300, max_keys=3, clock=clock)
    for name in "abcd":
        t.failure(name)
    assert all(t.wait_s(n) == 300 for n in "abcd")  # four locks, max_keys 3: none dropped
    clock.t += 301
    t.failure("e")
    assert set(t._locked_until) == {"e"}


def test_address_limit_refuses_an_address_past_its_burst_and_refills_with_time():
    clock = Clock()
    limit = auth.AddressLimit(per_minute=6, burst=3, clock=clock)
    assert [limit.take("203.0.113.5") for _ in range(3)] == [0, 0, 0]
    assert limit.take("203.0.113.5") == pytest.approx(10)  # one attempt every 10 s
    assert limit.take("198.51.100.7") == 0  # per address
    clock.t += 10
    assert limit.take("203.0.113.5") == 0
    assert limit.take("203.0.113.5") > 0


def test_address_limit_gives_back_the_attempt_of_a_successful_sign_in():
    limit = auth.AddressLimit(per_minute=1, burst=2, clock=Clock())
    for _ in range(10):  # an office signing in all morning from one address
        assert limit.take("10.0.0.1") == 0
        limit.give_back("10.0.0.1")
    assert limit.take("10.0.0.1") == limit.take("10.0.0.1") == 0
    assert limit.take("10.0.0.1") > 0
