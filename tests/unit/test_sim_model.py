"""The fleet model: deterministic, realistic, and true to docs/centre-api.md's invariants."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.simulator.documents import exposition, family_body
from collectors.simulator.model import FleetModel
from collectors.simulator.profiles import make_profile
from config.catalogue import METRICS, PROCEDURES
from config.registry import KIND_PROVINCIAL, fleet

ICT = timezone(timedelta(hours=7))
NATIONAL = fleet("national")
HUE = fleet("hue")
WARD = "19753"  # Phường Phú Xuân, a big ward of Huế
MONDAY_10H = datetime(2026, 11, 23, 10, 0, tzinfo=ICT).timestamp()

DOC_KEYS = {"centre", "time", "system", "otp", "sync", "dossiers"}
SYSTEM_KEYS = {"status", "message", "components"}
COMPONENT_KEYS = {"portal_link", "esign", "payment", "results_return", "power", "network"}
OTP_KEYS = {"p50_ms", "p95_ms", "failure_ratio", "sent_total", "failed_total"}
SYNC_KEYS = {"lag_seconds", "unsynced", "synced_total"}
DOSSIER_KEYS = {
    "received_total",
    "online_total",
    "resolved_total",
    "resolved_on_time_total",
    "resolved_late_total",
    "returned_total",
    "supplement_requested_total",
    "supplement_multi_total",
    "fee_bearing_total",
    "paid_online_total",
    "digitised_total",
    "e_result_total",
    "complaints_total",
    "resolution_seconds_total",
    "open",
    "overdue",
    "by_procedure",
}
COUNTERS = [k for k in DOSSIER_KEYS if k.endswith("_total")]


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> float:
    return datetime(y, mo, d, h, mi, s, tzinfo=ICT).timestamp()


@pytest.fixture(scope="module")
def model() -> FleetModel:
    return FleetModel(NATIONAL, seed=7)


def check_invariants(doc: dict) -> None:
    assert set(doc) == DOC_KEYS
    assert set(doc["system"]) == SYSTEM_KEYS
    assert set(doc["system"]["components"]) == COMPONENT_KEYS
    assert doc["system"]["status"] in ("up", "degraded", "down")
    assert set(doc["otp"]) == OTP_KEYS and set(doc["sync"]) == SYNC_KEYS
    d = doc["dossiers"]
    assert set(d) == DOSSIER_KEYS
    assert set(d["by_procedure"]) == set(PROCEDURES)
    for key in DOSSIER_KEYS - {"by_procedure"}:
        assert isinstance(d[key], int) and d[key] >= 0, key
    assert d["resolved_on_time_total"] + d["resolved_late_total"] == d["resolved_total"]
    assert d["online_total"] <= d["received_total"]
    assert d["paid_online_total"] <= d["fee_bearing_total"] <= d["received_total"]
    assert d["supplement_multi_total"] <= d["supplement_requested_total"]
    assert d["overdue"] <= d["open"]
    assert sum(p["received_total"] for p in d["by_procedure"].values()) == d["received_total"]
    assert sum(p["resolved_total"] for p in d["by_procedure"].values()) == d["resolved_total"]
    otp, sync = doc["otp"], doc["sync"]
    assert 0 <= otp["failure_ratio"] <= METRICS["otp_failure_ratio"].maximum
    assert 0 < otp["p50_ms"] <= otp["p95_ms"] <= METRICS["otp_p95_seconds"].maximum * 1000
    assert 0 <= otp["failed_total"] <= otp["sent_total"]
    assert sync["synced_total"] + sync["unsynced"] == d["received_total"]
    assert 0 <= sync["lag_seconds"] <= METRICS["sync_lag_seconds"].maximum


def test_model_gives_the_same_document_when_built_again_in_another_order(model):
    other = FleetModel(list(reversed(HUE)), seed=7)
    for cid in (WARD, "19867"):
        for t in (MONDAY_10H, MONDAY_10H + 3 * 3600 + 17, MONDAY_10H - 6 * 86400):
            assert other.document(cid, t) == model.document(cid, t)


def test_model_differs_when_the_seed_differs(model):
    other = FleetModel(HUE, seed=8)
    assert (
        other.document(WARD, MONDAY_10H)["dossiers"] != model.document(WARD, MONDAY_10H)["dossiers"]
    )


def test_model_documents_hold_every_invariant_when_sampled_across_the_fleet(model):
    centres = NATIONAL[::37]  # ~90 centres of every kind and province
    for c in centres:
        for step in range(0, 3 * 86400, 4999):  # three days, odd step to hit all hours
            check_invariants(model.document(c.id, MONDAY_10H + step))


def test_model_counters_never_fall_within_a_local_day(model):
    for cid in (WARD, "19867", "46", NATIONAL[5].id):
        prev = None
        for t in range(int(local(2026, 11, 24)), int(local(2026, 11, 25)), 97):
            doc = model.document(cid, t)
            cur = [doc["dossiers"][k] for k in COUNTERS] + [
                doc["otp"]["sent_total"],
                doc["otp"]["failed_total"],
                doc["sync"]["synced_total"],
            ]
            if prev is not None:
                assert all(a <= b for a, b in zip(prev, cur, strict=True)), (cid, t)
            prev = cur


def test_model_counters_restart_when_local_midnight_passes(model):
    before = model.document(WARD, local(2026, 11, 24, 23, 59, 59))["dossiers"]
    after = model.document(WARD, local(2026, 11, 25, 0, 0, 0))["dossiers"]
    assert before["received_total"] > 50
    assert after["received_total"] == after["resolved_total"] == 0


def test_model_receives_in_person_dossiers_only_when_the_centre_is_open(model):
    for cid in (WARD, "19867", "46"):

        def in_person(t: float, cid: str = cid) -> int:
            d = model.document(cid, t)["dossiers"]
            return d["received_total"] - d["online_total"]

        assert in_person(local(2026, 11, 24, 7, 29)) == 0  # before 07:30
        assert in_person(local(2026, 11, 24, 11, 30)) == in_person(local(2026, 11, 24, 13, 30))
        assert in_person(local(2026, 11, 24, 17, 0)) == in_person(local(2026, 11, 24, 23, 59))
        assert in_person(local(2026, 11, 29, 23, 59)) == 0  # a Sunday
        assert in_person(local(2026, 11, 24, 17, 0)) > in_person(local(2026, 11, 24, 9, 0))


def test_model_scales_dossiers_when_the_centre_is_bigger():
    by_kind: dict[str, list[float]] = {}
    for c in NATIONAL:
        by_kind.setdefault(c.kind, []).append(make_profile(7, c).monthly)
    mean = {k: sum(v) / len(v) for k, v in by_kind.items()}
    assert mean[KIND_PROVINCIAL] > mean["phường"] > mean["xã"]
    assert max(by_kind["phường"]) <= 5000 and min(by_kind["xã"]) >= 150


def test_model_month_of_a_ward_matches_its_size_when_summed_day_by_day(model):
    monthly = model.profiles[WARD].monthly
    total = sum(
        model.document(WARD, local(2026, 11, 1, 23, 59, 59) + d * 86400)["dossiers"][
            "received_total"
        ]
        for d in range(30)
    )
    assert 0.8 * monthly < total < 1.4 * monthly  # online filings on weekends add a little


def test_model_otp_is_slower_when_it_is_peak_hour(model):
    def mean_p95(h: int) -> float:
        return sum(
            model.document(c.id, local(2026, 11, 24, h))["otp"]["p95_ms"] for c in HUE
        ) / len(HUE)

    assert mean_p95(9) > 1.3 * mean_p95(3)


def test_model_reachable_matches_the_document_when_sampled(model):
    rural = [c for c in NATIONAL if c.kind == "xã"][:800]
    unreachable = 0
    for c in rural:
        for h in (9, 11, 15, 18):
            t = local(2026, 11, 24, h)
            doc = model.document(c.id, t)
            cut = (
                doc["system"]["components"]["power"] == "cut"
                or doc["system"]["components"]["network"] == "down"
            )
            assert model.reachable(c.id, t) is not cut
            if cut:
                unreachable += 1
                assert doc["system"]["status"] == "down"
    assert 0 < unreachable < 0.02 * len(rural) * 4  # rare, but it happens


def test_model_keeps_most_centres_healthy_when_sampled_at_a_working_moment(model):
    statuses = [model.document(c.id, MONDAY_10H)["system"]["status"] for c in NATIONAL[::5]]
    assert statuses.count("up") > 0.85 * len(statuses)
    assert 0 < statuses.count("degraded") < 0.15 * len(statuses)


def test_model_has_only_injected_faults_when_natural_faults_are_off():
    quiet = FleetModel(NATIONAL[::5], seed=7, natural_faults=False)
    statuses = [quiet.document(c.id, MONDAY_10H)["system"]["status"] for c in NATIONAL[::5]]
    assert set(statuses) == {"up"}
    assert all(quiet.reachable(c.id, MONDAY_10H + h * 3600) for c in NATIONAL[::5]
               for h in range(-3, 7))
    doc = quiet.document(NATIONAL[0].id, MONDAY_10H, frozenset({"soft_down"}))
    assert doc["system"]["status"] == "down"


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("soft_down", lambda d: d["system"]["status"] == "down" and d["system"]["message"]),
        ("otp_spike", lambda d: d["otp"]["p95_ms"] >= 40_000 and d["otp"]["failure_ratio"] >= 0.35),
        (
            "power_cut",
            lambda d: (
                d["system"]["components"]["power"] == "battery" and d["system"]["status"] != "up"
            ),
        ),
    ],
)
def test_model_document_shows_the_fault_when_one_is_injected(model, fault, check):
    doc = model.document(WARD, MONDAY_10H, frozenset({fault}))
    assert check(doc)
    check_invariants(doc)


def test_model_sync_lag_grows_when_sync_has_stalled_for_an_hour(model):
    t = MONDAY_10H + 3600
    healthy = model.document(WARD, t)["sync"]
    stalled = model.document(
        WARD, t, frozenset({"stalled_sync"}), {"stalled_sync": {"since": MONDAY_10H}}
    )["sync"]
    assert stalled["lag_seconds"] >= 3600 > healthy["lag_seconds"]
    assert stalled["unsynced"] > healthy["unsynced"]
    assert stalled["synced_total"] <= healthy["synced_total"]


def test_model_rejects_a_fault_when_its_name_is_unknown(model):
    with pytest.raises(ValueError, match="unknown fault"):
        model.document(WARD, MONDAY_10H, frozenset({"meteor"}))


def test_exposition_parses_with_catalogue_names_when_rendered(model):
    doc = model.document(WARD, MONDAY_10H)
    families = {f.name: f for f in text_string_to_metric_families(exposition(doc).decode())}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("pvhcc_system_state", ())] == 2.0 or doc["system"]["status"] != "up"
    assert samples[("pvhcc_dossiers_received_total", ())] == doc["dossiers"]["received_total"]
    assert math.isclose(samples[("pvhcc_otp_p95_seconds", ())], doc["otp"]["p95_ms"] / 1000)
    assert samples[("pvhcc_component_state", (("component", "esign"),))] in (0.0, 1.0, 2.0)
    key = ("pvhcc_dossiers_received_by_procedure_total", (("procedure", "certified_copy"),))
    assert samples[key] == doc["dossiers"]["by_procedure"]["certified_copy"]["received_total"]
    catalogue = {f"pvhcc_{m}" for m in METRICS if not m.startswith("component_")}
    named = {s[0] for s in samples} - {"pvhcc_component_state"}
    assert named <= catalogue


def test_family_body_keeps_only_one_family_when_asked():
    doc = FleetModel(HUE, 7).document(WARD, MONDAY_10H)
    assert set(json.loads(family_body(doc, "otp"))) == {"centre", "time", "otp"}
    with pytest.raises(KeyError):
        family_body(doc, "weather")
