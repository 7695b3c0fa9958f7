"""Shard assignment and lease planning (collectors/polling/shard.py): pure, no database."""

from __future__ import annotations

import random

import pytest

from collectors.polling.shard import (
    CLAIM_PREFIX,
    AssignmentError,
    Lease,
    Shard,
    assign,
    cell_count,
    cell_key,
    in_shard,
    parse_provinces,
    parse_shard,
    plan,
    shard_map,
)
from config.registry import fleet

NATIONAL = fleet("national")
HUE = fleet("hue")
NOW = 1_751_500_000_000
IDS_HUE = {c.id for c in HUE}


def test_national_fleet_has_3355_centres():
    assert len(NATIONAL) == 3355


@pytest.mark.parametrize("n", range(1, 9))
def test_static_shards_partition_the_national_fleet_with_no_overlap_and_no_gap(n):
    shards = [in_shard(NATIONAL, Shard(i, n)) for i in range(1, n + 1)]
    ids = [c.id for s in shards for c in s]
    assert len(ids) == len(set(ids)) == len(NATIONAL)
    assert set(ids) == {c.id for c in NATIONAL}
    mean = len(NATIONAL) / n
    assert all(abs(len(s) - mean) <= 34 for s in shards)  # one per province at most


@pytest.mark.parametrize("n", range(1, 9))
def test_cells_partition_the_national_fleet_and_each_shards_home_is_its_static_shard(n):
    homes = [assign(NATIONAL, Shard(i, n)) for i in range(1, n + 1)]
    cells = homes[0].cells
    ids = [cid for members in cells.values() for cid in members]
    assert len(ids) == len(set(ids)) == len(NATIONAL)
    for i, a in enumerate(homes, start=1):
        assert a.cells == cells  # every collector computes the same cells
        assert a.centres_of(a.home) == {c.id for c in in_shard(NATIONAL, Shard(i, n))}
    assert frozenset().union(*(a.home for a in homes)) == cells.keys()


def test_shard_map_is_stable_whatever_the_order_of_the_fleet():
    # Pinned: a change of rule would move centres between running collectors.
    assert [shard_map(HUE, 4)[c] for c in sorted(IDS_HUE)[:6]] == [1, 2, 3, 4, 1, 2]
    shuffled = NATIONAL[:]
    random.Random(766).shuffle(shuffled)
    for n in (2, 3, 8):
        assert shard_map(shuffled, n) == shard_map(NATIONAL, n)


@pytest.mark.parametrize("n", range(1, 9))
def test_every_province_is_balanced_to_one_centre_between_shards(n):
    cells = assign(NATIONAL, Shard(1, n)).cells
    for province in {c.province_code for c in NATIONAL}:
        sizes = [len(cells.get(cell_key(province, i, n), ())) for i in range(1, n + 1)]
        assert max(sizes) - min(sizes) <= 1, (province, sizes)


@pytest.mark.parametrize(("text", "shard"), [("1/1", Shard(1, 1)), ("2/3", Shard(2, 3)),
                                             (" 8/8 ", Shard(8, 8))])
def test_parse_shard_reads_i_of_n(text, shard):
    assert parse_shard(text) == shard


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "a/2", "2", "1/-1", "1/999"])
def test_parse_shard_refuses_bad_text_naming_it(text):
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(text)


def test_parse_provinces_and_assign_refuse_unknown_ones():
    assert parse_provinces("46,1,46") == (1, 46)
    with pytest.raises(ValueError, match="'x'"):
        parse_provinces("46,x")
    with pytest.raises(AssignmentError, match=r"\[1\]"):
        assign(HUE, None, (1,))


def test_cell_keys_carry_their_shard_count():
    assert cell_key(46, 2, 3) == "p46/s2of3"
    assert cell_count("p46/s2of3") == 3
    assert cell_count(CLAIM_PREFIX + "p46/s2of3") is None


