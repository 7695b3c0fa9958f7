"""A foreign fleet configured only from its own config folder, end to end over loopback HTTP.

The deployment's folder (IOC_CONFIG's) holds its settings, a site file, its own mapping
profile (probes.yaml), its own metrics (metrics.yaml) and its alert rules (alerts.yaml);
nothing under the install is touched. A small HTTP server plays the foreign system: it
calls its centres by its own ids ("HUE-PX-01") and shapes its documents its own way. One
collect cycle then puts the site's metric in the store, in /metrics, in an alert from the
folder's rule and on the commune page, with its unit; a centre the site file disables is
nowhere.
"""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from collectors.commands.config_check import check
from collectors.endpoint.exposition import Exposition, serve
from collectors.service import collect
from config.alerts import alerts_path, load_alerts
from config.deployment import centres as deployment_centres
from config.loader import load_settings
from metrics.alerts.engine import AlertEngine
from metrics.alerts.read import alerts as read_alerts
from tests.conftest import Database
from tests.fixtures.catalogue import catalogue_restored
from tests.fixtures.pages import open_page

pytestmark = pytest.mark.slow

PHU_XUAN, KIM_LONG, VY_DA = "19753", "19774", "19777"
# The foreign system's documents: its own ids, its own shape, its own figures.
DOCUMENTS = {
    "/px/status": {"meta": {"site": "HUE-PX-01"}, "health": {"overall": "up"},
                   "queue": {"waiting": 42, "served_total": 1234},
                   "kiosk": {"temp_c": 900}},  # beyond the declared range: refused
    "/kl/status": {"meta": {"site": "HUE-XX-99"}, "health": {"overall": "up"},  # wrong id
                   "queue": {"waiting": 3, "served_total": 10}},
}


@pytest.fixture
def foreign() -> Iterator[int]:
    """The foreign system on a free loopback port: GET path → its JSON document."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            doc = DOCUMENTS.get(self.path)
            body = json.dumps(doc).encode() if doc else b"{}"
            self.send_response(200 if doc else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def own_catalogue() -> Iterator[None]:
    """What a test registers in the catalogue does not leak into the next test."""
    with catalogue_restored():
        yield


def write_folder(folder: Path, port: int) -> Path:
    """The deployment's config folder; returns its settings file."""
    base = f"http://127.0.0.1:{port}"
    files = {
        "ioc.yaml": """
            deployment: {name: "IOC thử", scope: province, province: 46, site_file: site.yaml}
            collector: {interval_s: 4, timeout_s: 1, connect_timeout_s: 0.5, workers: 1,
                        concurrency: 8, metrics_port: 0, spool_dir: null}
            dashboard: {auth: none}
            """,
        "site.yaml": f"""
            province: 46
            watch: listed
            centres:
              "{PHU_XUAN}":
                url: {base}/px
                document_id: HUE-PX-01
                probes: [{{kind: json, path: /status, profile: hue_queue}}]
              "{KIM_LONG}":
                url: {base}/kl
                document_id: HUE-KL-01
                probes: [{{kind: json, path: /status, profile: hue_queue}}]
              "{VY_DA}": {{url: {base}/vd, enabled: false}}
            """,
        "probes.yaml": """
            hue_queue:
              centre_id: meta.site
              json:
                health.overall: {metric: system_state, states: SYSTEM_STATES}
                queue.waiting: {metric: queue_waiting}
                queue.served_total: {metric: queue_served_total}
                kiosk.temp_c: {metric: kiosk_temperature_celsius}
            """,
        "metrics.yaml": """
            queue_waiting: {unit: người, kind: gauge, min: 0, max: 500, title: Người chờ}
            queue_served_total: {unit: lượt, kind: counter}
            kiosk_temperature_celsius: {unit: °C, kind: gauge, min: -10, max: 80}
            """,
        "alerts.yaml": """
            rules:
              - name: centre_down
                condition: {kind: failed_polls, count: 2}
                severity: critical
                summary: "{centre_name}: không phản hồi"
              - name: queue_long
                condition: {kind: threshold, metric: queue_waiting, op: ">", value: 30}
                severity: warning
                summary: "{centre_name}: {value} người đang chờ"
            """,
    }
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder / "ioc.yaml"


