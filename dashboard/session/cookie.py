"""The sign-in cookie: an HttpOnly cookie set by one small HTTP route beside the app.

A Streamlit script cannot set response headers, and a cookie written by
page script would be readable by page script. So the session token never
reaches the page: after a successful sign-in the script parks the token here
under a one-time *handoff code* (`Handoffs`, in this process's memory, for
`HANDOFF_TTL_S`) and draws a few lines of JavaScript that POST the code to
`ROUTE`; the route (`endpoint`, served by `dashboard/server.py`'s `st.App`)
answers with `Set-Cookie: ioc_session=<token>; HttpOnly; SameSite=Strict;
Path=/` (and `Secure` on https). Signing out POSTs to the same route with
`DELETE`, giving the SHA-256 of the token to forget: the route clears the
cookie only when it still holds that token, so a late request never clears a
newer sign-in. The browser then sends the cookie with the websocket handshake
of every reload and tab, where `st.context.cookies` reads it.

The route refuses requests without the `X-IOC-Session` header (a cross-site
page cannot add one without a CORS preflight, which it does not get) and
requests a browser marks as not same-origin (`Sec-Fetch-Site`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypedDict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

COOKIE = "ioc_session"
ROUTE = "_ioc/session"  # under server.baseUrlPath
HEADER = "X-IOC-Session"
HANDOFF_TTL_S = 120.0
MAX_HANDOFFS = 10_000
MAX_BODY = 200


@dataclass(frozen=True, slots=True)
class Handoff:
    token: str
    max_age_s: int
    until: float  # the registry clock's time after which it is void


class Handoffs:
    """One-time codes, each standing for a session token until redeemed or `ttl_s` old.
    Thread-safe (script threads put, the server's event loop takes)."""

    def __init__(self, ttl_s: float = HANDOFF_TTL_S, max_items: int = MAX_HANDOFFS,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.max_items, self._clock = ttl_s, max_items, clock
        self._lock = threading.Lock()
        self._items: dict[str, Handoff] = {}

    def put(self, token: str, max_age_s: int) -> str:
        """Park `token` (cookie lifetime `max_age_s`); the code that redeems it once."""
        code, now = secrets.token_urlsafe(24), self._clock()
        with self._lock:
            self._drop_expired(now)
            while len(self._items) >= self.max_items:
                self._items.pop(next(iter(self._items)))
            self._items[code] = Handoff(token, max_age_s, now + self.ttl_s)
        return code

    def take(self, code: str) -> Handoff | None:
        """The handoff for `code`, removed; None when unknown, used or expired."""
        with self._lock:
            item = self._items.pop(code, None)
        return item if item is not None and self._clock() < item.until else None

    def waiting(self, code: str) -> bool:
        """Whether `code` is still waiting to be redeemed."""
        with self._lock:
            item = self._items.get(code)
        return item is not None and self._clock() < item.until

    def _drop_expired(self, now: float) -> None:
        for code in [c for c, h in self._items.items() if h.until <= now]:
            del self._items[code]


HANDOFFS = Handoffs()  # this process's: the app's scripts and its route share it


def token_hash(token: str) -> str:
    """Hex SHA-256, as metrics.access.sessions stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CookieOptions(TypedDict):
    """Keyword arguments of starlette's `Response.set_cookie`."""

    max_age: int
    path: str
    httponly: bool
    samesite: Literal["strict"]
    secure: bool


def cookie_options(max_age_s: int, secure: bool) -> CookieOptions:
    """The cookie's attributes (for starlette's `Response.set_cookie`)."""
    return {"max_age": max(0, int(max_age_s)), "path": "/", "httponly": True,
            "samesite": "strict", "secure": secure}


def refused(headers: dict[str, str]) -> bool:
    """Whether a request to the route must be refused: no `HEADER`, or a browser says it
    comes from another site (`Sec-Fetch-Site` other than same-origin)."""
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get(HEADER.lower()) != "1":
        return True
    site = lower.get("sec-fetch-site")
    return site is not None and site != "same-origin"


async def endpoint(request: Request) -> Response:
    """POST <handoff code>: set the cookie. DELETE <token hash>: clear it if it holds
    that token. 204 when done, 403 refused, 404 unknown code or another token."""
    if refused(dict(request.headers)):
        return Response(status_code=403)
    body = (await request.body())[:MAX_BODY].decode("ascii", "replace").strip()
    secure = request.url.scheme == "https" or request.headers.get("x-ioc-https") == "1"
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    if request.method == "POST":
        handoff = HANDOFFS.take(body)
        if handoff is None:
            return Response(status_code=404)
        response.set_cookie(COOKIE, handoff.token, **cookie_options(handoff.max_age_s, secure))
        return response
    current = request.cookies.get(COOKIE, "")
    if not current or not secrets.compare_digest(token_hash(current), body):
        return Response(status_code=404)
    response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
    return response


def routes(base_url_path: str = "") -> list[Route]:
    """The route, under Streamlit's `server.baseUrlPath`."""
    return [Route(route_path(base_url_path), endpoint, methods=["POST", "DELETE"])]


def route_path(base_url_path: str = "") -> str:
    base = base_url_path.strip("/")
    return f"/{base}/{ROUTE}" if base else f"/{ROUTE}"


def script(method: str, body: str, base_url_path: str = "") -> str:
    """The page script that sends `body` to the route with `method` (POST or DELETE)."""
    if method not in ("POST", "DELETE"):
        raise ValueError(f"method: POST or DELETE, not {method!r}")
    call = json.dumps({"method": method, "body": body, "url": route_path(base_url_path)})
    call = call.replace("<", "\\u003c")  # never "</script>" inside the script
    return ("<script>(() => { const c = " + call + ";\n"
            "const headers = {'" + HEADER + "': '1',\n"
            "  'X-IOC-Https': location.protocol === 'https:' ? '1' : '0'};\n"
            "fetch(c.url, {method: c.method, body: c.body, headers, credentials: 'same-origin',\n"
            "  keepalive: true, cache: 'no-store'}).catch(() => {});\n"
            "})();</script>")
