"""Fault injection: request validation names the bad field; the book applies and expires."""

from __future__ import annotations

import pytest

from collectors.simulator.faults import FaultBook, FaultError, parse_request

IDS = {"19753": None, "19774": None, "46": None}
T0 = 1_800_000_000.0


def req(**over: object) -> dict:
    body: dict = {"centres": ["19753"], "fault": "hang", "duration_s": 60}
    body.update(over)
    return body


def test_parse_request_fills_defaults_when_params_are_left_out():
    r = parse_request(req(fault="oversized"), IDS)
    assert r.centres == ("19753",) and r.duration_s == 60.0
    assert r.params == {"bytes": 5_000_000}


def test_parse_request_expands_all_when_centres_is_all():
    assert parse_request(req(centres="all"), IDS).centres == ("19753", "19774", "46")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        (req(colour="red"), "colour"),
        (req(centres=[]), "centres"),
        (req(centres="19753"), "centres"),
        (req(centres=["99999"]), "centres"),
        (req(centres=[19753]), "centres"),
        (req(fault="meteor"), "fault"),
        (req(fault=None), "fault"),
        (req(duration_s=0), "duration_s"),
        (req(duration_s=-5), "duration_s"),
        (req(duration_s=True), "duration_s"),
        (req(duration_s="60"), "duration_s"),
        (req(duration_s=8 * 86400), "duration_s"),
        (req(duration_s=float("nan")), "duration_s"),
        (req(params=[1]), "params"),
        (req(params={"delay_s": 1}), "params.delay_s"),
        (req(fault="slow", params={"delay": 1}), "params.delay"),
        (req(fault="slow", params={"delay_s": -1}), "params.delay_s"),
        (req(fault="http_5xx", params={"status": 404}), "params.status"),
        (req(fault="http_5xx", params={"status": 502.5}), "params.status"),
        (req(fault="oversized", params={"bytes": 10**9}), "params.bytes"),
        (req(fault="otp_spike", params={"failure_ratio": 1.5}), "params.failure_ratio"),
    ],
)
def test_parse_request_names_the_field_when_the_body_is_wrong(body, field):
    with pytest.raises(FaultError) as err:
        parse_request(body, IDS)
    assert err.value.field == field
    assert err.value.to_json()["field"] == field


def test_fault_book_applies_a_fault_only_when_it_is_active():
    book = FaultBook()
    added = book.add(parse_request(req(centres=["19753", "46"]), IDS), T0)
    assert [f.centre_id for f in added] == ["19753", "46"]
    assert book.effect("19753", T0 + 1).hang
    assert book.effect("19774", T0 + 1) is None
    assert book.effect("19753", T0 + 60) is None  # expired by itself
    assert book.active(T0 + 60) == [] and not book  # expired faults are dropped


def test_fault_book_combines_faults_when_a_centre_has_several():
    book = FaultBook()
    book.add(parse_request(req(fault="slow", params={"delay_s": 2}), IDS), T0)
    book.add(parse_request(req(fault="http_5xx", params={"status": 502}), IDS), T0)
    book.add(parse_request(req(fault="stalled_sync"), IDS), T0 + 5)
    e = book.effect("19753", T0 + 10)
    assert (e.delay_s, e.status, e.hang) == (2.0, 502, False)
    assert e.document == {"stalled_sync"} and e.detail["stalled_sync"]["since"] == T0 + 5


def test_fault_book_hangs_a_power_cut_centre_when_its_battery_runs_out():
    book = FaultBook()
    book.add(parse_request(req(fault="power_cut", params={"battery_s": 30}), IDS), T0)
    during = book.effect("19753", T0 + 10)
    assert during.document == {"power_cut"} and not during.hang
    assert book.effect("19753", T0 + 31).hang


def test_fault_book_forgets_faults_when_removed_or_cleared():
    book = FaultBook()
    first, second = book.add(
        parse_request(req(centres=["19753", "19774"], fault="refuse"), IDS), T0
    )
    assert book.refused(T0 + 1) == {"19753", "19774"}
    assert book.remove(first.id) and not book.remove(first.id)
    assert book.refused(T0 + 1) == {"19774"}
    assert [f.to_json(T0)["id"] for f in book.active(T0)] == [second.id]
    assert book.clear() == 1 and book.refused(T0 + 1) == set()
