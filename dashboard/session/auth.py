"""Who is looking, and what they may do: roles, permissions, sign-in checks, throttling.

Pure: no Streamlit, no database (the sign-in screens are `dashboard.session.signin`).

Roles: `leader` reads only; `ioc_staff` reads and may act on alerts where the
alert configuration allows it (default: acknowledge); `tech` acknowledges and
silences; `admin` also sees the audit log and manages kiosk links. A kiosk
(wall display) link is read-only whatever else is configured. What a person
sees is their `Scope` (config/scope.py), applied in every query.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config.roles import ClaimRule, OidcSettings
from config.scope import Scope
from metrics.access.accounts import UsersFile, dummy_hash, verify_password

if TYPE_CHECKING:
    from metrics.access.sessions import WebSession

VIEW, ACT, ADMIN = "view", "act", "admin"
PERMISSIONS: dict[str, frozenset[str]] = {
    "leader": frozenset({VIEW}),
    "ioc_staff": frozenset({VIEW, ACT}),
    "tech": frozenset({VIEW, ACT}),
    "admin": frozenset({VIEW, ACT, ADMIN}),
}
# Page names (dashboard/app_pages/<name>.py) each kind of principal may open.
READ_PAGES = ("wall", "commune", "finder", "alerts", "kpi", "briefing")
KIOSK_PAGES = ("wall", "alerts")
ADMIN_PAGES = ("audit",)
LOCAL, OIDC, KIOSK, NONE = "local", "oidc", "kiosk", "none"


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person (or a kiosk link): name, role, scope and how they got in."""

    username: str
    role: str
    scope: Scope
    method: str  # local | oidc | kiosk | none
    display: str = ""

    @property
    def kiosk(self) -> bool:
        return self.method == KIOSK

    @property
    def shown_name(self) -> str:
        return self.display or self.username


def may(who: Principal, permission: str) -> bool:
    """Whether `who` has `permission` (view | act | admin); a kiosk only views."""
    if who.kiosk:
        return permission == VIEW
    return permission in PERMISSIONS.get(who.role, frozenset())


def may_act(who: Principal, allowed_roles: Sequence[str]) -> bool:
    """Whether `who` may take an alert action the alert configuration grants to
    `allowed_roles` (config/alerts.yaml `permissions`). A leader or a kiosk never may."""
    return may(who, ACT) and who.role in allowed_roles


def pages_for(who: Principal) -> tuple[str, ...]:
    """The pages `who` may open: a kiosk link the wall and the alert board; an admin with
    national scope also the audit log."""
    if who.kiosk:
        return KIOSK_PAGES
    if may(who, ADMIN) and who.scope.is_national:
        return READ_PAGES + ADMIN_PAGES
    return READ_PAGES


def normalise_username(text: str) -> str:
    return text.strip().lower()


def check_password(users: UsersFile, username: str, password: str) -> Principal | None:
    """The principal when `username` exists, is enabled and `password` matches; else None.

    An unknown or disabled user costs one hash verification too, so the time taken does
    not tell which user names exist.
    """
    entry = users.users.get(normalise_username(username))
    if entry is None or entry.disabled:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(entry.password_hash, password):
        return None
    return Principal(normalise_username(username), entry.role, Scope.parse(entry.scope), LOCAL,
                     entry.name)


def still_valid(users: UsersFile, who: Principal) -> bool:
    """A local session stays valid while its user exists, is enabled, and keeps the role
    and scope it signed in with (a change signs them out at the next page load)."""
    if who.method != LOCAL:
        return True
    entry = users.users.get(who.username)
    return (entry is not None and not entry.disabled and entry.role == who.role
            and Scope.parse(entry.scope) == who.scope)


