"""A local sign-in that survives reloads and tabs, in Debian's headless Chromium.

The real `ioc dashboard` (st.App: the app and its cookie route) with local accounts over
a SQLite store: sign in through the form, reload, open a second tab, follow a deep link,
sign out; a session ended by `ioc users signout`, by an expiry or by a new password
shows the sign-in form again. The cookie is checked as Chromium stores it (HttpOnly,
SameSite=Strict, not visible to page script), the route's refusals over plain HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, sync_playwright

from dashboard.session.cookie import COOKIE, HEADER, ROUTE
from metrics.access import audit
from metrics.access import sessions as web_sessions
from metrics.store import Store
from metrics.store import schema as t
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.access import OFFICER_CENTRE, PASSWORD, write_users
from tests.fixtures.personas import seed
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

FORM = "Tên đăng nhập"
SHOWN_NAME = "canbo (test)"


@dataclass(frozen=True)
class Site:
    base: str
    db_url: str
    users: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """`ioc dashboard` with local sign-in over Huế, shared by the module's tests: `canbo`
    (IOC staff, province 46) and `doimk`, whose password a test changes."""
    root = tmp_path_factory.mktemp("session")
    url = f"sqlite:///{root / 'session.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=2, step_s=600, end=datetime.now(UTC).replace(microsecond=0))
    users = write_users(root / "users.yaml", [("canbo", "ioc_staff", "province:46"),
                                              ("doimk", "ioc_staff", "province:46")])
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900)),
                           "IOC_DASHBOARD__AUTH": "local",
                           "IOC_DASHBOARD__USERS_FILE": str(users)}) as base:
        yield Site(base, url, users)


@pytest.fixture
def context() -> Iterator[BrowserContext]:
    """A fresh Chromium profile (no cookies); its tabs share one cookie jar."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1600, "height": 1000})
        finally:
            browser.close()


def sign_in(page: Page, user: str = "canbo") -> None:
    page.get_by_label(FORM).fill(user)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def on_wall(page: Page) -> str:
    """Wait for the wall's tiles; the page's text."""
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    return page.inner_text("body")


def on_form(page: Page) -> None:
    page.get_by_label(FORM).wait_for(timeout=60_000)


