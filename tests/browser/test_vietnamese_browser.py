"""Vietnamese all the way, in Chromium: every page, signed in as each role, over a store
with faults (centres down with the collector's own "read timeout" confirmed by its
re-probe, slow OTP, hours of sync lag) and the alerts the real engine raised from them
(one acknowledged, one silenced). No page may show an English severity or Streamlit's
own English, a rule's or metric's identifier, a poll detail in English, an epoch
millisecond time or a number with a dot decimal. English mode words the alerts in English.

Text is read from the page body, the dataframes' cells (Streamlit's grid keeps an
accessible copy of the cells it draws) and the placeholders of empty inputs and pickers.
Screenshots: artifacts/vi-<role>-<page>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, sync_playwright

from config import catalogue
from config.alerts import alerts_path, load_alerts
from metrics import kpi
from metrics.store import Store
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, served_dashboard
from tests.browser.test_wall_browser import ARTIFACTS
from tests.fixtures.access import PASSWORD, write_users
from tests.fixtures.faulty import faulty_store
from tests.fixtures.personas import UNREACHABLE
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ROLES = ("leader", "ioc_staff", "tech", "admin")  # dashboard/session/auth.py; one account each
ENGLISH = ("warning", "critical", "choose an option", "page not found",
           "confirmed by re-probe", "read timeout", "no options to select")
# A run of digits with dots in it; Vietnamese thousands groups are 1–3 digits, then
# groups of exactly three ("1.234", "12.345.678"). Anything else ("0.35", "3.5", "15.0",
# "1.23") is a dot decimal. Times (10:00) and dates (07/12/2026) have no dot.
DOTTED = re.compile(r"(?<![\d.])\d+(?:\.\d+)+(?![\d])")
THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")  # an address, not a number
EPOCH_MS = re.compile(r"(?<!\d)1\d{12}(?!\d)")
# Besides the body's text: the grids' cells and what empty inputs and pickers show.
UNSEEN_TEXT = """() => [
  ...[...document.querySelectorAll(
      '[data-testid="stDataFrame"] table th, [data-testid="stDataFrame"] table td')]
     .map(e => e.textContent),
  ...[...document.querySelectorAll('[placeholder], [aria-placeholder]')]
     .map(e => e.getAttribute('placeholder') || e.getAttribute('aria-placeholder')),
].join('\\n')"""


def dot_decimals(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every dotted number in `text` that is not a Vietnamese thousands group (IPv4
    addresses, as the audit log shows them, are not numbers)."""
    return [m for m in DOTTED.findall(IPV4.sub(" ", text))
            if not THOUSANDS.fullmatch(m) and m not in allowed]


def test_dot_decimals_tell_a_decimal_from_a_thousands_group():
    text = "1.234 hồ sơ · 12.345.678 · 0.35 · 3.5 giây · 15.0× · 1.23 · 10:00 07/12/2026 · 95,1 %"
    assert dot_decimals(text) == ["0.35", "3.5", "15.0", "1.23"]
    assert dot_decimals("chỉ số 2.1 và 5.4", frozenset({"2.1", "5.4"})) == []
    assert dot_decimals("từ 127.0.0.1 · 10.0.12.5 · 1.5") == ["1.5"]


def identifiers() -> list[str]:
    """The raw names a person must never read: rules of config/alerts.yaml, and metric
    names (those with an underscore: "up" is also a word)."""
    rules = [r.name for r in load_alerts(alerts_path(None)).rules]
    return rules + [m for m in catalogue.METRICS if "_" in m]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """`ioc dashboard` with local sign-in (one account per role, national scope) over the
    faulty store; (its URL, a down centre's id)."""
    tmp = tmp_path_factory.mktemp("vietnamese")
    url = f"sqlite:///{tmp / 'faulty.db'}"
    with Store.open(url) as db:
        seeded = faulty_store(db, datetime.now(UTC).replace(microsecond=0))
    users = write_users(tmp / "users.yaml", [(role, role, "national") for role in ROLES])
    # Stale after 15 min: the data must stay fresh while four roles walk every page.
    config = stale_config(tmp / "config", 900)
    with served_dashboard({"IOC_DB_URL": url, "IOC_CONFIG": str(config),
                           "IOC_DASHBOARD__AUTH": "local",
                           "IOC_DASHBOARD__USERS_FILE": str(users)}) as base:
        yield base, seeded.ids(UNREACHABLE)[0]


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(base)
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)


