"""One incident for one cause end to end over real loopback HTTP: the simulator's fault API
slows OTP at 4 of 8 centres and cuts 3 others off; the collector's scheduler, the store
(SQLite and PostgreSQL), the engine and a webhook receiver give one notification per
cause, naming the centres, and one resolved notice each when the faults clear."""

from __future__ import annotations

import time

import pytest

from collectors.polling.poll import PollOptions
from collectors.polling.scheduler import Scheduler
from collectors.polling.targets import build_targets
from config.alerts import AlertsConfig
from config.registry import fleet
from config.settings import Settings
from metrics.alerts.engine import AlertEngine
from metrics.alerts.sink import HttpSink

pytestmark = pytest.mark.slow

BRIEFING = 1_751_511_600.0  # 10:00 on 3 July 2025, Huế: every centre answers
HUE = fleet("hue")[:8]
SLOW_OTP = [c.id for c in HUE[:4]]
CUT_OFF = [c.id for c in HUE[4:7]]
NAMES = {c.id: c.name for c in HUE}


@pytest.fixture
def sim(start_simulator):
    origin = time.time()
    return start_simulator(HUE, clock=lambda: BRIEFING + time.time() - origin)


def config(url: str) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "rules": [
            {"name": "centre_down", "condition": {"kind": "failed_polls", "count": 2},
             "severity": "critical", "labels": {"team": "tech"},
             "summary": "{centre_name} không phản hồi: {cause}"},
            {"name": "otp_p95_high", "condition": {"kind": "threshold",
                                                   "metric": "otp_p95_seconds", "op": ">",
                                                   "value": 30},
             "severity": "warning", "labels": {"team": "ioc"},
             "summary": "{centre_name}: mã OTP đến chậm"}],
        "channels": {"hook": {"type": "webhook", "url": url}},
        "routes": [{"channels": ["hook"]}],
        "grouping": {"wait_s": 0, "interval_s": 0},
        "shared_cause": {"causes": {
            "otp_p95_high": {"vi": "cổng SMS/OTP của tỉnh",
                             "en": "the province's SMS/OTP gateway"},
            "centre_down": {"vi": "mạng diện rộng của tỉnh",
                            "en": "the province's wide-area network"}}},
    })


def notices(sink: HttpSink) -> list[tuple[str, str, list[str]]]:
    """(status, fingerprint, centres named) of each alert in each notification."""
    return sorted((r.body["status"], a["fingerprint"],
                   sorted(a["annotations"].get("centres", "").split("\n")))
                  for r in sink.snapshot() for a in r.body["alerts"])


def test_a_slow_sms_gateway_and_a_network_cut_are_one_notice_each(sim, store):
    settings = Settings.model_validate({"simulator": {"port": sim.port}, "collector": {
        "interval_s": 4, "timeout_s": 1.0, "connect_timeout_s": 0.5, "workers": 1,
        "concurrency": 16}})
    store.sync_centres(HUE)
    opts = PollOptions.from_settings(settings.collector)
    with (HttpSink() as sink,
          Scheduler(build_targets(settings, HUE), opts, workers=1, concurrency=16) as sched):
        engine = AlertEngine(store, config(sink.url))

        def cycle() -> None:
            store.write(sched.poll(time.monotonic() + 6).results)
            engine.evaluate()
            engine.dispatch()

        cycle()
        assert sink.snapshot() == []
        sim.inject(SLOW_OTP, "otp_spike", 120, p95_s=90)
        sim.inject(CUT_OFF, "hang", 120)
        cycle()
        cycle()  # a single failed poll alone never alerts: the second confirms
        province = HUE[0].province_code
        otp, net = f"incident:otp_p95_high/p{province}", f"incident:centre_down/p{province}"
        assert notices(sink) == sorted([
            ("firing", net, sorted(NAMES[c] for c in CUT_OFF)),
            ("firing", otp, sorted(NAMES[c] for c in SLOW_OTP))])
        titles = " ".join(r.body["title"] for r in sink.snapshot())
        assert "cổng SMS/OTP của tỉnh" in titles and "mạng diện rộng của tỉnh" in titles
        sim.clear()
        cycle()
    resolved = [n for n in notices(sink) if n[0] == "resolved"]
    assert resolved == sorted([("resolved", net, sorted(NAMES[c] for c in CUT_OFF)),
                               ("resolved", otp, sorted(NAMES[c] for c in SLOW_OTP))])
    assert len(sink.snapshot()) == 4  # two firing, two resolved: never one per centre
