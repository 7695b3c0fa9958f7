"""Signed in through a database outage, in Debian's headless Chromium.

The real `ioc dashboard` reads a scratch PostgreSQL database through a TCP proxy of the
test's own on loopback. Signed in, the proxy is cut (new connections refused, open ones
broken) and the page reloaded: it says the database is unreachable, with the time, never
the sign-in form. The proxy is restored and, with no further reload, the page comes back
signed in by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.engine import make_url

from metrics.store import Store, dialects
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, served_dashboard
from tests.browser.test_session_browser import FORM, SHOWN_NAME, on_wall, session_cookie, sign_in
from tests.conftest import PG_URL, hue_centres
from tests.faults.scratch_pg import ScratchDatabase
from tests.fixtures.access import write_users
from tests.fixtures.personas import seed
from tests.fixtures.stale_config import stale_config
from tests.fixtures.tcp_proxy import Proxy

pytestmark = pytest.mark.browser

DOWN_VI = "Cơ sở dữ liệu không truy cập được"
REFRESH_S = 2  # dashboard.refresh_s: how often the outage notice asks again


@pytest.fixture
def through_proxy(tmp_path) -> Iterator[tuple[str, Proxy]]:
    """(the dashboard's base URL, the proxy between it and its PostgreSQL database)."""
    scratch = ScratchDatabase(PG_URL).create()
    direct = dialects.normalise_url(scratch.url)
    proxy = Proxy((direct.host or "127.0.0.1", direct.port or 5432))
    proxy.open()
    try:
        with Store.open(scratch.url) as db:
            seed(db, hue_centres(), hours=1, step_s=600,
                 end=datetime.now(UTC).replace(microsecond=0))
        users = write_users(tmp_path / "users.yaml", [("canbo", "ioc_staff", "province:46")])
        via = make_url(direct).set(host="127.0.0.1", port=proxy.port) \
            .render_as_string(hide_password=False)
        with served_dashboard({"IOC_DB_URL": via, "IOC_DASHBOARD__AUTH": "local",
                               "IOC_DASHBOARD__USERS_FILE": str(users),
                               "IOC_DASHBOARD__REFRESH_S": str(REFRESH_S),
                               "IOC_CONFIG": str(stale_config(None, 900))}) as base:
            yield base, proxy
    finally:
        proxy.close()
        scratch.drop()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        finally:
            browser.close()


def test_a_reload_during_a_database_cut_says_so_and_recovers_by_itself(through_proxy, page):
    base, proxy = through_proxy
    page.goto(base)
    sign_in(page)
    assert SHOWN_NAME in on_wall(page)
    session_cookie(page.context)

    proxy.close()  # the database is gone: refused, and the open connections broken
    page.reload()
    notice = page.get_by_text(DOWN_VI)
    notice.wait_for(timeout=60_000)
    text = page.inner_text("body")
    assert FORM not in text  # never the sign-in form while the database cannot say
    assert f"{DOWN_VI} (từ " in text and "thử lại lần cuối lúc" in text  # with the time

    proxy.open()  # the database answers again: no reload, the page comes back signed in
    assert SHOWN_NAME in on_wall(page)
    assert FORM not in page.inner_text("body")
