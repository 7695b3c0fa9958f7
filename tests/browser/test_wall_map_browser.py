"""The wall's map in Debian's headless Chromium, served by `ioc dashboard`, over ≥ 3 refreshes.

A kiosk wall with centres down (the personas' unreachable mountain communes): the province
outlines are fetched once, from this server, whatever the refreshes; a refresh sends at most
300 KB over the websocket; no request leaves the machine (no tile, glyph, topojson or font
server); every down centre's name is written in the map's SVG, and a down centre is drawn
red even when a metric colours the map. Saves artifacts/wall-map-<scope>.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from dashboard.views.maps import short_centre
from metrics.store import Store
from tests.browser.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, refresh_bursts, served_dashboard
from tests.conftest import hue_centres
from tests.fixtures.personas import UNREACHABLE, assign_personas, seed
from tests.fixtures.stale_config import stale_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
REFRESH_S = 2
REFRESHES = 4  # watched after the first drawing
MAX_REFRESH_BYTES = 300_000
GEOJSON = "/_ioc/geo/provinces-"
RED = "rgb(255, 59, 48)"  # maps.STATUS_COLOURS[DOWN]


@pytest.fixture(params=["province", "national"])
def wall(request, tmp_path) -> Iterator[tuple[str, str]]:
    """(`ioc dashboard`'s URL over a store seeded up to now, its deployment scope)."""
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=1, step_s=300,
             end=datetime.now(UTC).replace(microsecond=0))
    env = {"IOC_DB_URL": url, "IOC_CONFIG": str(stale_config(None, 900)),
           "IOC_DASHBOARD__REFRESH_S": str(REFRESH_S)}
    if request.param == "national":
        env["IOC_DEPLOYMENT__SCOPE"] = "national"
    with served_dashboard(env) as base:
        yield base, request.param


def test_the_map_draws_offline_names_down_centres_and_sends_its_outlines_once(wall):
    base, scope = wall
    down = sorted(short_centre(c.name) for c in hue_centres()
                  if assign_personas(hue_centres())[c.id] == UNREACHABLE)
    assert down  # the fixture has centres down
    requests: list[str] = []
    frames: list[tuple[float, int]] = []

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda payload: frames.append((time.monotonic(), len(payload))))

    query = "?kiosk=1&metric=otp_p95" if scope == "province" else "?kiosk=1"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", on_socket)
            page.goto(base + query)
            page.wait_for_selector(".js-plotly-plot .geo .choroplethlocation", timeout=60_000)
            page.wait_for_timeout(REFRESH_S * 1000)
            drawn_at = time.monotonic()
            page.wait_for_timeout(REFRESHES * REFRESH_S * 1000 + 500)
            svg_text = " ".join(page.locator(".js-plotly-plot text").all_text_contents())
            red_points = page.locator(".js-plotly-plot .scattergeo path.point").evaluate_all(
                f"els => els.filter(e => e.style.fill === '{RED}').length")
            outlines = page.locator(".js-plotly-plot .choroplethlocation").count()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"wall-map-{scope}.png"))
        finally:
            browser.close()

    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname not in LOCAL_HOSTS]
    assert not outside, f"requests left the machine: {outside[:5]}"
    fetched = [u for u in requests if GEOJSON in urlsplit(u).path]
    assert len(fetched) == 1, fetched  # once, whatever the refreshes
    assert outlines >= 34  # the provinces (and the neighbours' land) are drawn
    refreshes = refresh_bursts([f for f in frames if f[0] >= drawn_at], gap_s=0.4)
    assert len(refreshes) >= REFRESHES, refreshes  # the wall did rerun meanwhile
    assert max(refreshes) <= MAX_REFRESH_BYTES, refreshes
    for name in down:
        assert name in svg_text, f"{name} is not written on the map"
    if scope == "province":  # coloured by OTP p95: a down centre still red
        assert red_points >= len(down)