def pg_url(database: Database) -> str:
    """The store's URL for another process or page: the test's schema on the search path."""
    if database.schema is None:
        return database.url
    return f"{database.url}?options=-csearch_path%3D{database.schema}"


def test_deployment_profile_and_metric_flow_to_store_metrics_alerts_and_commune_page(
        foreign, database, own_catalogue, tmp_path, monkeypatch):
    settings_file = write_folder(tmp_path, foreign)
    url = pg_url(database)
    monkeypatch.setenv("IOC_CONFIG", str(settings_file))
    monkeypatch.setenv("IOC_DB_URL", url)
    assert check(settings_file, roles=("collector", "dashboard"), ports=False) == []
    settings = load_settings(settings_file)
    watched = deployment_centres(settings, settings_file)
    assert [c.id for c in watched] == [PHU_XUAN, KIM_LONG]  # listed; Vỹ Dạ disabled

    exposition = Exposition(watched)
    served = serve(exposition, "127.0.0.1", 0)
    with database.open() as store:
        try:
            summary = collect(settings, once=True, store=store, config_file=settings_file,
                              observers=[exposition])
            text = requests.get(f"http://127.0.0.1:{served.port}/metrics", timeout=5).text
        finally:
            served.close()
        now = datetime.now(UTC)
        engine = AlertEngine(store, load_alerts(alerts_path(settings_file), interval_s=4),
                             env={})
        engine.evaluate()
        polls = store.latest_polls()
        latest = store.latest(metrics=["queue_waiting", "queue_served_total",
                                       "kiosk_temperature_celsius"])
        raised = read_alerts(store, now - timedelta(minutes=1), now + timedelta(minutes=1))
        stored_ids = set(store.centres()["id"])

    # Only the watched centres exist: polled, stored; the disabled one is nowhere.
    assert summary["centres"] == 2 and stored_ids == {PHU_XUAN, KIM_LONG}
    by_id = {r["centre_id"]: r for r in polls.iter_rows(named=True)}
    assert by_id[PHU_XUAN]["ok"]
    # The foreign id maps to the official code; a document for another id is refused,
    # in one line naming the field and both ids.
    assert not by_id[KIM_LONG]["ok"] and by_id[KIM_LONG]["reason"] == "bad_payload"
    assert by_id[KIM_LONG]["detail"].startswith(
        "meta.site: document is for centre 'HUE-XX-99', not 'HUE-KL-01'")
    # The site's metrics in the store, the declared range applied like a built-in's.
    values = {r["metric"]: r["value"] for r in latest.iter_rows(named=True)}
    assert values == {"queue_waiting": 42.0, "queue_served_total": 1234.0}
    assert by_id[PHU_XUAN]["rejected"] == 1  # kiosk.temp_c: 900 °C is beyond [-10, 80]
    # …in /metrics, with their kind…
    families = {f.name: f for f in text_string_to_metric_families(text)}
    [waiting] = families["ioc_queue_waiting"].samples
    assert waiting.value == 42 and waiting.labels["centre"] == PHU_XUAN
    assert families["ioc_queue_served"].type == "counter"
    assert "ioc_kiosk_temperature_celsius" in families
    assert not families["ioc_kiosk_temperature_celsius"].samples  # refused, not stored
    [refused] = [s.value for s in families["ioc_collector_rejected_values"].samples
                 if s.name.endswith("_total")]
    assert refused == 1
    # …raising the folder's threshold rule…
    queue = raised.filter(rule="queue_long")
    assert queue["centre_id"].to_list() == [PHU_XUAN]
    assert queue["state"].to_list() == ["firing"]

    # …and on the commune page, with its unit.
    at = open_page("app_pages/commune.py", centre=PHU_XUAN)
    assert not at.exception and not at.error
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Người chờ"] == "42 người"
    assert tiles[r"queue\_served\_total"] == "1.234 lượt"  # no title: its name (markdown)
    assert "Chỉ số riêng của địa phương" in [s.value for s in at.subheader]
