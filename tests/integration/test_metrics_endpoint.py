"""The collector's /metrics over real loopback HTTP after a real cycle against the simulator,
read by prometheus_client's own text parser (what Prometheus's scraper would accept)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from collectors.service import collect
from config.loader import ConfigError
from config.registry import fleet
from config.settings import Settings
from metrics.exposition import Exposition, observers_for, serve
from metrics.store import Store

pytestmark = pytest.mark.slow

BRIEFING = datetime(2025, 7, 3, 3, 0, tzinfo=UTC).timestamp()  # every centre healthy
HUE = fleet("hue")


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
