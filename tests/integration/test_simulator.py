"""The simulator over real loopback HTTP: every endpoint, every fault, the control API."""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from collectors.simulator.addressing import sim_host
from collectors.simulator.model import FleetModel
from config.registry import fleet

WARD = "19753"  # Phường Phú Xuân
OTHER = "19774"  # Phường Kim Long
ICT = timezone(timedelta(hours=7))


def _calm_moment() -> float:
    """A Monday morning (seed 7) when WARD and OTHER are up, on good lines, for 10 minutes."""
    model = FleetModel(fleet("hue"), seed=7)
    t = datetime(2026, 11, 23, 9, 30, tzinfo=ICT).timestamp()
    while not all(
        model.reachable(c, t + dt)
        and model.answer_delay(c, t + dt) == 0
        and model.document(c, t + dt)["system"]["status"] != "down"
        for c in (WARD, OTHER)
        for dt in range(0, 601, 60)
    ):
        t += 7 * 86400
    return t


@pytest.fixture
def sim(start_simulator):
    """The Huế fleet on a clock that runs from a calm Monday morning, so answers are certain."""
    offset = _calm_moment() - time.time()
    return start_simulator(fleet("hue"), clock=lambda: time.time() + offset)


def get(url: str, timeout: float = 5.0) -> requests.Response:
    return requests.get(url, timeout=timeout)


def post_fault(sim, body: object) -> requests.Response:
    return requests.post(f"{sim.control_url}/faults", json=body, timeout=5)


def test_simulator_lists_the_fleet_when_asked(simulator):
    body = get(f"{simulator.control_url}/fleet").json()
    assert body["count"] == 40 and len(body["centres"]) == 40
    ward = next(c for c in body["centres"] if c["id"] == WARD)
    assert ward["base_url"] == f"http://{sim_host(WARD)}:{simulator.port}/c/{WARD}"
    assert ward["name"] == "Phường Phú Xuân"
    assert get(f"http://127.0.0.1:{simulator.port}/healthz").status_code == 200


def test_simulator_serves_every_endpoint_when_a_centre_is_healthy(sim):
    base = sim.base_url(WARD)
    status = get(f"{base}/status")
    assert status.status_code == 200 and status.headers["Content-Type"].startswith(
        "application/json"
    )
    doc = status.json()
    assert doc["centre"] == {"id": WARD, "name": "Phường Phú Xuân", "province_code": 46}
    assert set(doc) == {"centre", "time", "system", "otp", "sync", "dossiers"}
    for family in ("system", "otp", "sync", "dossiers"):
        assert set(get(f"{base}/status/{family}").json()) == {"centre", "time", family}
    assert get(f"{base}/status/weather").status_code == 404
    health = get(f"{base}/health")
    assert (health.status_code, health.text.strip()) == (
        (503, "down") if doc["system"]["status"] == "down" else (200, "ok")
    )
    metrics = get(f"{base}/metrics")
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {f.name for f in text_string_to_metric_families(metrics.text)}
    assert {
        "pvhcc_system_state",
        "pvhcc_component_state",
        "pvhcc_otp_p95_seconds",
        "pvhcc_dossiers_received",
        "pvhcc_dossiers_open",
    } <= names
    assert get(sim.main_url(WARD) + "/status").json()["centre"]["id"] == WARD


def test_simulator_answers_404_when_the_centre_is_not_this_host(sim):
    assert get(f"http://{sim_host(WARD)}:{sim.port}/c/{OTHER}/status").status_code == 404
    assert get(f"http://127.0.0.1:{sim.port}/c/99999/status").status_code == 404
    assert get(f"http://{sim_host(WARD)}:{sim.port}/control/fleet").status_code == 404


