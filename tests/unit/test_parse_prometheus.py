"""The prometheus probe's parser on saved expositions."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.mapping import profile
from collectors.probes.json_probe import parse_json
from collectors.probes.prometheus_probe import parse_prometheus
from collectors.validate import validate

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def parsed(name: str):
    return parse_prometheus((PAYLOADS / name).read_bytes(), profile("default"))


def values(name: str) -> tuple[dict[tuple[str, str], float], list[str]]:
    p = parsed(name)
    assert p.error is None
    got, refused = validate(p.readings)
    return {(s.metric, s.label): s.value for s in got}, p.rejected + refused


def test_parse_prometheus_gives_the_same_values_as_the_document_when_both_are_good():
    prom, rejected = values("metrics_19753.prom")
    assert rejected == []
    doc = parse_json((PAYLOADS / "status_19753.json").read_bytes(), "19753", profile("default"))
    from_json = {(s.metric, s.label): s.value for s in validate(doc.readings)[0]}
    assert prom.keys() == from_json.keys()
    for key, value in from_json.items():
        assert prom[key] == pytest.approx(value), key


def test_parse_prometheus_maps_component_label_to_its_metric():
    prom, _ = values("metrics_19753.prom")
    assert prom[("component_portal_link_state", "")] == 1.0
    assert prom[("component_esign_state", "")] == 2.0


@pytest.mark.parametrize("name", ["truncated.prom", "html.html", "status_19753.json"])
def test_parse_prometheus_refuses_whole_body_when_it_is_not_exposition_text(name):
    p = parsed(name)
    assert p.error is not None and p.error.startswith("not Prometheus text")


def test_parse_prometheus_refuses_body_when_it_is_not_utf8():
    p = parse_prometheus(b"pvhcc_system_state \xff\xfe\n", profile("default"))
    assert p.error is not None and p.error.startswith("not UTF-8 text")


def test_parse_prometheus_refuses_body_when_no_sample_is_known():
    p = parse_prometheus(b"# TYPE other gauge\nother 1\n", profile("default"))
    assert p.error == "none of the profile's samples in the exposition"


def test_parse_prometheus_rejects_bad_values_and_keeps_the_rest():
    prom, rejected = values("bad_values.prom")
    assert "pvhcc_otp_p95_seconds: not finite (nan)" in rejected
    assert "pvhcc_otp_sent_total: negative counter (-3)" in rejected
    assert ("otp_p50_seconds", "") in prom


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('pvhcc_component_state{component="coffee"} 2', "unknown metric 'component_coffee_state'"),
        ("pvhcc_component_state 2", "missing label 'component'"),
        ("pvhcc_dossiers_received_by_procedure_total 2", "missing label 'procedure'"),
        ('pvhcc_dossiers_received_by_procedure_total{procedure="A B"} 2', "bad procedure 'A B'"),
    ],
)
def test_parse_prometheus_rejects_sample_when_its_labels_do_not_fit(line, why):
    p = parse_prometheus(f"{line}\npvhcc_system_state 2\n".encode(), profile("default"))
    got, refused = validate(p.readings)
    assert [r.split(": ", 1)[1] for r in p.rejected + refused] == [why]
    assert [s.metric for s in got] == ["system_state"]
