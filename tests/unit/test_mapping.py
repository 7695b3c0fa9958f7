"""Mapping profiles: the default profile covers the catalogue; bad profiles stop the start."""

from __future__ import annotations

import pytest

from collectors.mapping import parse_profiles, profile
from config.catalogue import METRICS, Family
from config.loader import ConfigError


def test_default_profile_maps_every_centre_metric_in_json_and_prometheus():
    p = profile("default")
    reported = {m for m, spec in METRICS.items() if spec.family is not Family.PROBE}
    assert {f.metric for f in p.json} == reported
    prom = {f.metric for f in p.prometheus.values() if not f.template}
    prom |= {m for m in reported if m.startswith("component_")}  # via the {component} template
    assert prom == reported


def test_default_profile_scales_otp_milliseconds_to_seconds():
    fields = {f.field: f for f in profile("default").json}
    assert fields["otp.p95_ms"].metric == "otp_p95_seconds"
    assert fields["otp.p95_ms"].scale == 0.001
    assert fields["system.components.power"].states == {"cut": 0.0, "battery": 1.0, "mains": 2.0}


def test_profile_raises_key_error_naming_it_when_unknown():
    with pytest.raises(KeyError, match="unknown mapping profile 'nope'"):
        profile("nope")


BAD = [
    ({"p": {"json": {"a.b": {"metric": "nope"}}}}, "p.json.a.b", "unknown metric 'nope'"),
    (
        {"p": {"json": {"a.b": {"metric": "system_state", "states": "MOOD_STATES"}}}},
        "p.json.a.b.states",
        "unknown state table 'MOOD_STATES'",
    ),
    (
        {"p": {"json": {"a.*.b": {"metric": "system_state"}}}},
        "p.json.a.*.b",
        "a '*' needs a metric with a label",
    ),
    (
        {"p": {"json": {"a.b": {"metric": "dossiers_received_by_procedure_total"}}}},
        "p.json.a.b",
        "needs exactly one '*'",
    ),
    ({"p": {"json": {"a..b": {"metric": "system_state"}}}}, "p.json.a..b", "empty path segment"),
    (
        {"p": {"json": {"a": {"metric": "system_state", "scale": 0}}}},
        "p.json.a.scale",
        "greater than 0",
    ),
    ({"p": {"jsn": {}}}, "p.jsn", "unknown key"),
    (
        {"p": {"prometheus": {"x": {"metric": "component_{c}_speed"}}}},
        "p.prometheus.x",
        "matches no catalogue metric",
    ),
    (
        {"p": {"prometheus": {"x": {"metric": "dossiers_received_by_procedure_total"}}}},
        "p.prometheus.x",
        "needs 'label:'",
    ),
    (
        {"p": {"prometheus": {"x": {"metric": "system_state", "label": "a"}}}},
        "p.prometheus.x",
        "carries no label",
    ),
    ([], "", "must map profile names to profiles"),
]


@pytest.mark.parametrize(("data", "key", "reason"), BAD, ids=[b[2][:30] for b in BAD])
def test_parse_profiles_names_file_key_and_reason_when_profile_is_bad(data, key, reason):
    with pytest.raises(ConfigError) as info:
        parse_profiles(data, "probes.yaml")
    problems = info.value.problems
    assert any(
        p.where == "probes.yaml" and p.key.startswith(key) and reason in p.reason for p in problems
    ), problems


def test_parse_profiles_reports_every_problem_when_several_are_bad():
    with pytest.raises(ConfigError) as info:
        parse_profiles(
            {
                "p": {"json": {"a": {"metric": "x"}, "b": {"metric": "y"}}},
                "q": {"prometheus": {"z": {"metric": "w"}}},
            },
            "probes.yaml",
        )
    assert [p.key for p in info.value.problems] == ["p.json.a", "p.json.b", "q.prometheus.z"]
