"""OpenID Connect sign-in end to end: a real provider, the real dashboard, Chromium.

The provider is panva's certified `oidc-provider` (npm, pinned in tests/browser/oidc/),
run on loopback with the dashboard registered as a client. The dashboard runs with
`dashboard.auth: oidc` and claim rules, reading the `[auth]` block from
`.streamlit/secrets.toml` in the folder it runs in (docs/security.md). Chromium clicks the
sign-in button, fills the provider's form, and comes back signed in with the role and scope
the rules give; a person no rule admits is refused; sign-out ends the session at the
provider too. Nothing is mocked: Streamlit and Authlib talk to the provider over HTTP.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, sync_playwright

from collectors.simulator.background import free_port
from metrics.access import audit
from metrics.store import Store
from tests.browser.oidc_idp import running_provider
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, served_dashboard
from tests.fixtures.access import LEAK, two_provinces
from tests.fixtures.stale_config import stale_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIENT_ID = "ioc-dashboard"
# The provider's directory: login → the claims it asserts (groups via the `groups` scope).
ACCOUNTS = {
    "lan": {"email": "lan@hue.gov.vn", "email_verified": True, "name": "Nguyễn Thị Lan",
            "groups": ["staff", "hue-tech"]},
    "quantri": {"email": "quantri@ioc.gov.vn", "email_verified": True, "name": "Trần Quản Trị",
                "groups": ["ioc-admins"]},
    "khach": {"email": "khach@other.gov.vn", "email_verified": True, "name": "Khách Ngoài",
              "groups": ["other-unit"]},
}
RULES = ('{username_claim: email, rules: ['
         '{claim: groups, value: ioc-admins, role: admin, scope: national}, '
         '{claim: groups, value: hue-tech, role: tech, scope: "province:46"}]}')
SIGN_IN_BUTTON = "Đăng nhập bằng tài khoản của đơn vị"
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")  # e.g. the provider's web font


@dataclass(frozen=True)
class Site:
    base: str  # the dashboard's URL
    issuer: str  # the provider's
    db_url: str


def secrets_toml(port: int, issuer: str, client_secret: str) -> str:
    """The `[auth]` block as docs/security.md gives it, for this dashboard and provider."""
    return f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{CLIENT_ID}"
client_secret = "{client_secret}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid email profile groups", prompt = "login" }}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The provider and an OIDC dashboard over a store with two provinces (Huế and a
    `ZZLEAK` one)."""
    missing = [m for m in ("authlib", "httpx") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"st.login needs {' and '.join(missing)} in .venv (requirements-dev.txt)")
    root: Path = tmp_path_factory.mktemp("oidc")
    db_url = f"sqlite:///{root / 'two.db'}"
    with Store.open(db_url) as db:
        two_provinces(db, datetime.now(UTC).replace(microsecond=0))
    port, client_secret = free_port(), secrets.token_urlsafe(32)
    callback = f"http://127.0.0.1:{port}/oauth2callback"
    client = {"client_id": CLIENT_ID, "client_secret": client_secret,
              "redirect_uris": [callback], "post_logout_redirect_uris": [callback]}
    with running_provider(root, client, ACCOUNTS) as issuer:
        workdir = root / "site"  # where the dashboard runs: its .streamlit/secrets.toml
        (workdir / ".streamlit").mkdir(parents=True)
        (workdir / ".streamlit" / "secrets.toml").write_text(
            secrets_toml(port, issuer, client_secret), encoding="utf-8")
        env = {"IOC_DB_URL": db_url, "IOC_DASHBOARD__AUTH": "oidc",
               "IOC_DASHBOARD__OIDC": RULES, "IOC_CONFIG": str(stale_config(None, 900))}
        with served_dashboard(env, port=port, cwd=workdir) as base:
            yield Site(base, issuer, db_url)


