"""The kiosk wall fits the screens of a conference room, in a real headless Chromium.

A kiosk link (`metrics.access.kiosk`, as `ioc kiosk create --scope province:46` makes) opens the
wall served by `ioc dashboard` over a store where five of Huế's centres are down and
ten alerts are open (some acknowledged). At 1366×768, 1920×1080, 2560×1440 and
3840×2160 (device scale factor 1): nothing scrolls either way, every tile's value is at
least 3 % of the screen height and its label at least 1.5 %, every figure sits on one
line, the content reaches the lower part of the screen, every down centre is named, who
acknowledged an alert is shown, and a refresh sends at most 300 KB over the websocket.
Screenshots: artifacts/wall-fit/wall-<w>x<h>.png (the path is printed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, sync_playwright

from config.scope import province
from metrics.access import kiosk
from metrics.store import Store
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, refresh_bursts, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.access import write_users
from tests.fixtures.alert_rows import add_alert
from tests.fixtures.personas import (
    HEALTHY,
    LAGGING,
    UNREACHABLE,
    seed,
    unreachable_mountain_commune,
)
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts" / "wall-fit"
SIZES = [(1366, 768), (1920, 1080), (2560, 1440), (3840, 2160)]
REFRESH_S = 4  # dashboard.refresh_s: how often the wall reruns
REFRESH_BUDGET = 300_000  # bytes a wall refresh may send (issue 24)


@pytest.fixture(scope="module")
def wall(tmp_path_factory) -> Iterator[tuple[str, list[str], int, str]]:
    """(the kiosk link, the names of the centres that are down, how many alerts are open,
    the store's URL)."""
    folder = tmp_path_factory.mktemp("wall-fit")
    url = f"sqlite:///{folder / 'wall.db'}"
    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(url) as db:
        seeded = seed(db, hue_centres(), hours=3, step_s=300, end=now)
        names = {c.id: c.name for c in seeded.centres}
        # Two healthy wards lose their line for the last 40 minutes too: five down in all.
        also = seeded.ids(HEALTHY)[:2]
        for step in range(9):
            ts = (now - timedelta(minutes=40 - 5 * step)).timestamp()
            db.write([unreachable_mountain_commune(cid, ts) for cid in also])
        down = seeded.ids(UNREACHABLE) + also
        for i, cid in enumerate(down):
            add_alert(db, centre_id=cid, province_code=46, severity="critical", state="firing",
                      start=now - timedelta(minutes=30 + i),
                      acked_by="Lan" if i == 1 else None)
        for i, cid in enumerate(seeded.ids(LAGGING)):
            add_alert(db, centre_id=cid, province_code=46, severity="warning", state="firing",
                      rule="sync_lag", summary="Đồng bộ chậm",
                      start=now - timedelta(minutes=50 + i))
        _, token = kiosk.create(db, label="wall", scope=province(46), actor="test")
    users = write_users(folder / "users.yaml", [("canbo", "ioc_staff", "province:46")])
    env = {"IOC_DB_URL": url, "IOC_DASHBOARD__AUTH": "local",
           "IOC_DASHBOARD__USERS_FILE": str(users),
           "IOC_DASHBOARD__REFRESH_S": str(REFRESH_S),
           "IOC_CONFIG": str(stale_config(folder / "config", 3600))}
    with served_dashboard(env) as base:
        yield (f"{base}?kiosk={token}", [names[c] for c in down],
               len(down) + len(seeded.ids(LAGGING)), url)


def measure(page: Page) -> dict:
    """What the test reads from the rendered wall, in CSS pixels."""
    return page.evaluate("""() => {
      const box = e => e.getBoundingClientRect();
      const px = (e, p) => parseFloat(getComputedStyle(e)[p]);
      const main = document.querySelector('[data-testid="stMain"]');
      const lines = sel => [...document.querySelectorAll(sel)].map(e => {
        const lh = px(e, 'lineHeight') || px(e, 'fontSize') * 1.2;
        return {text: e.innerText, font: px(e, 'fontSize'), height: box(e).height, line: lh};
      });
      const bottoms = [...document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stElementContainer"]')]
        .filter(e => e.offsetParent !== null).map(e => box(e).bottom);
      return {
        doc: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
        main: main ? [main.scrollWidth, main.scrollHeight, main.clientWidth, main.clientHeight]
                   : null,
        values: lines('[data-testid="stMetricValue"] > div'),
        labels: lines('[data-testid="stMetricLabel"] p'),
        badge: lines('.ioc-badge .ioc-nb'),
        durations: lines('.ioc-dur'),
        lowest: Math.max(...bottoms),
        mapText: [...document.querySelectorAll('.js-plotly-plot .legendtext')]
          .map(e => parseFloat(getComputedStyle(e).fontSize)),
      };
    }""")


def visible_text(page: Page, text: str) -> bool:
    """Whether `text` is on screen: its element visible and within the viewport."""
    found = page.get_by_text(text, exact=False)
    size = page.viewport_size
    for i in range(found.count()):
        box = found.nth(i).bounding_box()
        if box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5 \
                and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5:
            return True
    return False


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_kiosk_wall_fits_the_screen_and_reads_from_across_the_room(wall, width, height):
    import time

    link, down, n_alerts, _ = wall
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"wall-{width}x{height}.png"
    frames: list[tuple[float, int]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": height},
                                       device_scale_factor=1).new_page()
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: frames.append(
                    (time.monotonic(), len(payload)))))
            page.goto(link)
            page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
            page.wait_for_selector(".js-plotly-plot", timeout=30_000)
            page.wait_for_selector(".ioc-badge", timeout=30_000)
            # The map is drawn, then stretched to its box (Streamlit measures the box).
            page.wait_for_function("""() => {
              const plot = document.querySelector('.st-key-wall-mapbox .js-plotly-plot');
              const box = document.querySelector('.st-key-wall-mapbox');
              return plot && box && plot.getBoundingClientRect().bottom
                                    <= box.getBoundingClientRect().bottom + 1; }""",
                                   timeout=30_000)
            page.wait_for_timeout(1500)  # fonts settle
            page.screenshot(path=str(shot))
            print(f"screenshot: {shot}")
            seen = measure(page)
            text = page.inner_text("body")
            names_visible = {name: visible_text(page, name) for name in down}
            handling = {t: visible_text(page, t) for t in ("Đã xác nhận bởi Lan",
                                                           "Chưa ai xử lý")}
            errors = page.locator('[data-testid="stException"], '
                                  '[data-testid="stAlertContentError"]').count()
            frames.clear()  # from here on, only the refreshes
            page.wait_for_timeout(int(REFRESH_S * 2.6 * 1000))
        finally:
            browser.close()

    assert errors == 0, text
    # Nothing scrolls, either way, on the page or in Streamlit's main pane.
    assert seen["doc"][0] <= width and seen["doc"][1] <= height, seen["doc"]
    sw, sh, cw, ch = seen["main"]
    assert sw <= cw and sh <= ch, seen["main"]
    # The content uses the screen, not its top half.
    assert seen["lowest"] >= 0.85 * height, seen["lowest"]
    # Type scaled to the screen: value ≥ 3 %, label ≥ 1.5 % of its height; one line each.
    assert len(seen["values"]) == 7 and len(seen["labels"]) == 7
    for v in seen["values"]:
        assert v["font"] >= 0.03 * height, v
        assert v["height"] < 1.5 * v["line"], f"{v['text']!r} wraps: {v}"
    for label in seen["labels"]:
        assert label["font"] >= 0.015 * height, label
    # The map's type grows with the screen (drawn for its height, not fixed pixels).
    assert seen["mapText"] and min(seen["mapText"]) >= 0.012 * height, seen["mapText"]
    # The count badge: large, one line each part, its figures the page's own.
    assert seen["badge"] and all(b["font"] >= 0.03 * height for b in seen["badge"])
    assert all(b["height"] < 1.5 * b["line"] for b in seen["badge"] + seen["durations"])
    assert f"{len(down)} ngừng · {n_alerts} cảnh báo" in text
    assert "và " in text and "cảnh báo khác" in text  # the list summarises the rest
    # Every down centre named on screen; who is handling an alert, and who nobody is.
    assert all(names_visible.values()), names_visible
    assert handling["Đã xác nhận bởi Lan"] and handling["Chưa ai xử lý"], handling
    # A refresh sends at most 300 KB.
    bursts = refresh_bursts(frames)
    assert bursts, "no refresh arrived over the websocket"
    print(f"{width}x{height}: bytes per refresh {bursts}")
    assert max(bursts) <= REFRESH_BUDGET, bursts


