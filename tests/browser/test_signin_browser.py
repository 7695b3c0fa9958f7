"""Sign-in through the real form in Chromium, then hostile centre data on the wall and the
alert pages: shown as text, never as elements (no <script>, <img> or on* handler from it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import sync_playwright

from metrics.store import Store
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, served_dashboard
from tests.fixtures.access import HOSTILE, PASSWORD, hostile_store, write_users
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

FROM_DATA = """() => ({
  scripts: [...document.scripts].filter(s => /alert\\(/.test(s.textContent)).length,
  images: document.querySelectorAll('img[src="x"]').length,
  handlers: [...document.querySelectorAll('*')].filter(
      e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
  jsLinks: [...document.querySelectorAll('a[href]')].filter(
      a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
  // **x**, [link](…) and :red[x] turned into elements would leave these behind
  markup: [...document.querySelectorAll('strong, b, em, a, span')].filter(
      e => e.textContent === 'x' || e.textContent === 'link').length,
})"""


@pytest.fixture
def dashboard(tmp_path) -> Iterator[str]:
    """`ioc dashboard` with local sign-in over a store full of hostile names; its URL."""
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    with Store.open(url) as db:
        hostile_store(db, datetime.now(UTC).replace(microsecond=0))
    users = write_users(tmp_path / "users.yaml", [("canbo", "ioc_staff", "province:46")])
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900)),
                           "IOC_DASHBOARD__AUTH": "local",
                           "IOC_DASHBOARD__USERS_FILE": str(users)}) as base:
        yield base


def test_sign_in_form_then_hostile_names_render_as_text_in_chromium(dashboard):
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(dashboard)
            page.get_by_label("Tên đăng nhập").fill("canbo")
            page.get_by_label("Mật khẩu", exact=True).fill("wrong-password")
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=30_000)
            page.get_by_label("Tên đăng nhập").fill("canbo")
            page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
            page.wait_for_selector('[data-testid="stTable"]', timeout=30_000)
            page.wait_for_timeout(1500)
            wall_text = page.inner_text("body")
            wall = page.evaluate(FROM_DATA)
            # In-app navigation keeps the session (reloads too: test_session_browser.py).
            page.get_by_role("link", name="Cảnh báo").first.click()
            page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
            page.wait_for_timeout(1000)
            alerts = page.evaluate(FROM_DATA)
        finally:
            browser.close()
    assert "canbo (test)" in wall_text  # signed in, named in the sidebar
    assert HOSTILE[0] in wall_text and "**x**" in wall_text  # shown as the characters sent
    for found in (wall, alerts):
        assert found == {"scripts": 0, "images": 0, "handlers": 0, "jsLinks": 0,
                         "markup": 0}, found
    assert not dialogs


def test_a_link_to_a_commune_leads_there_after_signing_in(dashboard):
    """A link from a notification (`/commune?centre=…`) asks for sign-in, then opens that
    commune — not the wall."""
    centre = "19753"  # Phường Phú Xuân, in the signed-in officer's province
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{dashboard}commune?centre={centre}")
            page.get_by_label("Tên đăng nhập").fill("canbo")
            page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_selector(f"text=mã {centre}", timeout=60_000)
            url, text = page.url, page.inner_text("body")
        finally:
            browser.close()
    assert "/commune" in url and f"centre={centre}" in url
    assert "Chi tiết trung tâm" in text
