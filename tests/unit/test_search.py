"""Finding a centre by its Vietnamese name, with or without diacritics."""

from __future__ import annotations

import pytest

from dashboard.views.search import Candidate, fold, search

HUE = [Candidate("19753", "Phường Phú Xuân"), Candidate("19813", "Phường Thủy Xuân"),
       Candidate("19885", "Xã Đan Điền"), Candidate("19918", "Xã Phú Hồ"),
       Candidate("19942", "Xã Phú Vang"), Candidate("20137", "Xã Chân Mây - Lăng Cô"),
       Candidate("20044", "Xã A Lưới 2"), Candidate("19777", "Phường Vỹ Dạ")]


@pytest.mark.parametrize(("text", "folded"), [
    ("Phường Phú Xuân", "phuong phu xuan"),
    ("Xã Đan Điền", "xa dan dien"),
    ("ĐẶC KHU  Lý Sơn", "dac khu ly son"),
    ("Chân Mây - Lăng Cô", "chan may lang co"),
    ("  Vỹ   Dạ ", "vy da"),
])
def test_fold_drops_marks_and_maps_d_when_given_vietnamese(text, folded):
    assert fold(text) == folded


def ids(query: str) -> list[str]:
    return [c.id for c in search(HUE, query)]


@pytest.mark.parametrize(("query", "expected"), [
    ("phu xuan", ["19753"]),
    ("Phú Xuân", ["19753"]),
    ("PHU XUAN", ["19753"]),
    ("dan dien", ["19885"]),
    ("đan điền", ["19885"]),
    ("lang co", ["20137"]),
    ("a luoi", ["20044"]),
    ("xuan", ["19753", "19813"]),
    ("1975", ["19753"]),
])
def test_search_finds_centres_when_query_has_or_lacks_diacritics(query, expected):
    assert ids(query) == expected


def test_search_ranks_name_prefix_before_inner_match_when_several_match():
    # "phu" starts Phú Hồ, Phú Vang, Phú Xuân (without their prefix): they come first, by name.
    assert ids("phu") == ["19918", "19942", "19753"]  # not every "Phường"


def test_search_requires_every_word_when_query_has_several():
    assert ids("phu dien") == []
    assert ids("xa phu") == ["19918", "19942"]


@pytest.mark.parametrize("query", ["", "   ", "-"])
def test_search_matches_nothing_when_query_is_empty(query):
    assert search(HUE, query) == []


def test_search_stops_at_limit_when_many_match():
    assert len(search(HUE, "x", limit=2)) == 2
