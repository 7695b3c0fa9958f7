"""The resolutions history is kept at (raw, 5-minute, hourly, daily), their bucket widths and
how long each is kept by default; buckets align to local time. Pure: the store's roll-ups and
the pure "today" arithmetic both read them here."""

from __future__ import annotations

from datetime import timedelta

FIVE_MIN_MS = 300_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Buckets align to local time in Asia/Ho_Chi_Minh: a fixed UTC+7 since 1975, no daylight
# saving, so a local day starts at 17:00 UTC. Seven hours are whole hours, so 5-minute and
# hourly buckets are the UTC ones; only days depend on it.
LOCAL_OFFSET_MS = 7 * HOUR_MS
RAW, FIVE_MIN, HOUR, DAY = "raw", "5m", "1h", "1d"
RESOLUTIONS = (RAW, FIVE_MIN, HOUR)  # what "auto" picks from, finest first (never days)
WIDTH_MS = {RAW: 0, FIVE_MIN: FIVE_MIN_MS, HOUR: HOUR_MS, DAY: DAY_MS}
# Resolution selection ("auto"): the finest resolution whose span limit covers the
# requested range, then coarser while the range starts before that resolution's
# retention cut-off. Raw up to 6 h (a 15 s poll gives ≤ 1,440 points per series);
# 5-minute up to 8 days (≤ 2,304 points: a week's chart with room to spare);
# hourly beyond (a year is 8,760 points).
MAX_SPAN: dict[str, timedelta] = {
    RAW: timedelta(hours=6),
    FIVE_MIN: timedelta(days=8),
    HOUR: timedelta.max,
}
DEFAULT_KEEP: dict[str, timedelta] = {
    RAW: timedelta(days=7),
    FIVE_MIN: timedelta(days=90),
    HOUR: timedelta(days=730),
    DAY: timedelta(days=1825),  # config.settings.RetentionSettings
}


def bucket_start(ts: int, width: int) -> int:
    """The start of the bucket of `width` ms that holds `ts` (buckets align to local time,
    `LOCAL_OFFSET_MS`: a day starts at local midnight, an hour on the hour)."""
    return ts - (ts + LOCAL_OFFSET_MS) % width