def test_simulator_keeps_the_connection_open_when_the_client_asks_again(sim):
    with socket.create_connection((sim_host(WARD), sim.port), timeout=5) as s:
        answers = b""
        for _ in range(2):
            s.sendall(f"GET /c/{WARD}/health HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            time.sleep(0.05)
            answers += s.recv(65536)
    assert answers.count(b"HTTP/1.1 ") == 2 and b"Keep-Alive: timeout=" in answers


def test_simulator_refuses_connections_when_refuse_is_injected(sim):
    sim.inject([WARD], "refuse", 30)
    with pytest.raises(requests.ConnectionError):
        get(sim.base_url(WARD) + "/status")
    with pytest.raises(requests.ConnectionError):
        get(sim.main_url(WARD) + "/status")
    assert get(sim.base_url(OTHER) + "/status").status_code == 200
    sim.clear()
    deadline = time.monotonic() + 5
    while True:  # the listener reopens within a housekeeping tick
        try:
            assert get(sim.base_url(WARD) + "/status").status_code == 200
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_simulator_never_answers_when_hang_is_injected(sim):
    sim.inject([WARD], "hang", 30)
    with pytest.raises(requests.ReadTimeout):
        get(sim.base_url(WARD) + "/status", timeout=0.5)
    assert get(sim.base_url(OTHER) + "/health").status_code == 200


def test_simulator_answers_again_when_a_fault_expires(sim):
    sim.inject([WARD], "hang", 0.5)
    with pytest.raises(requests.ReadTimeout):
        get(sim.base_url(WARD) + "/status", timeout=0.3)
    time.sleep(0.4)
    assert get(sim.base_url(WARD) + "/status").status_code == 200
    assert sim.faults() == []


@pytest.mark.parametrize(("params", "status"), [({}, 503), ({"status": 502}, 502),
                                                 ({"status": 576}, 576)])  # no phrase
def test_simulator_answers_5xx_when_http_5xx_is_injected(sim, params, status):
    sim.inject([WARD], "http_5xx", 30, **params)
    assert get(sim.base_url(WARD) + "/status").status_code == status


def test_simulator_sends_unparseable_bodies_when_malformed_is_injected(sim):
    sim.inject([WARD], "malformed", 30)
    status = get(sim.base_url(WARD) + "/status")
    assert status.status_code == 200
    with pytest.raises(ValueError):
        json.loads(status.content)
    metrics = get(sim.base_url(WARD) + "/metrics").text
    with pytest.raises(ValueError):
        list(text_string_to_metric_families(metrics))


def test_simulator_sends_the_asked_size_when_oversized_is_injected(sim):
    sim.inject([WARD], "oversized", 30, bytes=200_000)
    answer = get(sim.base_url(WARD) + "/status")
    assert answer.status_code == 200 and len(answer.content) == 200_000


def test_simulator_answers_late_when_slow_is_injected(sim):
    sim.inject([WARD], "slow", 30, delay_s=0.6)
    started = time.monotonic()
    assert get(sim.base_url(WARD) + "/health").status_code in (200, 503)
    assert time.monotonic() - started >= 0.6
    with pytest.raises(requests.ReadTimeout):
        get(sim.base_url(WARD) + "/health", timeout=0.3)


def test_simulator_sends_its_answer_a_byte_at_a_time_when_trickle_is_injected(sim):
    sim.inject([WARD], "trickle", 30, every_s=0.05, bytes=4)
    with socket.create_connection((sim_host(WARD), sim.port), timeout=5) as s:
        s.sendall(f"GET /c/{WARD}/health HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        pieces = []
        while chunk := s.recv(1024):
            pieces.append(chunk)
    answer = b"".join(pieces)
    assert answer.startswith(b"HTTP/1.1 ") and answer.split(b"\r\n\r\n", 1)[1] in (
        b"ok\n", b"down\n")
    assert len(pieces) >= len(answer) // 4 // 2  # in pieces, not in one write
    assert max(len(p) for p in pieces) <= 8


def test_simulator_floods_the_document_with_long_keys_when_label_flood_is_injected(sim):
    sim.inject([WARD], "label_flood", 30, keys=50, key_bytes=300)
    procedures = get(sim.base_url(WARD) + "/status").json()["dossiers"]["by_procedure"]
    long_keys = [k for k in procedures if len(k) == 300]
    assert len(long_keys) == 50


def test_simulator_says_down_with_200_when_soft_down_is_injected(sim):
    sim.inject([WARD], "soft_down", 30)
    status = get(sim.base_url(WARD) + "/status")
    assert status.status_code == 200 and status.json()["system"]["status"] == "down"
    health = get(sim.base_url(WARD) + "/health")
    assert (health.status_code, health.text.strip()) == (503, "down")
    metrics = get(sim.base_url(WARD) + "/metrics").text
    assert "pvhcc_system_state 0.0" in metrics


def test_simulator_sync_lag_grows_when_stalled_sync_is_injected(sim):
    sim.inject([WARD], "stalled_sync", 30)
    first = get(sim.base_url(WARD) + "/status/sync").json()["sync"]
    time.sleep(1.1)
    second = get(sim.base_url(WARD) + "/status/sync").json()["sync"]
    assert second["lag_seconds"] >= first["lag_seconds"] + 1
    assert second["synced_total"] == first["synced_total"]


def test_simulator_otp_slows_when_otp_spike_is_injected(sim):
    sim.inject([WARD], "otp_spike", 30, p95_s=50)
    otp = get(sim.base_url(WARD) + "/status/otp").json()["otp"]
    assert otp["p95_ms"] >= 50_000 and otp["failure_ratio"] >= 0.35


def test_simulator_runs_on_battery_then_goes_silent_when_power_cut_is_injected(sim):
    sim.inject([WARD], "power_cut", 30, battery_s=0.6)
    doc = get(sim.base_url(WARD) + "/status").json()
    assert doc["system"]["components"]["power"] == "battery"
    time.sleep(0.7)
    with pytest.raises(requests.ReadTimeout):
        get(sim.base_url(WARD) + "/status", timeout=0.5)


def test_simulator_applies_a_fault_to_every_centre_when_centres_is_all(sim):
    answer = post_fault(sim, {"centres": "all", "fault": "http_5xx", "duration_s": 30})
    assert answer.status_code == 201 and len(answer.json()["ids"]) == 40
    assert get(sim.base_url(OTHER) + "/status").status_code == 503


def test_simulator_deletes_one_fault_when_asked_by_id(sim):
    first, second = sim.inject([WARD, OTHER], "http_5xx", 30)
    assert requests.delete(f"{sim.control_url}/faults/{first}", timeout=5).ok
    assert [f["id"] for f in sim.faults()] == [second]
    assert get(sim.base_url(WARD) + "/status").status_code == 200
    missing = requests.delete(f"{sim.control_url}/faults/{first}", timeout=5)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"centres": ["00000"], "fault": "hang", "duration_s": 5}, "centres"),
        ({"centres": "all", "fault": "flood", "duration_s": 5}, "fault"),
        ({"centres": "all", "fault": "hang", "duration_s": -1}, "duration_s"),
        ({"centres": "all", "fault": "slow", "duration_s": 5, "params": {"x": 1}}, "params.x"),
    ],
)
def test_simulator_answers_400_naming_the_field_when_a_fault_is_invalid(sim, body, field):
    answer = post_fault(sim, body)
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert sim.faults() == []