def test_a_new_unacknowledged_critical_alert_stops_the_playlist_with_a_notice_as_large_as_the_badge(
        wall):
    """Runs after the sizes above (it adds an alert): a critical alert firing for a minute
    that nobody acknowledged holds a kiosk playlist; the notice's words are as large as the
    badge's, and the wall still fits."""
    link, _, _, url = wall
    now = datetime.now(UTC).replace(microsecond=0)
    with Store.open(url) as db:
        ward = next(c for c in hue_centres() if c.name == "Phường Thuận Hóa")
        add_alert(db, centre_id=ward.id, province_code=46, severity="critical", state="firing",
                  rule="otp_slow", summary="OTP chậm", start=now - timedelta(minutes=2),
                  fired_after=timedelta(minutes=1))
    width, height = 1920, 1080
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": height},
                                       device_scale_factor=1).new_page()
            page.goto(f"{link}&playlist=wall,alerts&every=30")
            page.wait_for_selector(".ioc-held", timeout=60_000)
            page.wait_for_selector(".ioc-badge:not(.ioc-held)", timeout=30_000)
            page.wait_for_timeout(1500)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "wall-held-1920x1080.png"))
            sizes = page.evaluate("""() => [...document.querySelectorAll('.ioc-badge > .ioc-nb')]
              .map(e => [e.closest('.ioc-held') !== null,
                         parseFloat(getComputedStyle(e).fontSize)])""")
            held = page.inner_text(".ioc-held")
            main = page.evaluate("""() => { const m = document.querySelector(
              '[data-testid="stMain"]'); return [m.scrollHeight, m.clientHeight]; }""")
        finally:
            browser.close()
    notice = [size for is_held, size in sizes if is_held]
    badge = [size for is_held, size in sizes if not is_held]
    assert notice and badge and min(notice) >= max(badge), sizes
    assert "DỪNG TRÌNH CHIẾU" in held and ward.name in held, held
    assert main[0] <= main[1], main
