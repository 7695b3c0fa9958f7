"""The store's own alert (`store_unreachable`) reaches the channels while the database is down.

A real `ioc collect` process with the shipped config/alerts.yaml, its webhook pointed at a
receiver on loopback: the database cannot be opened (a directory stands where the SQLite
file should be), so every cycle is spooled; the collector sends `store_unreachable` once,
straight to the channel (the store's outbox is unreachable too), and "resolved" once the
database is back. And in process: one notice per outage, and a hanging receiver delays
neither the cycle loop nor another channel.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.alerts import load_alerts
from metrics.alerts.sink import HttpSink
from metrics.alerts.store_alarm import StoreAlarm
from tests.integration.test_gaps import wait

ROOT = Path(__file__).resolve().parents[2]


def store_notices(sink: HttpSink) -> list[tuple[str, str]]:
    return [(r.body["status"], a["labels"]["alertname"]) for r in sink.snapshot()
            for a in r.body["alerts"] if a["labels"].get("alertname") == "store_unreachable"]


@pytest.mark.slow
def test_the_collector_alerts_on_its_unreachable_store_and_when_it_is_back(simulator,
                                                                          tmp_path):
    db = tmp_path / "db" / "ioc.db"
    db.mkdir(parents=True)  # the database cannot be opened: the collector spools
    log = tmp_path / "collector.log"
    with HttpSink() as sink:
        env = {**os.environ, "IOC_DB_URL": f"sqlite:///{db}",
               "IOC_SIMULATOR__PORT": str(simulator.port), "IOC_COLLECTOR__INTERVAL_S": "1",
               "IOC_COLLECTOR__TIMEOUT_S": "0.4", "IOC_COLLECTOR__CONNECT_TIMEOUT_S": "0.3",
               "IOC_COLLECTOR__WORKERS": "1", "IOC_COLLECTOR__METRICS_PORT": "0",
               "IOC_COLLECTOR__SPOOL_DIR": str(tmp_path / "spool"),
               "ALERT_WEBHOOK_URL": sink.url, "PYTHONUNBUFFERED": "1"}
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "collectors.cli", "collect"],
                                    cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            wait("the store alert", lambda: store_notices(sink), proc, log)
            time.sleep(3)  # three more spooled cycles: still one notice
            assert store_notices(sink) == [("firing", "store_unreachable")]
            body = next(r.body for r in sink.snapshot()
                        if r.body["alerts"][0]["labels"].get("alertname") == "store_unreachable")
            assert "không ghi được vào cơ sở dữ liệu" in body["alerts"][0]["annotations"][
                "summary"]
            shutil.rmtree(db.parent)  # the database is back (an empty folder: a new file)
            db.parent.mkdir()
            wait("the store alert resolved",
                 lambda: ("resolved", "store_unreachable") in store_notices(sink), proc, log)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
    assert store_notices(sink) == [("firing", "store_unreachable"),
                                   ("resolved", "store_unreachable")]


def test_a_hanging_receiver_holds_up_neither_the_cycle_nor_another_channel():
    with HttpSink(hang_first=1) as hanging, HttpSink() as healthy:
        cfg = load_alerts().model_copy(update={
            "channels": {"stuck": load_alerts().channels["ioc-webhook"].model_copy(
                update={"url": hanging.url, "url_env": None, "timeout_s": 5}),
                "fine": load_alerts().channels["ioc-webhook"].model_copy(
                update={"url": healthy.url, "url_env": None})},
            "routes": (load_alerts().routes[0].model_copy(
                update={"channels": ("stuck", "fine")}),)})
        alarm = StoreAlarm(cfg, deployment="IOC Huế")
        alarm.after_cycle(None, {"db": "unreachable"}, 0.0)  # returns: nothing waited on
        deadline = time.monotonic() + 10
        while (not healthy.snapshot() or hanging.holding < 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        # The healthy channel has its notice while the other receiver still holds its own.
        assert len(healthy.snapshot()) == 1 and hanging.holding == 1
        stuck = next(t for t in alarm.threads if t.name == "store-alarm-stuck")
        assert stuck.is_alive()
        alarm.after_cycle(None, {"db": "unreachable"}, 0.0)  # the same outage: no new notice
        assert len(healthy.snapshot()) == 1
        hanging.release.set()
        alarm.close()
        stuck.join(10)
        assert not stuck.is_alive()
