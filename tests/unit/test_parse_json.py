"""The json probe's parser on saved payloads: good, truncated, wrong types, hostile."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.mapping import profile
from collectors.probes.json_probe import parse_json
from collectors.validate import validate

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"
CENTRE = "19753"


def parsed(name: str, centre: str = CENTRE):
    return parse_json((PAYLOADS / name).read_bytes(), centre, profile("default"))


def samples(name: str) -> tuple[dict[tuple[str, str], float], list[str]]:
    p = parsed(name)
    assert p.error is None
    got, refused = validate(p.readings)
    return {(s.metric, s.label): s.value for s in got}, p.rejected + refused


def test_parse_json_reads_every_family_when_document_is_good():
    values, rejected = samples("status_19753.json")
    assert rejected == []
    assert values[("system_state", "")] == 1.0  # "degraded"
    assert values[("component_portal_link_state", "")] == 1.0
    assert values[("component_power_state", "")] == 2.0  # "mains"
    assert values[("otp_p50_seconds", "")] == pytest.approx(3.552)  # 3552 ms
    assert values[("otp_p95_seconds", "")] == pytest.approx(14.967)
    assert values[("sync_lag_seconds", "")] == 796
    assert values[("sync_unsynced_dossiers", "")] == 3
    assert values[("dossiers_received_by_procedure_total", "certified_copy")] >= 0
    metrics = {m for m, _ in values}
    assert {
        "otp_sent_total",
        "dossiers_received_total",
        "dossiers_overdue",
        "dossiers_resolved_by_procedure_total",
    } <= metrics


def test_parse_json_reads_one_family_when_endpoint_is_split():
    values, rejected = samples("status_otp_19753.json")
    assert rejected == []
    assert {m for m, _ in values} == {
        "otp_p50_seconds",
        "otp_p95_seconds",
        "otp_failure_ratio",
        "otp_sent_total",
        "otp_failed_total",
    }


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("truncated.json", "not JSON"),
        ("html.html", "not JSON"),
        ("not_object.json", "not a JSON object but list"),
        ("wrong_centre.json", "document is for centre '19774', not '19753'"),
    ],
)
def test_parse_json_refuses_whole_body_when_it_is_unusable(name, error):
    p = parsed(name)
    assert p.error is not None and error in p.error
    assert p.readings == []


def test_parse_json_refuses_body_when_it_has_no_centre_id():
    p = parse_json(b'{"otp": {"p50_ms": 1}}', CENTRE, profile("default"))
    assert p.error == "no centre.id in the document"


def test_parse_json_refuses_body_when_no_field_is_known():
    p = parse_json(b'{"centre": {"id": "19753"}, "weather": "sunny"}', CENTRE, profile("default"))
    assert p.error == "none of the profile's fields in the document"


def test_parse_json_rejects_each_wrong_type_and_keeps_the_rest_when_types_are_wrong():
    values, rejected = samples("wrong_types.json")
    assert sorted(r.split(":")[0] for r in rejected) == [
        "dossiers.open",
        "dossiers.received_total",
        "otp.p50_ms",
        "system.components.esign",
        "system.status",
    ]
    assert "otp.p50_ms: not a number (str)" in rejected
    assert "dossiers.received_total: not a number (bool)" in rejected
    assert "dossiers.open: not a number (NoneType)" in rejected
    assert any(r.startswith("system.status: unknown state 'maybe'") for r in rejected)
    assert ("otp_p95_seconds", "") in values and ("dossiers_online_total", "") in values


def test_parse_json_rejects_non_finite_values_when_document_has_nan_and_infinity():
    values, rejected = samples("nan.json")
    assert "otp.p95_ms: not finite (nan)" in rejected
    assert "sync.lag_seconds: not finite (inf)" in rejected
    assert ("otp_p95_seconds", "") not in values and ("otp_p50_seconds", "") in values


def test_parse_json_rejects_negative_and_out_of_range_values_when_document_has_them():
    values, rejected = samples("negative_counter.json")
    assert "dossiers.received_total: negative counter (-5)" in rejected
    assert "otp.failure_ratio: out of range [0, 1] (1.5)" in rejected
    assert "sync.lag_seconds: out of range [0, 2.592e+06] (-1)" in rejected
    assert ("dossiers_online_total", "") in values


def test_parse_json_rejects_huge_numbers_and_keeps_the_rest_when_numbers_overflow():
    values, rejected = samples("huge_numbers.json")
    assert "otp.sent_total: not finite (inf)" in rejected
    assert "dossiers.resolution_seconds_total: not finite (inf)" in rejected
    assert "sync.unsynced: out of range [0, 1e+06] (1.23457e+07)" in rejected
    assert ("otp_failed_total", "") in values


def test_parse_json_rejects_the_section_when_its_shape_is_wrong():
    values, rejected = samples("bad_shape.json")
    assert "otp: not an object" in rejected
    assert "dossiers.by_procedure: not an object" in rejected
    assert not any(m.startswith("otp_") for m, _ in values)
    assert ("sync_lag_seconds", "") in values


def test_parse_json_rejects_label_when_it_is_not_a_plain_identifier():
    values, rejected = samples("bad_label.json")
    assert any(
        r.startswith("dossiers.by_procedure.Bản sao <script>.received_total: bad procedure")
        for r in rejected
    )
    assert ("dossiers_received_by_procedure_total", "certified_copy") in values


def test_parse_json_caps_labels_when_a_map_is_huge():
    procs = ",".join(f'"p{i}": {{"received_total": 1}}' for i in range(600))
    body = f'{{"centre": {{"id": "19753"}}, "dossiers": {{"by_procedure": {{{procs}}}}}}}'
    p = parse_json(body.encode(), CENTRE, profile("default"))
    assert len(p.readings) == 512
    assert "dossiers.by_procedure: more than 512 entries, the rest ignored" in p.rejected


def test_parse_json_refuses_body_when_nesting_is_too_deep():
    p = parse_json(b"[" * 100_000, CENTRE, profile("default"))
    assert p.error is not None and p.error.startswith("not JSON")


@pytest.mark.parametrize(
    "body",
    [
        b'{"centre": {"id": "19753"}, "sync": {"lag_seconds": 12345678901234567890}}',
        b'{"centre": {"id": "19753"}, "sync": {"lag_seconds": -9999999999999999999}}',
        b'{"centre": {"id": "19753"}, "system": {"status": 12345678901234567890123}}',
        b'{"centre": {"id": "19753"}, "otp": {"p50_ms": NaN, "p95_ms": Infinity}}',
        b'{"centre": {"id": "19753"}, "otp": {"p50_ms": 1e400}}',
        b'\xef\xbb\xbf{"centre": {"id": "19753"}, "otp": {"p50_ms": 5}}',
        '{"centre": {"id": "19753"}, "otp": {"p50_ms": 5}}'.encode("utf-16"),
    ],
)
def test_parse_json_reads_numbers_and_encodings_as_the_standard_library_does(body):
    import json

    from collectors.probes.json_probe import load

    assert repr(load(body)[0]) == repr(json.loads(body))
    got = parse_json(body, CENTRE, profile("default"))
    assert got.error is None
    assert got.readings or got.rejected
