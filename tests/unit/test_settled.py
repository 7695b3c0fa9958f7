"""When stored history counts as settled (metrics/store/settled.py): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from metrics.store import settled

NEWEST = datetime(2025, 7, 3, 13, 7, 30, tzinfo=UTC)  # newest poll: 20:07:30 in Huế
NEWEST_MS = int(NEWEST.timestamp() * 1000)


def test_a_write_is_late_only_past_late_after_before_the_newest_poll():
    limit = NEWEST_MS - settled.LATE_AFTER_MS
    assert not settled.is_late(NEWEST_MS + 60_000, NEWEST_MS)  # newer: on time
    assert not settled.is_late(limit, NEWEST_MS)
    assert settled.is_late(limit - 1, NEWEST_MS)


def test_nothing_is_late_in_an_empty_store():
    assert not settled.is_late(0, None)


def test_settled_hours_end_twice_late_after_before_the_newest_poll_on_an_hour():
    assert settled.settled_before(NEWEST) == datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
    later = NEWEST.replace(minute=12)  # 20:12: 20:00 is 12 minutes back, more than 2 x 5
    assert settled.settled_before(later) == datetime(2025, 7, 3, 13, 0, tzinfo=UTC)


def test_no_write_on_time_can_land_before_the_settled_hour():
    """A write that is not late holds samples at most LATE_AFTER older than the newest poll
    it saw; a reader's newest is no later, so none of them is before its settled hour."""
    for minute in range(0, 60):
        newest = NEWEST.replace(minute=minute, second=0)
        newest_ms = int(newest.timestamp() * 1000)
        oldest_on_time = newest - settled.LATE_AFTER
        assert not settled.is_late(int(oldest_on_time.timestamp() * 1000), newest_ms)
        assert oldest_on_time >= settled.settled_before(newest) + settled.LATE_AFTER
        assert settled.settled_before(newest) <= newest - timedelta(minutes=10)