def credential_stamp(password_hash: str) -> str:
    """What a web session remembers of the password it was opened with (hex SHA-256 of the
    argon2 hash): a new password gives a new stamp, which ends the older sessions."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()


def resume(users: UsersFile, session: WebSession, now_ms: int) -> Principal | None:
    """The principal a stored sign-in session stands for, or None when it has ended
    (expired, revoked) or its account has since been removed or disabled, changed role or
    scope (`still_valid`), or changed password."""
    if not session.live(now_ms):
        return None
    entry = users.users.get(session.username)
    if entry is None or credential_stamp(entry.password_hash) != session.credential_stamp:
        return None
    who = Principal(session.username, session.role, session.scope, LOCAL, entry.name)
    return who if still_valid(users, who) else None


def _claim_matches(claim: Any, value: str) -> bool:
    if isinstance(claim, str):
        return claim == value
    if isinstance(claim, (list, tuple, set, frozenset)):
        return value in {str(c) for c in claim}
    return claim is not None and str(claim) == value


def map_claims(claims: Mapping[str, Any], rules: Sequence[ClaimRule]) -> tuple[str, Scope] | None:
    """(role, scope) of the first rule whose claim matches, or None: no access."""
    for rule in rules:
        if _claim_matches(claims.get(rule.claim), rule.value):
            return rule.role, Scope.parse(rule.scope)
    return None


def principal_from_claims(claims: Mapping[str, Any], oidc: OidcSettings) -> Principal | None:
    """The principal for an identity provider's claims, or None when no rule grants access
    or the identity has no name (`username_claim`, else `sub`)."""
    granted = map_claims(claims, oidc.rules)
    name = claims.get(oidc.username_claim) or claims.get("sub")
    if granted is None or not name:
        return None
    role, scope = granted
    display = claims.get("name")
    return Principal(str(name)[:200], role, scope, OIDC,
                     str(display)[:120] if isinstance(display, str) else "")


class Throttle:
    """Failed sign-ins per user name: after `max_failures` within `window_s`, that name is
    locked for `lock_s` (no password is even checked). In-process and thread-safe.

    A lock stays until it expires, whatever happens to other names: failures on other names
    never evict it (only expired locks are dropped). The failure counts of at most
    `max_keys` names are remembered (the oldest forgotten first); the locks are bounded by
    the attempts `AddressLimit` lets through, `max_failures` per lock."""

    def __init__(self, max_failures: int = 5, window_s: float = 900, lock_s: float = 300,
                 max_keys: int = 10_000, clock: Callable[[], float] | None = None):
        import time

        self.max_failures, self.window_s, self.lock_s = max_failures, window_s, lock_s
        self.max_keys = max_keys
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    def wait_s(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            return max(0.0, self._locked_until.get(normalise_username(key), 0.0) - now)

    def failure(self, key: str) -> None:
        key, now = normalise_username(key), self._clock()
        with self._lock:
            recent = [t for t in self._failures.pop(key, []) if now - t < self.window_s]
            recent.append(now)
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lock_s
                recent = []
            self._failures[key] = recent  # re-inserted: the dict's order is recency
            while len(self._failures) > self.max_keys:
                self._failures.pop(next(iter(self._failures)))
            if len(self._locked_until) > self.max_keys:  # drop the expired ones, only
                self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}

    def success(self, key: str) -> None:
        key = normalise_username(key)
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)


class AddressLimit:
    """Sign-in attempts per source address: a bucket of `burst` attempts, refilled at
    `per_minute`. An attempt takes one before any password hash is computed (argon2 costs
    ~0.17 s of CPU a try), so one address cannot keep the dashboard hashing; a successful
    sign-in gives it back, so only failures (and attempts still being checked) count and a
    busy office behind one address is not held up. In-process and thread-safe; at most
    `max_keys` addresses are remembered (the least recent forgotten first)."""

    def __init__(self, per_minute: float = 10, burst: int = 30, max_keys: int = 100_000,
                 clock: Callable[[], float] | None = None):
        import time

        self.rate_s, self.burst, self.max_keys = per_minute / 60.0, burst, max_keys
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # address → (tokens, at)

    def _change(self, address: str, spend: float) -> float:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(address, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate_s)
            if tokens >= spend:
                tokens = min(float(self.burst), tokens - spend)
                spend = 0.0
            self._buckets[address] = (tokens, now)  # re-inserted: the dict's order is recency
            while len(self._buckets) > self.max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            return 0.0 if spend <= 0 else (spend - tokens) / self.rate_s

    def take(self, address: str) -> float:
        """Take one attempt of `address`: 0 when allowed, else the seconds until the next."""
        return self._change(address, 1.0)

    def give_back(self, address: str) -> None:
        """Return the attempt a successful sign-in took."""
        self._change(address, -1.0)
