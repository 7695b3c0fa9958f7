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


@pytest.mark.parametrize(
    "text",
    [
        (PAYLOADS / "metrics_19753.prom").read_text(),
        "# TYPE foo counter\nfoo 3\n",  # a counter named without _total: renamed
        "# TYPE foo_total counter\nfoo_total 3\n",
        "# HELP foo doc\n# TYPE foo counter\nfoo 1\n# HELP foo again\nfoo 2\n",
        '# TYPE c counter\nc{a="b"} 1\nother 2\nc 3\n',  # c 3 is an untyped sample of its own
        '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 3\nh_count 4\nh 5\n',
        'x{a="1",b="2,}"} 1 1700000000000\ny +Inf\nz -1e3\nw .5\nq 1.\nk NaN\nn 007\n',
    ],
)
def test_fast_samples_match_prometheus_client_when_text_is_plain(text):
    from collectors.probes.prometheus_probe import _fast_samples, _slow_samples

    fast = _fast_samples(text)
    assert fast is not None
    assert repr(fast) == repr(_slow_samples(text))  # repr: NaN equals NaN, int stays int


@pytest.mark.parametrize(
    "text",
    [
        "# TYPE g gauge\ng 1\n# TYPE g counter\ng 2\n",  # retyped: all of g renamed at the end
        'a{x="1",x="2"} 1\n',  # duplicate label: malformed
        'a{x="q\\"uote"} 1\n',  # an escape
        "a\t1\n",
        "a 1_0\n",
        "# TYPE foo counte\nfoo 1\n",
        "a 1 # {trace_id=\"1\"} 1\n",
    ],
)
def test_fast_samples_leave_text_to_prometheus_client_when_not_plain(text):
    from collectors.probes.prometheus_probe import _fast_samples

    assert _fast_samples(text) is None


def test_parse_prometheus_refuses_body_when_it_has_too_many_samples():
    body = "".join(f"pvhcc_system_state{{n=\"{i}\"}} 1\n" for i in range(20_001)).encode()
    p = parse_prometheus(body, profile("default"))
    assert p.error == "more than 20000 samples"
