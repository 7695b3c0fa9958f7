"""When stored history counts as settled (metrics/settled.py): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from metrics import settled

NOW = datetime(2025, 7, 3, 13, 7, 30, tzinfo=UTC)  # 20:07:30 in Huế
NOW_MS = int(NOW.timestamp() * 1000)


def test_a_write_is_late_only_past_late_after():
    limit = NOW_MS - settled.LATE_AFTER_MS
    assert not settled.is_late(NOW_MS, NOW_MS)
    assert not settled.is_late(limit, NOW_MS)
    assert settled.is_late(limit - 1, NOW_MS)


def test_settled_hours_end_twice_late_after_before_now_on_an_hour():
    assert settled.settled_before(NOW) == datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
    early = NOW.replace(minute=12)  # 20:12: 20:00 is 12 minutes back, more than 2 x 5
    assert settled.settled_before(early) == datetime(2025, 7, 3, 13, 0, tzinfo=UTC)


def test_no_on_time_write_can_land_before_the_settled_hour():
    """A write that is not late holds samples at most LATE_AFTER old, so none before
    `settled_before(now)` while the writer's clock is at or after the reader's."""
    for minute in range(0, 60):
        now = NOW.replace(minute=minute, second=0)
        oldest_on_time = now - settled.LATE_AFTER
        assert oldest_on_time >= settled.settled_before(now) + settled.LATE_AFTER
        assert settled.settled_before(now) <= now - timedelta(minutes=10)
