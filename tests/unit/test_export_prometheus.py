"""`ioc alerts export-prometheus`: valid YAML, Prometheus's rule-file shape, every rule there."""

from __future__ import annotations

import re

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from collectors.endpoint.exposition import Exposition
from collectors.polling.scheduler import Cycle
from config.alerts import AlertsConfig, load_alerts
from metrics.alerts import export_prometheus as ep

SHIPPED = load_alerts()


def exported(cfg: AlertsConfig = SHIPPED, interval_s: float = 15):
    text, not_exported = ep.render_rules(cfg, interval_s)
    return yaml.safe_load(text), not_exported, text


def test_output_is_a_prometheus_rule_file():
    doc, _, _ = exported()
    assert list(doc) == ["groups"]
    [group] = doc["groups"]
    assert group["name"] == ep.GROUP_NAME
    for rule in group["rules"]:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
        assert {"alert", "expr", "labels", "annotations"} <= set(rule)
        assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", rule["alert"])
        assert "for" not in rule or re.fullmatch(r"\d+[smhd]", rule["for"])
        assert all(isinstance(v, str) for v in rule["labels"].values())
        assert rule["annotations"]["summary"]
        assert rule["expr"].count("(") == rule["expr"].count(")")


def test_every_shipped_rule_is_exported_or_listed_as_not_expressible():
    doc, not_exported, _ = exported()
    names = {r["alert"] for r in doc["groups"][0]["rules"]}
    listed = {line.split(":", 1)[0] for line in not_exported}
    assert {r.name for r in SHIPPED.rules} == names | listed
    assert not_exported == []  # every shipped kind has a translation today


def test_rules_use_only_metric_names_the_collector_exposes():
    exposition = Exposition([])
    exposition.after_cycle(Cycle([], 1.0, 0.0, 0), {"samples": 0}, 0.1)  # health gauges appear
    text = b"".join(exposition.respond(None, None)[1]).decode()
    exposed = {m.name for m in text_string_to_metric_families(text)}
    exposed |= {f"{n}_total" for n in exposed}
    doc, _, _ = exported()
    functions = {"count", "sum", "by", "increase", "time", "absent", "and", "or", "offset",
                 "province", "centre", "centre_name"}
    for rule in doc["groups"][0]["rules"]:
        names = set(re.findall(r"\b(ioc_[a-z0-9_]+)", rule["expr"]))
        assert names and names <= exposed, (rule["alert"], names - exposed)
        words = set(re.findall(r"\b([a-z_]+)\s*\(", rule["expr"])) - {"ioc"}
        assert words <= functions, words


def test_translations_of_each_condition_kind():
    rules = {r["alert"]: r for r in exported(interval_s=5)[0]["groups"][0]["rules"]}
    assert rules["centre_down"]["expr"] == "ioc_centre_up == 0"
    assert rules["centre_down"]["for"] == "4s"  # the confirmation window
    assert rules["portal_link_down"]["expr"] == "ioc_component_portal_link_state < 0.5"
    assert rules["portal_link_down"]["for"] == "1m"
    assert rules["power_on_battery"]["expr"] == "ioc_component_power_state == 1"
    assert rules["overdue_growing"]["expr"] == (
        "(ioc_dossiers_overdue - ioc_dossiers_overdue offset 1h) >= 3")
    assert "absent(ioc_collector_last_cycle_timestamp_seconds)" in rules["collector_silent"][
        "expr"]
    assert rules["otp_failure_high"]["annotations"]["summary"] == (
        "{{ $labels.centre_name }}: tỉ lệ OTP thất bại {{ $value | humanizePercentage }}")
    assert rules["centre_down"]["labels"] == {"severity": "critical", "rule": "centre_down",
                                             "team": "tech"}


def test_a_burn_rate_rule_with_two_window_pairs_becomes_two_rules_of_one_alert():
    doc, _, _ = exported()
    page = [r for r in doc["groups"][0]["rules"] if r["alert"] == "availability_burn_page"]
    assert len(page) == 2
    assert "[1h]" in page[0]["expr"] and "[5m]" in page[0]["expr"] and "> 14.4" in page[0][
        "expr"]
    assert "[6h]" in page[1]["expr"] and "[30m]" in page[1]["expr"] and "> 6" in page[1]["expr"]
    assert "/ 0.005" in page[0]["expr"]


@pytest.mark.parametrize(("seconds", "text"), [
    (15, "15s"), (60, "1m"), (90, "90s"), (3600, "1h"), (5400, "90m"), (259_200, "3d"),
    (0, "0s"),
])
def test_durations(seconds, text):
    assert ep.duration(seconds) == text


def test_cli_writes_the_file(tmp_path, capsys):
    out = tmp_path / "rules.yml"
    assert ep.cmd_export(SHIPPED, 15, str(out)) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == exported()[0]
    assert "Prometheus rules" in capsys.readouterr().err
