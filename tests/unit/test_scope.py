"""Scopes: parsing, what each covers, and the ids every query is cut to."""

from __future__ import annotations

import polars as pl
import pytest

from config.scope import COMMUNE, NATIONAL, PROVINCE, Scope, commune, national, province

CENTRES = pl.DataFrame({"id": ["19753", "19760", "00004"], "province_code": [46, 46, 1]})


@pytest.mark.parametrize(("text", "kind", "prov", "centre"), [
    ("national", NATIONAL, None, None),
    ("province:46", PROVINCE, 46, None),
    (" province:1 ", PROVINCE, 1, None),
    ("commune:19753", COMMUNE, None, "19753"),
])
def test_scope_parses_each_kind_and_writes_it_back(text, kind, prov, centre):
    scope = Scope.parse(text)
    assert (scope.kind, scope.province, scope.centre) == (kind, prov, centre)
    assert Scope.parse(str(scope)) == scope


@pytest.mark.parametrize("text", ["", "country", "province:", "province:0", "province:460",
                                  "province:x", "commune:", "commune:a b", "national:1",
                                  "commune:" + "1" * 17])
def test_scope_refuses_bad_text_quoting_it(text):
    with pytest.raises(ValueError, match="scope"):
        Scope.parse(text)


def test_scope_query_ids_are_none_nationally_and_the_scopes_centres_otherwise():
    assert national().query_ids(CENTRES) is None
    assert province(46).query_ids(CENTRES) == ["19753", "19760"]
    assert commune("19760").query_ids(CENTRES) == ["19760"]
    assert province(2).query_ids(CENTRES) == []  # no centres: every read returns nothing


def test_scope_query_provinces_gives_province_wide_alerts_to_province_staff_only():
    assert national().query_provinces() is None
    assert province(46).query_provinces() == [46]
    assert commune("19753").query_provinces() == []


def test_scope_narrowed_to_a_province_intersects_and_never_widens():
    assert national().query_ids(CENTRES, province=46) == ["19753", "19760"]
    assert national().query_ids(CENTRES, province=1) == ["00004"]
    assert province(46).query_ids(CENTRES, province=46) == ["19753", "19760"]
    assert province(46).query_ids(CENTRES, province=1) == []  # another province: nothing
    assert commune("19760").query_ids(CENTRES, province=46) == ["19760"]
    assert commune("19760").query_ids(CENTRES, province=1) == []
    assert national().query_provinces(province=46) == [46]
    assert province(46).query_provinces(province=46) == [46]
    assert province(46).query_provinces(province=1) == []
    assert commune("19753").query_provinces(province=46) == []


def test_scope_covers_and_filters_rows_of_its_own_province_or_centre():
    alerts = pl.DataFrame({"centre_id": ["19753", None, "00004", None],
                           "province_code": [46, 46, 1, 1]})
    assert province(46).filter_rows(alerts)["province_code"].to_list() == [46, 46]
    assert commune("19753").filter_rows(alerts)["centre_id"].to_list() == ["19753"]
    assert national().filter_rows(alerts).height == 4
    assert province(46).covers("19753", 46) and not province(46).covers("00004", 1)
    assert commune("19753").covers("19753", 46) and not commune("19753").covers(None, 46)


def test_scope_within_orders_commune_inside_province_inside_country():
    assert province(46).within(national())
    assert commune("19753").within(province(46), province_of_centre=46)
    assert not commune("00004").within(province(46), province_of_centre=1)
    assert not province(1).within(province(46))
    assert not national().within(province(46))