def session_cookie(context: BrowserContext, present: bool = True) -> dict | None:
    """The session cookie once it is there (or gone, `present=False`), 20 s at most."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = next((c for c in context.cookies() if c["name"] == COOKIE), None)
        if (found is not None) == present:
            return found
        time.sleep(0.2)
    raise AssertionError(f"cookie {COOKIE} {'never set' if present else 'never cleared'}")


def sign_out(page: Page) -> None:
    """Open the sidebar as a person would and press "Đăng xuất"."""
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Đăng xuất").click()


def live_sessions(db_url: str) -> list[str]:
    with Store.open(db_url) as db:
        return web_sessions.active(db)["username"].to_list()


def sign_ins(db_url: str) -> int:
    with Store.open(db_url) as db:
        return audit.entries(db, actions=["sign_in"]).height


def test_signed_in_across_reloads_and_tabs_until_signing_out(site, context):
    before = sign_ins(site.db_url)
    page = context.new_page()
    page.goto(site.base)
    sign_in(page)
    assert SHOWN_NAME in on_wall(page)
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain http on loopback
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600  # session_hours: 12
    assert COOKIE not in page.evaluate("document.cookie")  # page script cannot read it

    page.reload()
    text = on_wall(page)
    assert SHOWN_NAME in text and FORM not in text

    second = context.new_page()  # another tab of the same browser
    second.goto(f"{site.base}commune?centre={OFFICER_CENTRE}")  # a deep link, already in
    second.wait_for_selector(f"text=mã {OFFICER_CENTRE}", timeout=60_000)
    assert "/commune" in second.url and FORM not in second.inner_text("body")

    assert sign_ins(site.db_url) == before + 1  # one sign-in, however many reloads and tabs
    with Store.open(site.db_url) as db:  # with the address it came from
        assert audit.entries(db, actions=["sign_in"])["detail"][0] == \
            "local · province:46 · from 127.0.0.1"
    assert live_sessions(site.db_url) == ["canbo"]

    sign_out(page)
    on_form(page)
    session_cookie(context, present=False)
    assert live_sessions(site.db_url) == []
    page.reload()
    on_form(page)
    second.reload()  # the other tab: the cookie is gone, and its session was revoked
    on_form(second)
    with Store.open(site.db_url) as db:
        assert audit.entries(db, actions=["sign_out"])["target"].to_list()[0].startswith(
            "session:")


def test_the_other_tab_is_signed_out_at_its_next_run(site, context):
    """A tab that stays open (no reload) ends with the session, at its next full run."""
    page, other = context.new_page(), context.new_page()
    page.goto(site.base)
    sign_in(page)
    on_wall(page)
    session_cookie(context)
    other.goto(site.base)
    on_wall(other)
    sign_out(page)
    on_form(page)
    other.get_by_role("link", name="Cảnh báo").first.click()  # a full run in the other tab
    on_form(other)
    assert "Phiên đăng nhập đã hết hạn hoặc đã bị kết thúc" in other.inner_text("body")


def ioc(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collectors.cli", *args], cwd=ROOT,
                          env=dict(os.environ), input=stdin, capture_output=True, text=True,
                          timeout=120, check=True)


@pytest.mark.parametrize("ending", ["signout", "passwd", "expired"])
def test_an_ended_session_shows_the_sign_in_form(site, context, ending, monkeypatch):
    user = "doimk" if ending == "passwd" else "canbo"
    page = context.new_page()
    page.goto(site.base)
    sign_in(page, user)
    on_wall(page)
    session_cookie(context)
    monkeypatch.setenv("IOC_DB_URL", site.db_url)
    if ending == "signout":
        ioc("users", "--file", str(site.users), "signout", user)
    elif ending == "passwd":
        ioc("users", "--file", str(site.users), "passwd", user, stdin="another-password-2\n")
    else:
        with Store.open(site.db_url) as db, db.engine.begin() as conn:
            conn.execute(sa.update(t.web_sessions).values(
                expires_at=int(time.time() * 1000) - 1))
    page.reload()
    on_form(page)
    assert f"{user} (test)" not in page.inner_text("body")
    assert user not in live_sessions(site.db_url)


def test_a_deep_link_is_kept_through_the_sign_in_form_and_then_the_reload(site, context):
    page = context.new_page()
    page.goto(f"{site.base}commune?centre={OFFICER_CENTRE}")
    sign_in(page)
    page.wait_for_selector(f"text=mã {OFFICER_CENTRE}", timeout=60_000)
    assert "/commune" in page.url and f"centre={OFFICER_CENTRE}" in page.url
    session_cookie(context)
    page.reload()
    page.wait_for_selector(f"text=mã {OFFICER_CENTRE}", timeout=60_000)
    assert FORM not in page.inner_text("body")


def test_the_cookie_route_refuses_what_a_page_of_ours_would_not_send(site):
    url = site.base + ROUTE
    assert requests.post(url, data="x", timeout=10).status_code == 403  # no header
    cross = {HEADER: "1", "Sec-Fetch-Site": "cross-site"}
    assert requests.post(url, data="x", headers=cross, timeout=10).status_code == 403
    ours = {HEADER: "1", "Sec-Fetch-Site": "same-origin"}
    unknown = requests.post(url, data="not-a-handoff-code", headers=ours, timeout=10)
    assert unknown.status_code == 404 and "set-cookie" not in unknown.headers
    # DELETE clears only a cookie that holds the token named (here: no cookie at all).
    assert requests.delete(url, data="0" * 64, headers=ours, timeout=10).status_code == 404