def test_province_home_with_shard_is_that_provinces_shard_only():
    a = assign(NATIONAL, Shard(2, 2), (46, 1))
    assert a.home == {"p46/s2of2", "p1/s2of2"}
    hue2 = {c.id for c in in_shard(HUE, Shard(2, 2))}
    assert hue2 <= a.centres_of(a.home)


# --- lease planning -------------------------------------------------------------------

A2 = assign(HUE, Shard(1, 2))  # home p46/s1of2
B2 = assign(HUE, Shard(2, 2))  # home p46/s2of2
C1, C2 = "p46/s1of2", "p46/s2of2"


def live(holder):
    return Lease(holder, NOW + 500)


def dead(holder):
    return Lease(holder, NOW - 1)


def test_plan_takes_home_first_then_free_cells_when_the_table_is_empty():
    p = plan("a", {}, NOW, A2)
    assert p.acquire == (C1, C2) and not p.release and not p.claim and not p.renew


def test_plan_takes_over_an_expired_cell_and_renews_its_own():
    p = plan("a", {C1: live("a"), C2: dead("b")}, NOW, A2)
    assert p.renew == {C1} and p.acquire == (C2,)


def test_plan_leaves_a_live_cell_of_another_collector_alone():
    p = plan("a", {C1: live("a"), C2: live("b")}, NOW, A2)
    assert p.renew == {C1} and p.acquire == () and not p.claim


def test_plan_claims_a_home_cell_held_by_another_and_the_holder_releases_it():
    rows = {C1: live("a"), C2: live("a")}  # a took over b's home while b was away
    pb = plan("b", rows, NOW, B2)
    assert pb.claim == {CLAIM_PREFIX + C2} and pb.acquire == ()
    rows[CLAIM_PREFIX + C2] = live("b")
    pa = plan("a", rows, NOW, A2)
    assert pa.release == {C2} and pa.renew == {C1} and pa.acquire == ()
    del rows[C2]  # a released it; b takes it and drops its claim
    pb = plan("b", rows, NOW, B2)
    assert pb.acquire == (C2,) and pb.drop_claims == {CLAIM_PREFIX + C2} and not pb.claim
    del rows[CLAIM_PREFIX + C2]
    rows[C2] = live("b")
    assert plan("b", rows, NOW, B2) == plan("b", rows, NOW, B2)
    assert plan("b", rows, NOW, B2).renew == {C2}


def test_plan_never_releases_a_home_cell_even_when_claimed():
    rows = {C1: live("a"), CLAIM_PREFIX + C1: live("x")}
    assert plan("a", rows, NOW, A2).release == frozenset()


def test_plan_does_not_grab_a_free_cell_its_home_collector_claims():
    rows = {C1: live("a"), CLAIM_PREFIX + C2: live("b")}
    assert plan("a", rows, NOW, A2).acquire == ()


def test_plan_reports_live_cells_cut_into_another_number_of_shards():
    rows = {"p46/s1of3": live("z"), "p46/s2of3": dead("z")}
    assert plan("a", rows, NOW, A2).foreign == {"p46/s1of3"}


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_collectors_planning_in_turn_end_with_every_cell_held_exactly_once(n):
    """A little simulation of the protocol: collectors apply their plans in turn (the shell
    makes each acquisition atomic); whatever the order, every cell ends with one holder."""
    homes = {f"c{i}": assign(NATIONAL, Shard(i, n)) for i in range(1, n + 1)}
    rows: dict[str, Lease] = {}
    order = list(homes)[::-1]
    for _ in range(4):
        for me in order:
            p = plan(me, rows, NOW, homes[me])
            for k in p.release | p.drop_claims:
                del rows[k]
            for k in p.renew:
                rows[k] = live(me)
            for k in (*p.acquire, *p.claim):
                if k not in rows or rows[k].holder == me or rows[k].expires_at < NOW:
                    rows[k] = live(me)
    cells = homes["c1"].cells
    held = {k: r.holder for k, r in rows.items() if k in cells}
    assert held.keys() == cells.keys()
    assert all(held[k] == me for me, a in homes.items() for k in a.home)  # all back home
