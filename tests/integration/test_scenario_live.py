"""The `hue-first-week` scenario outside the backfill: the live simulator serves it (on a
clock set to the reported moment), and the command line and the demo pass it on."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import requests

from collectors.cli import main, with_scenario
from collectors.commands.backfill import backfill, scenario_env, scenario_steps
from collectors.simulator.model import FleetModel
from collectors.simulator.scenario import TZ, hue_first_week
from config.loader import DEFAULT_CONFIG, ConfigError, load_settings
from config.registry import fleet
from metrics.store import Store

REPORTED = datetime(2025, 7, 3, 10, 0, tzinfo=TZ).timestamp()


def _settings(**simulator: object):
    s = load_settings(DEFAULT_CONFIG, env={})
    return s.model_copy(update={"simulator": s.simulator.model_copy(update=simulator)})


def test_the_live_simulator_serves_the_scenarios_moment(start_simulator):
    offset = REPORTED - time.time()
    sim = start_simulator(fleet("hue"), clock=lambda: time.time() + offset,
                          scenario="hue-first-week")
    model = FleetModel(fleet("hue"), 7, scenario=hue_first_week(fleet("hue"), 7))
    doc = requests.get(sim.main_url("19867") + "/status", timeout=5).json()  # Quảng Điền
    served = doc["dossiers"]["received_total"]
    t = datetime.fromisoformat(doc["time"]).timestamp()
    assert served == model.document("19867", t)["dossiers"]["received_total"]
    assert served > 0 and doc["time"].startswith("2025-07-03T10:0")
    plain = FleetModel(fleet("hue"), 7)  # without the scenario the morning differs
    assert [model.document(c, REPORTED)["dossiers"]["received_total"] for c in ("19753", "19867")] \
        != [plain.document(c, REPORTED)["dossiers"]["received_total"] for c in ("19753", "19867")]


def test_an_unknown_scenario_is_refused_by_name():
    with pytest.raises(ConfigError, match="unknown scenario 'hue-last-week'"):
        with_scenario(_settings(), "hue-last-week")
    with pytest.raises(ConfigError, match=r"simulator\.scenario"):
        with_scenario(_settings(scenario="nowhere"), None)
    assert with_scenario(_settings(), "hue-first-week").simulator.scenario == "hue-first-week"
    assert main(["backfill", "--scenario", "hue-last-week", "--days", "0"]) == 2


def test_the_demo_keeps_the_scenarios_history_raw():
    assert scenario_env(_settings()) == {}
    now = datetime(2026, 12, 7, tzinfo=TZ).timestamp()
    env = scenario_env(_settings(scenario="hue-first-week"), now=now)
    assert env["IOC_SIMULATOR__SCENARIO"] == "hue-first-week"
    # the override loads (every retention stays ordered: raw <= 5m <= 1h <= 1d) and keeps
    # the rest of the file's retention settings
    loaded = load_settings(DEFAULT_CONFIG, env=env)
    kept = loaded.store.retention
    assert kept.raw_days >= (now - datetime(2025, 7, 1, tzinfo=TZ).timestamp()) / 86_400
    assert kept.rollup_1d_days >= kept.rollup_1h_days >= kept.rollup_5m_days >= kept.raw_days
    assert kept.batch_rows == load_settings(DEFAULT_CONFIG, env={}).store.retention.batch_rows
    assert loaded.simulator.scenario == "hue-first-week"


def test_backfill_with_a_scenario_writes_its_days_then_the_recent_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    s = _settings(scenario="hue-first-week")
    s = s.model_copy(update={"store": s.store.model_copy(update={"url": url})})
    now = datetime(2026, 12, 7, 9, 0, tzinfo=TZ).timestamp()
    summary = backfill(s, days=0.05, now=now)
    sc = hue_first_week(fleet("hue"), 7)
    assert summary["polls"] == 40 * (len(scenario_steps(sc)) + 15)  # + 72 min at 5 min
    with Store.open(url) as store:
        first = store.polls(datetime(2025, 6, 30, tzinfo=TZ), datetime(2025, 7, 4, tzinfo=TZ))
        assert first.height == 40 * len(scenario_steps(sc))
        assert store.newest_ts().timestamp() <= now
