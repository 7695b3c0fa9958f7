"""The alerts page's history in SQL (`alerts_read.history_page` and its aggregates), on SQLite
and PostgreSQL: the same rows, order, counts and recovery times as the polars views
(`alert_stats`) over every alert of the period, page by page, and never outside a scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from metrics.alerts import read as alerts_read
from metrics.alerts import stats as alert_stats
from metrics.alerts.read import HistoryFilter
from tests.conftest import hue_centres
from tests.fixtures.access import OTHER_PROVINCE, other_province_centres
from tests.fixtures.alert_rows import add_alert

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
START = NOW - timedelta(hours=24)
SEVERITIES = ("critical", "warning", "info", "notice")  # "notice": one the page does not know
RULES = ("centre_down", "sync_lag", "otp_slow")


@pytest.fixture
def history(store):
    """Two provinces' alerts: every severity, rule and state, acknowledged ones, equal start
    times (ties in the board order), province-wide ones, 1–4 recoveries per centre, and
    alerts outside the period on both sides. Returns (ids of province 46, of the other)."""
    ours, theirs = hue_centres()[:5], other_province_centres(3)
    store.sync_centres(ours + theirs)
    for i, c in enumerate(ours + theirs):
        for k in range(1 + i % 4):  # 1..4 alerts that fired and resolved
            add_alert(store, centre_id=c.id, province_code=c.province_code,
                      severity=SEVERITIES[(i + k) % 4], state="resolved",
                      rule=RULES[(i + k) % 3], start=NOW - timedelta(hours=10 + k),
                      fired_after=timedelta(minutes=1 + i % 2),
                      resolved_after=timedelta(minutes=5 + 7 * k + i))
        add_alert(store, centre_id=c.id, province_code=c.province_code,
                  severity=SEVERITIES[i % 2], state="firing", rule=RULES[i % 3],
                  start=NOW - timedelta(hours=2), acked_by="Lan" if i % 3 == 0 else None)
        add_alert(store, centre_id=c.id, province_code=c.province_code, severity="warning",
                  state="pending", rule="sync_lag", start=NOW - timedelta(minutes=3),
                  fired_after=None)
        # Outside the period: resolved before it began, started after it ended.
        add_alert(store, centre_id=c.id, province_code=c.province_code, severity="critical",
                  state="resolved", start=START - timedelta(hours=3),
                  resolved_after=timedelta(hours=1))
        add_alert(store, centre_id=c.id, province_code=c.province_code, severity="critical",
                  state="firing", start=NOW + timedelta(minutes=5))
    for code in (46, OTHER_PROVINCE):
        add_alert(store, centre_id=None, province_code=code, severity="warning",
                  state="firing", rule="province_sync", start=NOW - timedelta(hours=2))
    return [c.id for c in ours], [c.id for c in theirs]


def reference(store, scope: dict, chosen: HistoryFilter | None = None):
    """What the page showed before: every alert of the period in board order, filtered."""
    chosen = chosen or HistoryFilter()
    found = alerts_read.alerts(store, START, NOW, **scope)
    shown = alert_stats.filter_history(
        alert_stats.board(found, NOW), severities=list(chosen.severities or []),
        rules=list(chosen.rules or []), centre_ids=list(chosen.centres or []),
        states=list(chosen.states or []))
    return found, shown


def all_pages(store, scope: dict, chosen: HistoryFilter, rows: int) -> list[list[int]]:
    pages, offset = [], 0
    while page := alerts_read.history_page(store, START, NOW, limit=rows, offset=offset,
                                           chosen=chosen, **scope)["id"].to_list():
        pages.append(page)
        offset += rows
    return pages


SCOPES = {"national": {}, "province": "ours", "commune": "first"}
FILTERS = [
    HistoryFilter(),
    HistoryFilter(severities=("critical",)),
    HistoryFilter(states=("resolved",), rules=("centre_down", "otp_slow")),
    HistoryFilter(severities=("warning", "notice"), states=("firing", "pending")),
    HistoryFilter(centres=("19753",)),
]


def scope_of(kind: str, ours: list[str]) -> dict:
    if kind == "province":
        return {"centre_ids": ours, "provinces": [46]}
    if kind == "commune":
        return {"centre_ids": ours[:1], "provinces": []}
    return {}


@pytest.mark.parametrize("kind", list(SCOPES))
def test_history_pages_hold_the_filtered_alerts_in_board_order(store, history, kind):
    scope = scope_of(kind, history[0])
    seen = alerts_read.overview(store, START, NOW, **scope)
    for chosen in FILTERS:
        _, shown = reference(store, scope, chosen)
        expected = shown["id"].to_list()
        pages = all_pages(store, scope, chosen, rows=4)
        assert [i for page in pages for i in page] == expected, chosen
        assert all(len(p) == 4 for p in pages[:-1]) and (not pages or 1 <= len(pages[-1]) <= 4)
        assert seen.matching(chosen) == len(expected), chosen  # the count paged through
    assert seen.matching(HistoryFilter()) == reference(store, scope)[0].height > 0


def test_history_page_boundaries(store, history):
    _, shown = reference(store, {})
    ids = shown["id"].to_list()
    n = len(ids)
    page = alerts_read.history_page(store, START, NOW, limit=n - 1, offset=1)
    assert page["id"].to_list() == ids[1:]
    assert alerts_read.history_page(store, START, NOW, limit=5, offset=n - 2).height == 2
    assert alerts_read.history_page(store, START, NOW, limit=5, offset=n).is_empty()
    assert alerts_read.history_page(store, START, NOW, limit=5, offset=n + 50).is_empty()
    whole = alerts_read.history_page(store, START, NOW, limit=n + 10)
    assert whole.schema == alerts_read.alerts(store, START, NOW).schema
    assert whole["id"].to_list() == ids
    # the period decides: a window with nothing alive in it is empty, with a count of 0
    early = NOW - timedelta(days=30)
    assert alerts_read.history_page(store, early, early + timedelta(hours=1),
                                    limit=10).is_empty()
    empty = alerts_read.overview(store, early, early + timedelta(hours=1))
    assert empty.matching(HistoryFilter()) == 0 and empty.groups.is_empty()


@pytest.mark.parametrize("kind", list(SCOPES))
def test_counts_choices_and_time_to_recover_match_the_polars_views(store, history, kind):
    scope = scope_of(kind, history[0])
    found, board = reference(store, scope)
    lists = alert_stats.split(board)
    seen = alerts_read.overview(store, START, NOW, **scope)
    assert seen.counts == {k: v.height for k, v in lists.items()}
    assert seen.counts["acknowledged"] and seen.counts["active"] and seen.counts["resolved"]
    assert seen.severities == sorted(set(found["severity"]),  # most severe first
                                     key=lambda s: (alert_stats.SEVERITY_ORDER.get(s, 9), s))
    assert seen.severities[:3] == ["critical", "warning", "info"] or kind == "commune"
    assert seen.rules == sorted(set(found["rule"]))
    assert seen.centre_ids == sorted(set(found["centre_id"].drop_nulls()))
    got = alerts_read.time_to_recover(store, START, NOW, **scope)
    assert got.equals(alert_stats.time_to_recover(found))
    if kind == "national":  # medians of 1, 2, 3 and 4 recoveries (odd and even counts)
        assert set(got["recovered"]) == {1, 2, 3, 4}


def test_history_never_leaves_the_scope_whatever_is_chosen(store, history):
    ours, theirs = history
    province46 = {"centre_ids": ours, "provinces": [46]}
    # choosing another province's centre narrows to nothing, never widens
    chosen = HistoryFilter(centres=(theirs[0],))
    assert alerts_read.history_page(store, START, NOW, limit=50, chosen=chosen,
                                    **province46).is_empty()
    assert alerts_read.overview(store, START, NOW, **province46).matching(chosen) == 0
    page = alerts_read.history_page(store, START, NOW, limit=500, **province46)
    assert set(page["province_code"]) == {46}
    assert set(page["centre_id"].drop_nulls()) <= set(ours)
    assert None in set(page["centre_id"])  # the province's own province-wide alert
    assert set(alerts_read.overview(store, START, NOW, **province46).centre_ids) <= set(ours)
    assert set(alerts_read.time_to_recover(store, START, NOW, **province46)["centre_id"]) \
        <= set(ours)
    officer = {"centre_ids": ours[:1], "provinces": []}
    page = alerts_read.history_page(store, START, NOW, limit=500, **officer)
    assert set(page["centre_id"]) == {ours[0]}
    nobody = {"centre_ids": [], "provinces": []}
    assert alerts_read.history_page(store, START, NOW, limit=500, **nobody).is_empty()
    none = alerts_read.overview(store, START, NOW, **nobody)
    assert none.counts == {"active": 0, "acknowledged": 0, "resolved": 0}
    assert (none.severities, none.rules, none.centre_ids) == ([], [], [])
    assert alerts_read.time_to_recover(store, START, NOW, **nobody).is_empty()
