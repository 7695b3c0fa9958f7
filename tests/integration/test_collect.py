"""The collector over real loopback HTTP against the simulator: faults, deployments, shutdown.

The simulator's clock is frozen at 10:00 on 3 July 2025 (Huế's briefing), a
moment when every one of Huế's 40 centres is reachable on a good line, so any
failure seen here is one a test injected.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from collectors.polling.poll import PollOptions
from collectors.polling.scheduler import Scheduler
from collectors.polling.targets import build_targets
from collectors.service import collect
from config.registry import fleet
from config.settings import Settings
from metrics.results import Reason
from metrics.store import Store

pytestmark = pytest.mark.slow

BRIEFING = datetime(2025, 7, 3, 3, 0, tzinfo=UTC).timestamp()  # 10:00 in Asia/Ho_Chi_Minh
HUE = fleet("hue")
IDS = [c.id for c in HUE]
SOFT_DOWN, SLOW_OK = IDS[8], IDS[9]


@pytest.fixture
def sim(start_simulator):
    return start_simulator(HUE, clock=lambda: BRIEFING)


def settings_for(sim, **collector) -> Settings:
    collector = {
        "interval_s": 4,
        "timeout_s": 1.0,
        "connect_timeout_s": 0.5,
        "workers": 1,
        "concurrency": 32,
        **collector,
    }
    return Settings.model_validate({"simulator": {"port": sim.port}, "collector": collector})


def poll_once(settings: Settings, deadline_s: float = 4.0, centres=HUE):
    c = settings.collector
    targets = build_targets(settings, centres)
    with Scheduler(
        targets, PollOptions.from_settings(c), workers=c.workers, concurrency=c.concurrency
    ) as scheduler:
        return {r.centre_id: r for r in scheduler.poll(time.monotonic() + deadline_s).results}


def values(result) -> dict[tuple[str, str], float]:
    return {(s.metric, s.label): s.value for s in result.samples}


FAULTS = [
    # (fault, params, reason, http status)
    ("refuse", {}, Reason.REFUSED, None),
    ("hang", {}, Reason.TIMEOUT, None),
    ("http_5xx", {"status": 502}, Reason.HTTP_STATUS, 502),
    ("http_5xx", {"status": 576}, Reason.HTTP_STATUS, 576),  # a code with no phrase
    ("malformed", {}, Reason.BAD_PAYLOAD, 200),
    ("oversized", {"bytes": 2_000_000}, Reason.TOO_LARGE, 200),
    ("slow", {"delay_s": 5}, Reason.TIMEOUT, None),
    ("power_cut", {"battery_s": 0}, Reason.TIMEOUT, None),
]


def test_scheduler_records_each_fault_with_its_reason_when_the_rest_of_the_fleet_is_healthy(sim):
    faulty = dict(zip(IDS, FAULTS, strict=False))
    for cid, (fault, params, _, _) in faulty.items():
        sim.inject([cid], fault, 600, **params)
    sim.inject([SOFT_DOWN], "soft_down", 600)
    sim.inject([SLOW_OK], "slow", 600, delay_s=0.3)

    results = poll_once(settings_for(sim, max_body_bytes=1_048_576))

    assert sorted(results) == sorted(IDS)
    for cid, (fault, _, reason, status) in faulty.items():
        r = results[cid]
        assert (r.ok, r.reason, r.http_status) == (False, reason, status), (fault, r)
        assert values(r)[("up", "")] == 0.0
        assert set(values(r)) == {("up", ""), ("probe_duration_seconds", "")}
    healthy = [results[c] for c in IDS if c not in faulty]
    assert all(r.ok and r.reason is None and r.rejected == [] for r in healthy)
    assert all(values(r)[("up", "")] == 1.0 and len(r.samples) > 40 for r in healthy)
    # soft down: reachable (up = 1), its document says the system is down
    assert values(results[SOFT_DOWN])[("system_state", "")] == 0.0
    assert values(results[SOFT_DOWN])[("up", "")] == 1.0
    assert values(results[SLOW_OK])[("probe_duration_seconds", "")] >= 0.3


def test_scheduler_cuts_timeouts_to_the_deadline_and_skips_centres_that_never_got_a_turn(sim):
    hung = IDS[:3]
    sim.inject(hung, "hang", 600)
    settings = settings_for(sim, timeout_s=3.0, connect_timeout_s=1.0, concurrency=1)

    results = poll_once(settings, deadline_s=1.0, centres=HUE[:6])

    first = results[hung[0]]
    assert first.reason is Reason.TIMEOUT and "cycle's deadline" in first.detail
    for cid in IDS[1:6]:
        assert results[cid].reason is Reason.SKIPPED
        assert results[cid].samples == []  # nothing observed: a gap, not up = 0


def test_scheduler_restarts_a_dead_worker_and_reports_its_shard_when_it_was_killed(sim):
    settings = settings_for(sim, workers=2)
    targets = build_targets(settings, HUE)
    with Scheduler(
        targets, PollOptions.from_settings(settings.collector), workers=2, concurrency=8
    ) as scheduler:
        victim = scheduler.workers[0]
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.join(10)

        cycle = scheduler.poll(time.monotonic() + 4)

        lost = {t.centre_id for t in victim.targets}
        assert cycle.restarted == 1
        assert {r.centre_id for r in cycle.results} == set(IDS)
        for r in cycle.results:
            if r.centre_id in lost:
                assert r.reason is Reason.SKIPPED and "worker stopped" in r.detail
            else:
                assert r.ok
        again = scheduler.poll(time.monotonic() + 4)
        assert all(r.ok for r in again.results)


def test_poll_merges_split_endpoints_into_one_result_per_centre(sim):
    split = [
        {"kind": "json", "path": f"/status/{f}"} for f in ("system", "otp", "sync", "dossiers")
    ]
    whole = poll_once(settings_for(sim), centres=HUE[:5])
    parts = poll_once(settings_for(sim, probes=split), centres=HUE[:5])

    for cid in IDS[:5]:
        assert parts[cid].ok
        assert values(parts[cid]).keys() == values(whole[cid]).keys()
        for key, value in values(whole[cid]).items():
            if key[0] != "probe_duration_seconds":
                assert values(parts[cid])[key] == pytest.approx(value), key


def test_poll_reads_the_same_values_through_the_prometheus_probe(sim):
    whole = poll_once(settings_for(sim), centres=HUE[:5])
    prom = poll_once(
        settings_for(sim, probes=[{"kind": "prometheus", "path": "/metrics"}]), centres=HUE[:5]
    )

    for cid in IDS[:5]:
        assert prom[cid].ok and prom[cid].rejected == []
        assert values(prom[cid]).keys() == values(whole[cid]).keys()


def test_poll_keeps_document_values_when_health_probe_of_soft_down_centre_answers_503(sim):
    sim.inject([IDS[0]], "soft_down", 600)
    probes = [{"kind": "http", "path": "/health"}, {"kind": "json", "path": "/status"}]

    results = poll_once(settings_for(sim, probes=probes), centres=HUE[:3])

    down = results[IDS[0]]
    assert (down.ok, down.reason, down.http_status) == (False, Reason.HTTP_STATUS, 503)
    assert down.detail == "/health: HTTP 503"
    assert values(down)[("system_state", "")] == 0.0  # the document was still read
    assert results[IDS[1]].ok and results[IDS[2]].ok


def test_collect_once_writes_the_cycle_and_returns_its_summary(sim, tmp_path):
    settings = settings_for(sim)
    with Store.open(f"sqlite:///{tmp_path / 'ioc.db'}") as store:
        sim.inject([IDS[0]], "refuse", 600)

        summary = collect(settings, once=True, store=store)

        assert set(summary) == {"centres", "ok", "failed", "samples", "cycle_s"}
        assert summary["centres"] == 40 and summary["ok"] == 39
        assert summary["failed"] == {"refused": 1}
        assert summary["samples"] > 39 * 40 and summary["cycle_s"] > 0
        polls = store.latest_polls()
        assert polls.height == 40
        assert polls.filter(~polls["ok"])["reason"].to_list() == ["refused"]


def test_collect_stops_after_finishing_its_cycle_when_sent_sigterm(sim, tmp_path):
    db = tmp_path / "ioc.db"
    env = dict(
        os.environ,
        IOC_DB_URL=f"sqlite:///{db}",
        IOC_SIMULATOR__PORT=str(sim.port),
        IOC_COLLECTOR__INTERVAL_S="1",
        IOC_COLLECTOR__TIMEOUT_S="0.5",
        IOC_COLLECTOR__WORKERS="1",
        IOC_COLLECTOR__METRICS_PORT="0",  # 9108 may be another test's: that refuses a start
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectors.cli", "collect"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        cycles = 0
        while cycles < 2 and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
            cycles += '"event": "collect_cycle"' in line
        assert cycles == 2, proc.stderr.read() if proc.poll() is not None else "no cycles"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store.open(f"sqlite:///{db}") as store:
        assert store.latest_polls().height == 40


class SlowObserver:
    """An observer that takes longer than the interval on its first calls: the collector
    falls behind while it does."""

    def __init__(self, slow_s: float, times: int):
        self.slow_s, self.times, self.calls = slow_s, times, 0

    def after_cycle(self, cycle, summary, write_s) -> None:
        self.calls += 1
        if self.calls <= self.times:
            time.sleep(self.slow_s)


def test_a_collector_falling_behind_logs_counts_and_records_it_for_the_pages(
        sim, tmp_path, caplog):
    import threading

    from metrics.store import cadence

    settings = settings_for(sim, interval_s=1.0, timeout_s=0.5, connect_timeout_s=0.3)
    stop = threading.Event()
    slow = SlowObserver(2.5, 2)
    with Store.open(f"sqlite:///{tmp_path / 'ioc.db'}") as store:
        runner = threading.Thread(target=collect, args=(settings,), kwargs={
            "once": False, "store": store, "observers": [slow], "stop": stop})
        with caplog.at_level("WARNING", logger="ioc.collector"):
            runner.start()
            deadline = time.monotonic() + 30
            while slow.calls < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            stop.set()
            runner.join(30)
        assert not runner.is_alive() and slow.calls >= 5
        behind = [r.getMessage() for r in caplog.records if "fell behind" in r.getMessage()]
        assert behind, "a tick missed must be logged"
        found = cadence.read(store.engine)
        assert len(found) == 1 and found[0].total >= 2 and found[0].interval_s == 1.0
        assert cadence.recent(found, int(time.time() * 1000)) == found[0]
        assert cadence.recent(found, found[0].at_ms + 601_000) is None
