"""Validation against the catalogue, table-driven: each case is one reading and its fate."""

from __future__ import annotations

import pytest

from collectors.validate import (
    MAX_REJECTIONS,
    REJECTION_CHARS,
    Reading,
    bound_rejections,
    probe_samples,
    validate,
)
from metrics.results import Sample

CASES = [
    # (reading, expected value or None, expected rejection or None)
    (Reading("otp.p95_ms", "otp_p95_seconds", 9100, scale=0.001), 9.1, None),
    (Reading("otp.failure_ratio", "otp_failure_ratio", 0), 0.0, None),
    (Reading("otp.failure_ratio", "otp_failure_ratio", 1.0), 1.0, None),
    (Reading("system.status", "system_state", 2.0), 2.0, None),
    (Reading("otp.sent_total", "otp_sent_total", 10**15), 1e15, None),
    # Counters have a maximum too (config/catalogue.py COUNTER_MAX): 1e308 would turn sums
    # infinite, and beyond 2**53 an increase of one is lost.
    (Reading("otp.sent_total", "otp_sent_total", 1e308), None,
     "otp.sent_total: out of range [0, 1e+15] (1e+308)"),
    (Reading("dossiers.received_total", "dossiers_received_total", 2**53), None,
     "dossiers.received_total: out of range [0, 1e+15] (9.0072e+15)"),
    (
        Reading("otp.failure_ratio", "otp_failure_ratio", 1.01),
        None,
        "otp.failure_ratio: out of range [0, 1] (1.01)",
    ),
    (
        Reading("otp.sent_total", "otp_sent_total", -1),
        None,
        "otp.sent_total: negative counter (-1)",
    ),
    (
        Reading("sync.lag_seconds", "sync_lag_seconds", -0.5),
        None,
        "sync.lag_seconds: out of range [0, 2.592e+06] (-0.5)",
    ),
    (
        Reading("otp.p95_ms", "otp_p95_seconds", 4_000_000, scale=0.001),
        None,
        "otp.p95_ms: out of range [0, 3600] (4000)",
    ),
    (
        Reading("otp.sent_total", "otp_sent_total", True),
        None,
        "otp.sent_total: not a number (bool)",
    ),
    (Reading("otp.sent_total", "otp_sent_total", "12"), None, "otp.sent_total: not a number (str)"),
    (
        Reading("otp.sent_total", "otp_sent_total", None),
        None,
        "otp.sent_total: not a number (NoneType)",
    ),
    (Reading("otp.sent_total", "otp_sent_total", [1]), None, "otp.sent_total: not a number (list)"),
    (
        Reading("otp.sent_total", "otp_sent_total", {"v": 1}),
        None,
        "otp.sent_total: not a number (dict)",
    ),
    (Reading("otp.p50_ms", "otp_p50_seconds", float("nan")), None, "otp.p50_ms: not finite (nan)"),
    (
        Reading("otp.sent_total", "otp_sent_total", float("inf")),
        None,
        "otp.sent_total: not finite (inf)",
    ),
    (
        Reading("otp.sent_total", "otp_sent_total", float("-inf")),
        None,
        "otp.sent_total: not finite (-inf)",
    ),
    (
        Reading("otp.sent_total", "otp_sent_total", 10**400),
        None,
        "otp.sent_total: not finite (too large)",
    ),
    (Reading("x", "weather_celsius", 30), None, "x: unknown metric 'weather_celsius'"),
    (Reading("p.c", "dossiers_received_by_procedure_total", 3, "certified_copy"), 3.0, None),
    (Reading("p", "dossiers_received_by_procedure_total", 3), None, "p: bad procedure ''"),
    (
        Reading("p", "dossiers_received_by_procedure_total", 3, "Cấp bản sao"),
        None,
        "p: bad procedure 'Cấp bản sao'",
    ),
    (
        Reading("p", "dossiers_received_by_procedure_total", 3, "x" * 65),
        None,
        f"p: bad procedure '{'x' * 39}…",
    ),
    (Reading("s", "system_state", 2, "esign"), None, "s: unexpected label 'esign'"),
]


@pytest.mark.parametrize(
    ("reading", "value", "rejection"),
    CASES,
    ids=[f"{c[0].metric}={c[0].value!r:.20}" for c in CASES],
)
def test_validate_keeps_or_rejects_each_reading_by_the_catalogue(reading, value, rejection):
    samples, rejected = validate([reading])
    if value is None:
        assert samples == []
        assert rejected == [rejection]
    else:
        assert rejected == []
        assert samples == [Sample(reading.metric, pytest.approx(value), reading.label)]


def test_validate_keeps_good_readings_when_others_are_rejected():
    samples, rejected = validate(
        [
            Reading("a", "otp_sent_total", 5),
            Reading("b", "otp_failed_total", -2),
            Reading("c", "dossiers_open", 7),
        ]
    )
    assert [s.metric for s in samples] == ["otp_sent_total", "dossiers_open"]
    assert rejected == ["b: negative counter (-2)"]


def test_validate_refuses_a_repeat_when_two_readings_name_the_same_series():
    samples, rejected = validate(
        [Reading("a", "dossiers_open", 5), Reading("b", "dossiers_open", 6)]
    )
    assert samples == [Sample("dossiers_open", 5.0)]
    assert rejected == ["b: duplicate value for dossiers_open"]


def test_validate_returns_floats_when_centre_sends_integers():
    samples, _ = validate([Reading("a", "dossiers_open", 5)])
    assert type(samples[0].value) is float


@pytest.mark.parametrize(
    ("up", "duration", "expected"),
    [
        (True, 0.25, [Sample("up", 1.0), Sample("probe_duration_seconds", 0.25)]),
        (False, 3.0, [Sample("up", 0.0), Sample("probe_duration_seconds", 3.0)]),
        (False, -1.0, [Sample("up", 0.0), Sample("probe_duration_seconds", 0.0)]),
        (True, 1e9, [Sample("up", 1.0), Sample("probe_duration_seconds", 600.0)]),
    ],
)
def test_probe_samples_report_reachability_and_clamped_duration(up, duration, expected):
    assert probe_samples(up, duration) == expected


def test_bound_rejections_keeps_a_few_texts_cut_short_and_counts_the_rest():
    flood = [f"dossiers.by_procedure.{'x' * 2000}.received_total: bad procedure" for _ in
             range(1000)]
    kept, more = bound_rejections(flood)
    assert len(kept) == MAX_REJECTIONS and more == 1000 - MAX_REJECTIONS
    assert all(len(t) <= REJECTION_CHARS and t.endswith("…") for t in kept)
    assert bound_rejections(["otp.x: bad"]) == (["otp.x: bad"], 0)