@pytest.fixture
def page(site) -> Iterator[Page]:
    """A fresh Chromium page (no cookies) that reaches nothing but loopback."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            context.route(NOT_LOOPBACK, lambda route: route.abort())
            yield context.new_page()
        finally:
            browser.close()


def sign_in(page: Page, site: Site, login: str) -> None:
    """Open the dashboard, press its sign-in button, sign in at the provider, consent, and
    wait to be back on the dashboard."""
    page.goto(site.base)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    page.wait_for_url(f"{site.issuer}/interaction/**", timeout=30_000)
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{site.issuer}/interaction/**", timeout=30_000)
    page.get_by_role("button", name="Continue").click()  # consent to the scopes
    page.wait_for_url(f"{site.base}**", timeout=30_000)


def open_sidebar(page: Page) -> Locator:
    """Open the sidebar (it starts collapsed) as a person would; the sidebar."""
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.is_visible():
        expand.click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("·").first.wait_for(timeout=30_000)  # "name · role · scope"
    return sidebar


def sign_out_at_provider(page: Page, site: Site) -> None:
    """After "Đăng xuất": confirm at the provider's sign-out page and wait to be back on
    the dashboard's sign-in screen."""
    page.wait_for_url(f"{site.issuer}/session/end**", timeout=30_000)
    page.get_by_role("button", name="Yes, sign me out").click()
    page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=60_000)
    assert page.url.startswith(site.base)


def alerts_page_html(page: Page) -> str:
    """Open the alert board from the navigation; its HTML once its tables have rows (the
    cells of a dataframe are in the DOM, if not visible)."""
    page.get_by_role("link", name="Cảnh báo").first.click()
    page.wait_for_url("**/alerts**", timeout=60_000)
    page.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached",
                           timeout=120_000)
    page.wait_for_timeout(1500)
    return page.content()


def sign_ins(site: Site, actor: str) -> list[tuple[bool, str, str]]:
    with Store.open(site.db_url) as db:
        log = audit.entries(db, actions=["sign_in", "sign_out"])
    return [(r["ok"], r["role"], r["detail"]) for r in log.iter_rows(named=True)
            if r["actor"] == actor]


def test_a_province_tech_signs_in_at_the_provider_sees_only_huế_and_signs_out(page, site):
    sign_in(page, site, "lan")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    sidebar = open_sidebar(page).inner_text()
    assert "Nguyễn Thị Lan · Kỹ thuật · tỉnh/thành phố mã 46" in sidebar
    assert "Nhật ký truy cập" not in page.inner_text("body")  # for national admins only
    assert LEAK not in alerts_page_html(page)  # the other province is never read
    assert sign_ins(site, "lan@hue.gov.vn") == [
        (True, "tech", "oidc · province:46 · from 127.0.0.1")]

    open_sidebar(page).get_by_role("button", name="Đăng xuất").click()
    sign_out_at_provider(page, site)
    assert "Nguyễn Thị Lan" not in page.inner_text("body")
    assert sign_ins(site, "lan@hue.gov.vn")[0] == (True, "tech", "oidc")  # sign_out
    page.reload()  # the identity cookie is gone: still signed out
    page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=60_000)


def test_a_national_admin_from_the_provider_sees_both_provinces_and_the_access_log(page, site):
    sign_in(page, site, "quantri")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    sidebar = open_sidebar(page).inner_text()
    assert "Trần Quản Trị · Quản trị · toàn quốc" in sidebar
    assert "Nhật ký truy cập" in page.inner_text("body")  # the navigation offers it
    assert LEAK in alerts_page_html(page)  # the check the province tech passes can fail
    assert sign_ins(site, "quantri@ioc.gov.vn") == [
        (True, "admin", "oidc · national · from 127.0.0.1")]


def test_a_person_no_rule_admits_is_refused_with_a_message_and_audited(page, site):
    sign_in(page, site, "khach")
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    text = page.inner_text("body")
    assert "chưa được cấp quyền" in text and "khach@other.gov.vn" in text
    assert not page.query_selector('[data-testid="stMetric"]')
    assert page.get_by_role("link", name="Cảnh báo").count() == 0  # no navigation
    page.reload()  # still refused: the identity cookie stays, the rules decide each time
    page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=60_000)
    assert sign_ins(site, "khach@other.gov.vn")[-1] == (
        False, "", "oidc: no rule grants access · from 127.0.0.1")  # the source address
    # The refused person's way out: sign out at the provider too.
    page.get_by_role("button", name="Đăng xuất").click()
    sign_out_at_provider(page, site)
    page.reload()
    page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=60_000)
    assert "chưa được cấp quyền" not in page.inner_text("body")
