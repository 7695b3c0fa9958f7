"""The collector's /metrics over real loopback HTTP after real cycles against the simulator,
read by prometheus_client's own parsers (what Prometheus's scraper would accept): exactly the
latest cycle's series, in the text format and OpenMetrics, plain and gzipped."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families

from collectors.endpoint.exposition import Exposition, exposed_name, observers_for, serve
from collectors.service import collect
from config.catalogue import METRICS
from config.loader import ConfigError
from config.registry import fleet
from config.settings import Settings
from metrics.store import Store

pytestmark = pytest.mark.slow

BRIEFING = datetime(2025, 7, 3, 3, 0, tzinfo=UTC).timestamp()  # every centre healthy
HUE = fleet("hue")
# What Prometheus 2.x/3.x sends: OpenMetrics first, the text format as a fallback, gzip.
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,application/"
                     "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.2,"
                     "*/*;q=0.1")


def settings_for(sim, **collector) -> Settings:
    collector = {"interval_s": 4, "timeout_s": 1.0, "connect_timeout_s": 0.5, "workers": 1,
                 "concurrency": 32, **collector}
    return Settings.model_validate({"simulator": {"port": sim.port}, "collector": collector})


def test_metrics_after_a_real_collect_cycle_parse_and_match_the_cycle(start_simulator, tmp_path):
    sim = start_simulator(HUE, clock=lambda: BRIEFING)
    down = HUE[0]
    sim.inject([down.id], "refuse", 600)
    exposition = Exposition(HUE)
    served = serve(exposition, "127.0.0.1", 0)
    try:
        with Store.open(f"sqlite:///{tmp_path / 'ioc.db'}") as store:
            summary = collect(settings_for(sim), once=True, store=store, observers=[exposition])
        response = requests.get(f"http://127.0.0.1:{served.port}/metrics", timeout=5)
    finally:
        served.close()

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}

    up = {s.labels["centre"]: s for s in families["ioc_centre_up"].samples}
    assert len(up) == 40
    assert up[down.id].value == 0 and up[down.id].labels["centre_name"] == down.name
    assert sum(s.value for s in up.values()) == 39
    assert {s.labels["province"] for s in up.values()} == {down.province_name}

    polls = {(s.labels["outcome"], s.labels["reason"]): s.value
             for s in families["ioc_collector_polls"].samples if s.name.endswith("_total")}
    assert polls[("ok", "")] == 39 and polls[("failed", "refused")] == 1
    written = [s.value for s in families["ioc_collector_samples_written"].samples
               if s.name.endswith("_total")]
    assert written == [summary["samples"]]
    assert families["ioc_dossiers_received"].type == "counter"
    procedures = {s.labels["procedure"] for s in
                  families["ioc_dossiers_received_by_procedure"].samples}
    assert procedures and all(procedures)
    otp = families["ioc_otp_p95_seconds"].samples
    assert len(otp) == 39 and down.id not in {s.labels["centre"] for s in otp}
    for name in ("ioc_collector_cycle_duration_seconds", "ioc_collector_last_store_write_seconds",
                 "ioc_collector_newest_write_age_seconds", "ioc_collector_cycle_lag_seconds"):
        [sample] = families[name].samples
        assert sample.value >= 0, name


def test_no_server_when_the_port_is_zero_and_a_start_up_error_when_it_is_taken():
    assert observers_for(Settings.model_validate({"collector": {"metrics_port": 0}})) == []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings.model_validate({"collector": {"metrics_port": port}})
        with pytest.raises(ConfigError, match=f"collector.metrics_port: cannot serve /metrics, "
                           f"/healthz and /readyz on 127.0.0.1:{port}: "):
            observers_for(settings)


class Recorder:
    """A cycle observer that keeps the latest cycle, to compare /metrics with."""

    cycle = None

    def after_cycle(self, cycle, summary, write_s) -> None:
        self.cycle = cycle


def per_centre_series(families) -> dict[tuple, float]:
    """(name, centre, own label) → value of every per-centre series but the poll bookkeeping."""
    own = {"up", "last_poll_timestamp_seconds", "last_success_timestamp_seconds", "polls",
           "polls_failed"}
    out = {}
    for f in families.values():
        if not f.name.startswith("ioc_") or f.name.startswith("ioc_collector_") or \
                f.name.removeprefix("ioc_centre_") in own:
            continue
        for s in f.samples:
            label = next((v for k, v in s.labels.items()
                          if k not in ("centre", "centre_name", "province")), "")
            out[(s.name, s.labels["centre"], label)] = s.value
    return out


def test_metrics_serve_exactly_the_latest_cycle_and_the_next_cycle_replaces_it(start_simulator,
                                                                              tmp_path):
    sim = start_simulator(HUE, clock=lambda: BRIEFING)
    down = HUE[0]
    exposition, recorder = Exposition(HUE), Recorder()
    served = serve(exposition, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{served.port}/metrics"
    scrapes = []
    try:
        with Store.open(f"sqlite:///{tmp_path / 'ioc.db'}") as store:
            collect(settings_for(sim), once=True, store=store, observers=[exposition, recorder])
            first_cycle = recorder.cycle
            scrapes.append(requests.get(url, timeout=5))
            sim.inject([down.id], "refuse", 600)
            collect(settings_for(sim), once=True, store=store, observers=[exposition, recorder])
            for headers in ({"Accept-Encoding": "identity"}, {},
                            {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}):
                scrapes.append(requests.get(url, headers=headers, timeout=5))
    finally:
        served.close()

    first, plain, gzipped, openmetrics = scrapes
    assert all(r.status_code == 200 for r in scrapes)
    assert "Content-Encoding" not in plain.headers
    assert gzipped.headers["Content-Encoding"] == "gzip"  # requests asks for gzip by itself
    assert openmetrics.headers["Content-Encoding"] == "gzip"
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")
    parsed = [{f.name: f for f in text_string_to_metric_families(r.text)}
              for r in (first, plain, gzipped)]
    parsed.append({f.name: f for f in om_families(openmetrics.text)})

    for cycle, families in ((first_cycle, parsed[0]), *((recorder.cycle, p) for p in parsed[1:])):
        expected = {}
        for r in cycle.results:
            for sample in r.samples:
                if sample.metric == "up" or sample.metric not in METRICS:
                    continue
                name = exposed_name(sample.metric)
                if METRICS[sample.metric].kind.value == "counter" and not name.endswith("_total"):
                    name += "_total"
                expected[(name, r.centre_id, sample.label)] = sample.value
        assert per_centre_series(families) == expected  # exactly the cycle's series
        up = {s.labels["centre"]: s.value for s in families["ioc_centre_up"].samples}
        assert up == {r.centre_id: float(r.ok) for r in cycle.results}
        polled = {s.labels["centre"]: s.value
                  for s in families["ioc_centre_last_poll_timestamp_seconds"].samples}
        assert polled == pytest.approx({r.centre_id: r.ts for r in cycle.results})

    assert recorder.cycle is not first_cycle
    later = parsed[1]
    assert [s.value for s in later["ioc_collector_cycles"].samples
            if s.name.endswith("_total")] == [2]
    polls = {s.labels["centre"]: s.value for s in later["ioc_centre_polls"].samples
             if s.name.endswith("_total")}
    assert set(polls.values()) == {2}
    assert {s.labels["centre"]: s.value for s in later["ioc_centre_up"].samples}[down.id] == 0
    assert not any(s.labels["centre"] == down.id for s in later["ioc_otp_p95_seconds"].samples)
    assert any(s.labels["centre"] == down.id for s in parsed[0]["ioc_otp_p95_seconds"].samples)


def test_bench_metrics_scrapes_a_served_exposition_and_reports_each_scraper():
    from argparse import Namespace

    from bench.scrape import SCRAPERS, run_metrics_bench

    report = run_metrics_bench(Namespace(fleet="hue", cycles=2, scrapes=2, interval=0.5,
                                         samples_per_centre=None, against=None, rounds=1))
    this = report["this"]
    assert report["centres"] == 40
    # every centre's samples but `up` (shown as ioc_centre_up), its 5 poll series, the rest
    assert this["series"] > report["samples_per_cycle"]
    assert this["cpu_s_per_cycle"]["n"] == 2
    for kind in SCRAPERS:
        assert this[kind]["latency_s"]["n"] == 2 and this[kind]["latency_s"]["max"] > 0
    assert this["bytes"]["prometheus"] < this["bytes"]["plain"]  # gzipped
