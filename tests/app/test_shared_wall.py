"""The wall is computed once per state of the data and shared by every session showing it,
and the sharing is exact: at any moment the shared view is the one computed afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from config.loader import load_settings
from config.scope import national, province
from dashboard import i18n
from dashboard.loaders import common as data
from dashboard.loaders import figures
from dashboard.views import fmt
from metrics import queries as q
from metrics.results import ProbeResult, Reason, Sample
from metrics.store import Store, to_ms
from tests.conftest import hue_centres
from tests.fixtures.policy import shipped

BASE = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Huế
STALE_AFTER_S = 300
TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Five centres whose newest polls are 0, 60, 120, 180 and 240 s after BASE; the last
    one failed (refused)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'w.db'}"
    centres = hue_centres()[:5]
    with Store.open(url) as db:
        db.sync_centres(centres)
        results = [ProbeResult(c.id, (BASE + timedelta(seconds=60 * i)).timestamp(), True, 0.1,
                               samples=[Sample("up", 1), Sample("system_state", 2),
                                        Sample("sync_lag_seconds", 30.0 * i)])
                   for i, c in enumerate(centres[:4])]
        results.append(ProbeResult(centres[4].id, (BASE + timedelta(seconds=240)).timestamp(),
                                   False, 1.0, reason=Reason.REFUSED,
                                   samples=[Sample("up", 0)]))
        db.write(results)
    data.forget_live()
    # Stale after two collection intervals (the centre_silent and collector_silent rules).
    return load_settings(env={"IOC_DB_URL": url,
                              "IOC_COLLECTOR__INTERVAL_S": str(STALE_AFTER_S / 2)})


def fresh(cfg, now):
    """The wall's status table and tiles computed without any shared view."""
    url = cfg.store.url
    frames = data.wall_frames(url, data.newest_ms(url),
                              to_ms(fmt.local_midnight(now, TZ)), None, "national")
    rules = shipped(STALE_AFTER_S)
    status = q.with_alerts(q.centre_status(frames.centres, frames.polls, frames.gauges, now,
                                           rules), pl.DataFrame(), rules)  # no alert here
    return status, q.kpis(status, q.totals(frames.today.increases))


def test_walls_at_moments_with_the_same_stale_centres_share_one_view(world):
    first = data.wall_view(world, BASE + timedelta(seconds=310), scope=national())
    later = data.wall_view(world, BASE + timedelta(seconds=355), scope=national())
    assert later is first  # one computation, one object, for both sessions
    assert first.status.filter(status=q.STALE)["last_poll"].to_list() == [BASE]


@pytest.mark.parametrize("seconds", [299, 300, 301, 359, 360, 361, 425, 539, 541, 600, 3600])
def test_the_shared_view_is_the_one_computed_afresh_at_every_moment(world, seconds):
    now = BASE + timedelta(seconds=seconds)
    for warm in (BASE + timedelta(seconds=s) for s in (0, 305, 365, 545)):
        data.wall_view(world, warm, scope=national())  # other moments' views in the cache
    view = data.wall_view(world, now, scope=national())
    expected, kpis = fresh(world, now)
    assert view.status.drop("down_since", "since_window_start").equals(
        expected.drop("down_since", "since_window_start"))
    newest = BASE + timedelta(seconds=240)
    assert view.stale == ((now - newest).total_seconds() > STALE_AFTER_S)
    assert view.kpis == kpis


def test_different_scopes_and_moments_never_share_a_view(world):
    now = BASE + timedelta(seconds=310)
    whole = data.wall_view(world, now, scope=national())
    other = data.wall_view(world, now, scope=province(1))
    assert other is not whole and other.status.is_empty()
    replayed = data.wall_view(world, BASE + timedelta(seconds=130), scope=national(), replay=True)
    assert replayed is not whole and replayed.status["last_poll"].max() == \
        BASE + timedelta(seconds=120)


def test_map_figures_are_shared_per_view_language_and_colouring(world):
    now = BASE + timedelta(seconds=310)
    view = data.wall_view(world, now, scope=national())
    vi = figures.map_figure(view, "vi", now, TZ, None, "status")
    assert figures.map_figure(view, "vi", now + timedelta(seconds=20), TZ, None, "status") is vi
    en = figures.map_figure(view, "en", now, TZ, None, "status")
    lag = figures.map_figure(view, "vi", now, TZ, None, "sync_lag")
    assert en is not vi and lag is not vi
    names = {t.name for t in en[0].data} | {t.name for t in vi[0].data}
    assert any(n.startswith(i18n.text("en")("status.stale")) for n in names)
    assert any(n.startswith(i18n.text("vi")("status.stale")) for n in names)
    later = data.wall_view(world, BASE + timedelta(seconds=365), scope=national())
    moved = figures.map_figure(later, "vi", BASE + timedelta(seconds=365), TZ, None, "status")
    assert later is not view and moved is not vi  # another centre went stale: a new figure