def test_simulator_answers_400_when_the_fault_body_is_not_json(sim):
    answer = requests.post(f"{sim.control_url}/faults", data=b"{nope", timeout=5)
    assert answer.status_code == 400 and answer.json()["field"] == "body"


def test_simulator_hides_the_fault_api_when_faults_are_disabled(start_simulator):
    sim = start_simulator(fleet("hue")[:2], allow_faults=False)
    answer = post_fault(sim, {"centres": "all", "fault": "hang", "duration_s": 5})
    assert answer.status_code == 404
    assert get(f"{sim.control_url}/faults").status_code == 404
    assert get(f"{sim.control_url}/fleet").status_code == 200


def _natural_outage() -> tuple[str, float]:
    """A Huế centre and a moment when the model says it is cut off (seed 7)."""
    centres = fleet("hue")
    model = FleetModel(centres, seed=7)
    start = datetime(2026, 11, 2, tzinfo=ICT).timestamp()
    for step in range(0, 120 * 86400, 600):
        for c in centres:
            if not model.reachable(c.id, start + step):
                return c.id, start + step
    raise AssertionError("no natural outage in 120 days")


def test_simulator_hangs_a_centre_when_the_model_has_it_cut_off(start_simulator):
    cid, moment = _natural_outage()
    sim = start_simulator(fleet("hue"), clock=lambda: moment)
    with pytest.raises(requests.ReadTimeout):
        get(sim.base_url(cid) + "/status", timeout=0.5)
    other = next(
        c.id
        for c in fleet("hue")
        if c.id != cid and FleetModel(fleet("hue"), 7).reachable(c.id, moment)
    )
    assert (
        get(sim.base_url(other) + "/status")
        .json()["time"]
        .startswith(datetime.fromtimestamp(moment, ICT).strftime("%Y-%m-%dT%H:%M"))
    )