def read(page: Page, url: str, ready: str, shot: str) -> str:
    """Open `url`, wait for `ready` and for the page to settle; its text and grid cells."""
    page.goto(url)
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_timeout(2500)  # the last elements and the grids' cells
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    return page.inner_text("body") + "\n" + page.evaluate(UNSEEN_TEXT)


def pages(base: str, down: str) -> dict[str, tuple[str, str]]:
    """Page → (URL, a selector present once it has drawn)."""
    table = '[data-testid="stDataFrame"]'
    return {
        "wall": (base, '[data-testid="stTable"]'),
        "commune": (f"{base}commune?centre={down}", table),
        "finder": (f"{base}finder", table),
        "alerts": (f"{base}alerts", table),
        "kpi": (f"{base}kpi", table),
        "briefing": (f"{base}briefing", table),
        "audit": (f"{base}audit", table),
        "stale-link": (f"{base}trang-cu", "text=Không có trang"),
    }


def problems(text: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    low = text.lower()
    found = [w for w in ENGLISH if w in low]
    found += [name for name in identifiers() if name in text]
    found += EPOCH_MS.findall(text)
    found += dot_decimals(text, allowed)
    return found


def test_every_page_is_vietnamese_for_every_role_with_faults(site):
    base, down = site
    ARTIFACTS.mkdir(exist_ok=True)
    codes = frozenset(s.code for s in kpi.SPECS)  # "2.1": Decision 766's indicator codes
    seen: dict[str, str] = {}
    failures: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for role in ROLES:
                context = browser.new_context(viewport={"width": 1600, "height": 1400})
                page = context.new_page()
                sign_in(page, base, role)
                for name, (url, ready) in pages(base, down).items():
                    if name == "audit" and role != "admin":
                        url, ready = url, "text=Không có trang"  # not this role's page
                    text = read(page, url, ready, f"vi-{role}-{name}")
                    seen[f"{role}/{name}"] = text
                    found = problems(text, allowed=codes if name == "kpi" else frozenset())
                    if found:
                        failures[f"{role}/{name}"] = found
                context.close()
        finally:
            browser.close()
    assert not failures, failures
    # The faults are there to be read, in Vietnamese.
    alerts = seen["tech/alerts"]
    assert "NGHIÊM TRỌNG" in alerts and "Trung tâm ngừng hoạt động" in alerts
    assert "hết thời gian chờ phản hồi; đã thăm dò lại để xác nhận" in alerts
    assert "cổng SMS/OTP của tỉnh" in alerts  # five slow-OTP centres: one incident
    assert "tạm tắt đến" in seen["tech/commune"] or "đang xử lý" in seen["tech/commune"]
    assert "Tạm tắt cảnh báo" in seen["admin/audit"]
    assert "Chọn…" in seen["tech/kpi"]  # the selectbox's placeholder
    assert "Không có trang «trang-cu»" in seen["leader/stale-link"]


def test_alerts_are_worded_in_english_in_english_mode(site):
    base, down = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1600, "height": 1400}).new_page()
            sign_in(page, base, "tech")
            alerts = read(page, f"{base}alerts?lang=en", '[data-testid="stDataFrame"]',
                          "en-tech-alerts")
            commune = read(page, f"{base}commune?centre={down}&lang=en",
                           '[data-testid="stDataFrame"]', "en-tech-commune")
        finally:
            browser.close()
    assert "is down: no answer in time; confirmed by a second poll" in alerts
    assert "the province's SMS/OTP gateway" in alerts  # the slow-OTP incident
    assert "Centre down" in alerts and "CRITICAL" in alerts
    for vietnamese in ("không phản hồi", "cổng SMS/OTP", "ngân sách lỗi", "NGHIÊM TRỌNG"):
        assert vietnamese not in alerts, vietnamese
    assert "is down: " in commune and "ngừng hoạt động:" not in commune
    assert not EPOCH_MS.findall(alerts + commune)
