"""dashboard.views.fmt: Vietnamese numbers, percentages, dates, times and relative ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.views import fmt

# 03:00 UTC is 10:00 in Huế (UTC+7, no daylight saving time).
BRIEFING = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "lang", "digits", "expected"), [
    (1283, "vi", 0, "1.283"),
    (1283, "en", 0, "1,283"),
    (1_234_567.891, "vi", 2, "1.234.567,89"),
    (382, "vi", 0, "382"),
    (None, "vi", 0, "—"),
])
def test_number_uses_dot_thousands_when_vietnamese(value, lang, digits, expected):
    assert fmt.number(value, lang, digits) == expected


@pytest.mark.parametrize(("ratio", "lang", "expected"), [
    (0.125, "vi", "12,5 %"),
    (0.125, "en", "12.5%"),
    (1.0, "vi", "100,0 %"),
    (None, "vi", "—"),
])
def test_percent_uses_decimal_comma_when_vietnamese(ratio, lang, expected):
    assert fmt.percent(ratio, lang) == expected


def test_date_and_clock_show_local_time_when_given_utc():
    assert fmt.date(BRIEFING) == "03/07/2025"
    assert fmt.clock(BRIEFING) == "10:00"
    assert fmt.date_time(datetime(2025, 7, 2, 17, 5, tzinfo=UTC)) == "00:05 03/07/2025"


def test_local_midnight_is_start_of_local_day_when_utc_date_differs():
    # 20:00 UTC on 2 July is 03:00 on 3 July in Huế: the day began at 17:00 UTC on 2 July.
    midnight = fmt.local_midnight(datetime(2025, 7, 2, 20, 0, tzinfo=UTC))
    assert midnight.astimezone(UTC) == datetime(2025, 7, 2, 17, 0, tzinfo=UTC)


def test_local_refuses_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        fmt.clock(datetime(2025, 7, 3, 10, 0))


@pytest.mark.parametrize(("seconds", "lang", "expected"), [
    (12, "vi", "12 giây trước"),
    (12, "en", "12 s ago"),
    (0.2, "vi", "vừa xong"),
    (5 * 60 + 59, "vi", "5 phút trước"),
    (2 * 3600 + 10, "vi", "2 giờ trước"),
    (3 * 86_400, "vi", "3 ngày trước"),
])
def test_ago_says_how_long_before_now_when_in_the_past(seconds, lang, expected):
    assert fmt.ago(BRIEFING - timedelta(seconds=seconds), BRIEFING, lang) == expected


@pytest.mark.parametrize(("seconds", "lang", "expected"), [
    (45, "vi", "45 giây"),
    (140, "vi", "2 phút 20 giây"),
    (10_800, "vi", "3 giờ"),
    (3 * 3600 + 5 * 60 + 7, "en", "3 h 5 min"),
    (None, "vi", "—"),
])
def test_duration_shows_two_largest_units_when_long(seconds, lang, expected):
    assert fmt.duration(seconds, lang) == expected


def test_parse_local_reads_naive_text_as_local_time_when_no_offset():
    assert fmt.parse_local("2025-07-03T10:00") == BRIEFING
    assert fmt.parse_local("2025-07-03T03:00+00:00") == BRIEFING
    with pytest.raises(ValueError):
        fmt.parse_local("hôm qua")
