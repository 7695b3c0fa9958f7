"""Time-weighted availability (metrics/availability.py): time up, down and unknown."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from metrics import availability as av

T0 = datetime(2025, 7, 2, 3, 0, tzinfo=UTC)
DAY = 86_400.0
HOLD = 30.0  # two 15 s poll intervals


def polls(rows: list[tuple]) -> pl.DataFrame:
    """(centre, seconds after T0, ok[, reason]) → a polls frame with datetime ts."""
    full = [(c, T0 + timedelta(seconds=s), ok, r[0] if r else None) for c, s, ok, *r in rows]
    return pl.DataFrame(full, schema={"centre_id": pl.String, "ts": pl.Datetime("ms", "UTC"),
                                      "ok": pl.Boolean, "reason": pl.String}, orient="row")


def every_15s(centre: str, seconds: float, down: range = range(0)) -> list[tuple]:
    """A poll every 15 s for `seconds` from T0; the polls at the seconds in `down` fail."""
    return [(centre, s, s not in down, None if s not in down else "timeout")
            for s in range(0, int(seconds), 15)]


def one(frame: pl.DataFrame, centre: str = "A") -> dict:
    return frame.filter(pl.col("centre_id") == centre).row(0, named=True)


def figure(rows: list[tuple], seconds: float = DAY, **kw) -> dict:
    return one(av.time_weighted(polls(rows), T0, T0 + timedelta(seconds=seconds), HOLD, **kw))


def test_an_eight_minute_outage_in_a_day_of_15_s_polls_is_99_44_percent():
    outage = range(36_000, 36_000 + 480)
    got = figure(every_15s("A", DAY, outage))
    assert got["down_s"] == 480
    assert got["up_s"] == DAY - 480
    assert got["unknown_s"] == 0
    assert round(got["availability"] * 100, 2) == 99.44


def test_a_re_probe_0_2_s_after_a_failure_does_not_double_the_failure():
    rows = every_15s("A", 3600, range(600, 601))
    reprobe = ("A", 600.2, False, "timeout")
    with_reprobe = figure([*rows, reprobe], 3600)
    assert with_reprobe["down_s"] == 15  # 0.2 s for the first failure, 14.8 s for its re-probe
    assert with_reprobe == figure(rows, 3600)


def test_a_re_probe_that_answers_ends_the_failure_at_once():
    rows = [*every_15s("A", 3600, range(600, 601)), ("A", 600.2, True)]
    got = figure(rows, 3600)
    assert got["down_s"] == pytest.approx(0.2)
    assert got["up_s"] == pytest.approx(3600 - 0.2)


def test_a_gap_is_unknown_neither_up_nor_down():
    # Polls stop for an hour at 10:00 and resume: the last poll holds HOLD seconds only.
    rows = [r for r in every_15s("A", 3 * 3600) if not 3600 <= r[1] < 7200]
    got = figure(rows, 3 * 3600)
    assert got["down_s"] == 0
    assert got["unknown_s"] == 3600 - (HOLD - 15)
    assert got["up_s"] == 2 * 3600 + (HOLD - 15)
    assert got["availability"] == 1.0


def test_a_gap_inside_an_outage_keeps_the_known_down_time_only():
    down_then_gap = [("A", s, False, "refused") for s in range(0, 600, 15)]
    got = figure(down_then_gap, 3600)
    assert got["down_s"] == 600 - 15 + HOLD
    assert got["up_s"] == 0
    assert got["unknown_s"] == 3600 - got["down_s"]
    assert got["availability"] == 0.0


def test_soft_down_counts_as_down():
    rows = every_15s("A", 3600)
    reports = pl.DataFrame({
        "centre_id": ["A"] * 240,
        "ts": [T0 + timedelta(seconds=s) for s in range(0, 3600, 15)],
        "value": [0.0 if 1800 <= s < 2400 else 2.0 for s in range(0, 3600, 15)],
    })
    got = figure(rows, 3600, system_state=reports)
    assert got["down_s"] == 600
    assert got["availability"] == pytest.approx(3000 / 3600)


def test_a_degraded_system_is_up():
    reports = pl.DataFrame({"centre_id": ["A"], "ts": [T0], "value": [1.0]})
    assert figure(every_15s("A", 3600), 3600, system_state=reports)["availability"] == 1.0


def test_skipped_polls_are_unknown_not_down():
    rows = [("A", s, s < 1800, None if s < 1800 else "skipped") for s in range(0, 3600, 15)]
    got = figure(rows, 3600)
    assert got["down_s"] == 0
    assert got["up_s"] == 1800
    assert got["unknown_s"] == 1800
    assert got["availability"] == 1.0


def test_a_centre_without_polls_has_no_availability():
    got = av.time_weighted(polls(every_15s("A", 600)), T0, T0 + timedelta(hours=1), HOLD,
                           centre_ids=["A", "B"])
    b = one(got, "B")
    assert b["availability"] is None
    assert (b["up_s"], b["down_s"], b["unknown_s"]) == (0, 0, 3600)


def test_a_poll_just_before_the_window_holds_into_it_and_one_after_counts_nothing():
    rows = [("A", -10, False, "timeout"), ("A", 3590, True), ("A", 3605, False, "timeout")]
    got = figure(rows, 3600)
    assert got["down_s"] == HOLD - 10
    assert got["up_s"] == 10  # cut by the window's end
    assert got["unknown_s"] == 3600 - 30


def test_chunks_add_up_to_the_whole_window():
    rows = every_15s("A", DAY, range(5000, 9000))
    rows += [r for r in every_15s("B", DAY, range(40_000, 40_100)) if r[1] % 3600 < 3000]
    rows += [("A", 6000.2, False, "timeout"), ("B", 50_000, False, "skipped")]
    frame = polls(rows)
    start, end = T0 + timedelta(seconds=437.5), T0 + timedelta(seconds=DAY - 123.4)
    cut = av.settled_cut(end, timedelta(minutes=5), HOLD)
    pieces = av.chunks(start, end, cut)
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(p[1] == q[0] for p, q in itertools.pairwise(pieces))
    assert any(b - a == timedelta(hours=1) for a, b, _ in pieces)
    states = av.poll_states(frame)
    summed = av.summarise([av.state_seconds(states, a, b, HOLD) for a, b, _ in pieces],
                          (end - start).total_seconds())
    whole = av.time_weighted(frame, start, end, HOLD)
    for column in ("up_s", "down_s", "unknown_s", "availability"):
        assert summed[column].to_list() == pytest.approx(whole[column].to_list())


@pytest.mark.parametrize(("start", "cut", "end", "expected"), [
    # An unaligned start: its rest of 5 minutes apart, then 5-minute buckets to the hour,
    # whole hours, 5-minute buckets to the cut, and the rest not settled.
    ("02:58:10", "05:10", "05:30:05",
     [("02:58:10", "03:00", False), ("03:00", "04:00", True), ("04:00", "05:00", True),
      ("05:00", "05:05", True), ("05:05", "05:10", True), ("05:10", "05:30:05", False)]),
    ("03:00", "03:00", "03:20", [("03:00", "03:20", False)]),
    ("03:01", "02:00", "03:20", [("03:01", "03:20", False)]),
    ("02:55", "03:05", "03:20",
     [("02:55", "03:00", True), ("03:00", "03:05", True), ("03:05", "03:20", False)]),
])
def test_chunks_are_settled_hours_and_5_minute_buckets_before_the_cut(start, cut, end,
                                                                      expected):
    def at(text: str) -> datetime:
        return datetime.fromisoformat(f"2025-07-02T{text}").replace(tzinfo=UTC)

    got = av.chunks(at(start), at(end), at(cut))
    assert got == [(at(a), at(b), s) for a, b, s in expected]


def test_settled_cut_leaves_the_late_writes_and_the_hold_unsettled():
    newest = datetime(2025, 7, 2, 3, 17, 40, tzinfo=UTC)
    assert av.settled_cut(newest, timedelta(minutes=5), 60) == datetime(
        2025, 7, 2, 3, 5, tzinfo=UTC)


def test_hold_must_be_positive():
    with pytest.raises(ValueError, match="hold_s"):
        av.state_seconds(av.poll_states(polls(every_15s("A", 60))), T0,
                         T0 + timedelta(minutes=1), 0)
