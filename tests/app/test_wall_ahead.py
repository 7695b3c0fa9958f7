"""The wall computed ahead (dashboard/loaders/ahead.py): the refresher's job runs outside
every Streamlit session, touches nothing that needs one, and leaves in the cycle's live
state what a wall session then only reads."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import polars as pl
import pytest

from config.loader import load_settings
from config.scope import Scope, national
from dashboard.loaders import ahead, figures
from dashboard.loaders import availability as data_availability
from dashboard.loaders import common as data
from metrics.results import ProbeResult, Sample
from metrics.store import Store
from tests.conftest import hue_centres

CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def cfg(tmp_path):
    url = f"sqlite:///{tmp_path / 'ahead.db'}"
    centres = hue_centres()[:5]
    with Store.open(url) as db:
        db.sync_centres(centres)
        db.write([ProbeResult(c.id, time.time(), True, 0.1,
                              samples=[Sample("up", 1), Sample("system_state", 2)])
                  for c in centres])
    data.forget_live()
    return load_settings(env={"IOC_DB_URL": url})


def test_the_job_runs_off_session_and_the_wall_then_only_reads(cfg):
    shown = ahead.wall_figures(True, False, None)
    kept = Kept()
    logging.getLogger(CONTEXT_LOGGER).addHandler(kept)
    failed: list[BaseException] = []

    def job() -> None:
        try:
            ahead.wall_values(cfg, national(), None, "vi", "status", shown)
        except BaseException as exc:
            failed.append(exc)

    try:
        worker = threading.Thread(target=job, name="ioc-ahead")
        worker.start()
        worker.join(60)
    finally:
        logging.getLogger(CONTEXT_LOGGER).removeHandler(kept)
    assert not failed and not worker.is_alive()
    assert not [m for m in kept.messages if "ScriptRunContext" in m]
    now_cycle = data.cycle(cfg.store.url)
    computed = now_cycle.computed
    assert computed > 0
    # A wall session at the same cycle: its view, alerts and map are read, not computed.
    now = datetime.now(UTC)
    view = data.wall_view(cfg, now, scope=national())
    data.wall_alerts(cfg, now, scope=national())
    height, scale = shown[0][1], shown[0][2]
    figures.map_figure(view, "vi", now, cfg.dashboard.timezone, cfg.dashboard.tile_url,
                       "status", height=height, font_scale=scale)
    assert data.cycle(cfg.store.url) is now_cycle and now_cycle.computed == computed


def test_a_wall_asked_for_is_remembered_once_per_kind(cfg):
    ahead.refresher.clear()
    try:
        shown = ahead.wall_figures(False, True, None)
        assert [kind for kind, _h, _s in shown] == [ahead.PROVINCES, ahead.MAP]
        for _ in range(3):
            ahead.wall(cfg, scope=national(), province=None, lang="vi", metric="status",
                       shown=shown)
        ahead.wall(cfg, scope=national(), province=46, lang="vi", metric="status",
                   shown=shown)
        assert len(ahead.refresher(cfg.store.url).keys()) == 2
    finally:
        ahead.refresher.clear()  # its thread is stopped (on_release)


def test_the_availability_job_runs_off_session_and_a_commune_then_only_reads(cfg):
    failed: list[BaseException] = []

    def job() -> None:
        try:
            ahead.availability_values(cfg, national())
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=job, name="ioc-ahead-availability")
    worker.start()
    worker.join(60)
    assert not failed and not worker.is_alive()
    now_cycle = data.cycle(cfg.store.url)
    computed = now_cycle.computed
    end = data_availability.window_end(datetime.now(UTC), data.newest_ms(cfg.store.url))
    scope_wide = data_availability.availability_24h(cfg, end, scope=national())
    first = scope_wide["centre_id"][0]
    one = data_availability.availability_24h(cfg, end, scope=national(), centre_id=first)
    assert one.to_dicts() == scope_wide.filter(pl.col("centre_id") == first).to_dicts()
    assert data.cycle(cfg.store.url) is now_cycle and now_cycle.computed == computed
    # A centre of the scope never polled: its row, all of it unknown.
    never = data_availability.availability_24h(cfg, end, scope=national(), centre_id="99999")
    assert never.to_dicts() == [{"centre_id": "99999", "up_s": 0.0, "down_s": 0.0,
                                 "unknown_s": 86400.0, "availability": None}]
    # Outside the scope: nothing.
    assert data_availability.availability_24h(
        cfg, end, scope=Scope.parse("province:1"), centre_id=first).is_empty()


@pytest.mark.parametrize(("deployed", "pinned"), [("province", True), ("national", False)])
def test_a_province_deployment_computes_its_availability_from_the_start(cfg, deployed, pinned):
    cfg = load_settings(env={"IOC_DB_URL": cfg.store.url, "IOC_DEPLOYMENT__SCOPE": deployed,
                             "IOC_DASHBOARD__AUTH": "local"})
    ahead.refresher.clear()
    try:
        keys = ahead.start(cfg).keys()
        scope = "national" if deployed == "national" else f"province:{cfg.deployment.province}"
        assert (("availability", scope) in keys) is pinned
        assert [k for k in keys if k[0] == "wall"]  # the wall is pinned either way
    finally:
        ahead.refresher.clear()


def test_a_national_deployment_reads_one_centre_alone_with_the_same_figure(cfg):
    cfg = load_settings(env={"IOC_DB_URL": cfg.store.url, "IOC_DEPLOYMENT__SCOPE": "national"})
    assert not data_availability.read_by_scope(cfg, national())
    assert data_availability.read_by_scope(cfg, Scope.parse("province:46"))
    end = data_availability.window_end(datetime.now(UTC), data.newest_ms(cfg.store.url))
    now_cycle = data.cycle(cfg.store.url)
    first = hue_centres()[0].id
    one = data_availability.availability_24h(cfg, end, scope=national(), centre_id=first)
    after_one = now_cycle.computed
    scope_wide = data_availability.availability_24h(cfg, end, scope=national())
    assert now_cycle.computed > after_one  # the country's newest chunks, read only now
    assert one.to_dicts() == scope_wide.filter(pl.col("centre_id") == first).to_dicts()
