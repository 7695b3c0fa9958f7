"""The `hue-first-week` scenario: its allocation rules and the model's plan holding them."""

from __future__ import annotations

from datetime import datetime

import pytest

from collectors.simulator.model import FleetModel
from collectors.simulator.scenario import (
    HUONG_AN,
    PHU_XUAN,
    QUANG_DIEN,
    TZ,
    allocate,
    hue_first_week,
    largest_remainder,
    size_scores,
)
from config.registry import fleet

CENTRES = fleet("hue")
NAMES = {c.id: c.name for c in CENTRES}
DAY_END = [datetime(2025, 7, d, 23, 59, 59, tzinfo=TZ).timestamp() for d in (1, 2)]
REPORTED = datetime(2025, 7, 3, 10, 0, tzinfo=TZ).timestamp()


def test_largest_remainder_splits_exactly_in_proportion():
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(7, [0.8, 1.0, 0.4]) == [3, 3, 1]
    assert sum(largest_remainder(1283, [3.7, 0.2, 9.1, 1e-3])) == 1283
    with pytest.raises(ValueError):
        largest_remainder(5, [0, 0])


def test_allocate_keeps_the_pinned_and_everyone_else_below_the_bound():
    weights = {"a": 10.0, "b": 1.0, "c": 1.0, "d": 5.0}
    out = allocate(100, weights, {"a": 40}, below=40)
    assert out["a"] == 40 and sum(out.values()) == 100
    assert all(v < 40 for k, v in out.items() if k != "a")
    # d's share (5/7 of 60 = 43) is over the bound: it is capped, the rest goes to b and c
    assert out["d"] == 39 and out["b"] + out["c"] == 21
    with pytest.raises(ValueError):
        allocate(10, {"a": 1.0}, {"a": 11})
    with pytest.raises(ValueError):
        allocate(100, {"a": 1.0, "b": 1.0}, {"a": 5}, below=5)


def test_sizes_follow_the_registry_central_wards_over_mountain_communes():
    scores = size_scores(CENTRES)
    inner = [scores[c] for c in ("19753", "19789", "19774", "19777", "19815")]
    mountain = [scores[c] for c in ("20044", "20050", "20056", "20071", "20101", "20161",
                                    "20179", "20182")]
    assert min(inner) > max(mountain)
    sc = hue_first_week(CENTRES, seed=7)
    assert sc.monthly["19789"] > sc.monthly["20050"] * 5  # Thuận Hóa vs A Lưới 5


@pytest.mark.parametrize("seed", [7, 11])
def test_the_plan_holds_the_reported_totals(seed):
    sc = hue_first_week(CENTRES, seed=seed)
    received = {c: sum(q.received for (cid, _), q in sc.quotas.items() if cid == c)
                for c in NAMES}
    resolved = {c: sum(q.resolved for (cid, _), q in sc.quotas.items() if cid == c)
                for c in NAMES}
    assert sum(received.values()) == 1283 and sum(resolved.values()) == 382
    assert received[PHU_XUAN] == received[QUANG_DIEN] == 151
    assert max(v for c, v in received.items() if c not in (PHU_XUAN, QUANG_DIEN)) < 151
    assert resolved[QUANG_DIEN] == 61 and resolved[HUONG_AN] == 36
    assert max(v for c, v in resolved.items() if c not in (QUANG_DIEN, HUONG_AN)) < 36
    assert all(resolved[c] <= received[c] + sc.initial_open[c] for c in NAMES)


@pytest.fixture(scope="module")
def model():
    return FleetModel(CENTRES, 7, scenario=hue_first_week(CENTRES, seed=7))


def _dossiers(model, cid, t):
    return model.document(cid, t)["dossiers"]


def test_the_model_counts_exactly_the_quotas_by_10_00_on_3_july(model):
    rec = res = 0
    per_centre = {}
    for c in NAMES:
        docs = [_dossiers(model, c, t) for t in (*DAY_END, REPORTED)]
        per_centre[c] = (sum(d["received_total"] for d in docs),
                         sum(d["resolved_total"] for d in docs))
        rec += per_centre[c][0]
        res += per_centre[c][1]
    assert (rec, res) == (1283, 382)
    assert per_centre[PHU_XUAN][0] == per_centre[QUANG_DIEN][0] == 151
    assert per_centre[QUANG_DIEN][1] == 61 and per_centre[HUONG_AN][1] == 36
    # the day goes on after 10:00: more arrive and are resolved by the evening
    evening = datetime(2025, 7, 3, 17, 0, tzinfo=TZ).timestamp()
    assert _dossiers(model, PHU_XUAN, evening)["received_total"] > \
        _dossiers(model, PHU_XUAN, REPORTED)["received_total"]


def test_counters_never_fall_within_a_day_and_the_backlog_carries_over(model):
    for c in (PHU_XUAN, QUANG_DIEN, "20050"):
        for d in (1, 2, 3):
            start = datetime(2025, 7, d, tzinfo=TZ).timestamp()
            docs = [_dossiers(model, c, start + s) for s in range(0, 86_400, 900)]
            for key in ("received_total", "resolved_total", "returned_total"):
                values = [doc[key] for doc in docs]
                assert values == sorted(values), (c, d, key)
        # what 1 July left open is what 2 July starts with (the backlog grows)
        end1 = _dossiers(model, c, DAY_END[0])["open"]
        start2 = _dossiers(model, c, datetime(2025, 7, 2, tzinfo=TZ).timestamp())["open"]
        assert end1 == start2
    assert _dossiers(model, PHU_XUAN, REPORTED)["open"] > 100


def test_the_reported_days_troubles_show_at_10_00_and_nobody_is_cut_off(model):
    docs = {c: model.document(c, REPORTED) for c in NAMES}
    assert all(model.reachable(c, t) for c in NAMES for t in (*DAY_END, REPORTED))
    slow_sync = {c for c, d in docs.items() if d["system"]["components"]["portal_link"] != "ok"}
    assert {"19831", "19930", "20017", "20182"} <= slow_sync  # Phong Dinh, Mỹ Thượng, …
    assert docs["19831"]["sync"]["lag_seconds"] > 3600  # nothing synced since 07:30
    assert docs["19930"]["system"]["components"]["payment"] == "down"  # paper receipts
    # the national portal's overload: OTP p95 above the natural model's at the same moment
    plain = FleetModel(CENTRES, 7)
    slower = sum(docs[c]["otp"]["p95_ms"] > plain.document(c, REPORTED)["otp"]["p95_ms"]
                 for c in NAMES)
    assert slower >= 35


def test_days_outside_the_scenario_are_the_natural_model_with_the_scenario_sizes(model):
    later = datetime(2025, 7, 8, 10, 0, tzinfo=TZ).timestamp()
    plain = FleetModel(CENTRES, 7)
    # same draws for faults (natural again), sizes from the scenario
    assert model.reachable("20050", later) == plain.reachable("20050", later)
    big = _dossiers(model, PHU_XUAN, later)["received_total"]
    small = _dossiers(model, "20050", later)["received_total"]
    assert big > small
