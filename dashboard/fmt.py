"""Numbers, dates, times and durations as people read them, in Vietnamese or English.

Vietnamese writes 1.283 (dot for thousands), 12,5 % (decimal comma, a space
before %), dates as dd/mm/yyyy and 24-hour HH:MM. Times shown to people are in
the deployment's time zone (Asia/Ho_Chi_Minh by default, UTC+7 all year).
Pure functions: the caller passes `now`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = "Asia/Ho_Chi_Minh"
DASH = "—"  # shown for "no data", never 0

_UNITS = {
    "vi": {"s": "giây", "min": "phút", "h": "giờ", "d": "ngày", "ago": "{} trước",
           "now": "vừa xong"},
    "en": {"s": "s", "min": "min", "h": "h", "d": "d", "ago": "{} ago", "now": "just now"},
}


def number(value: float | None, lang: str = "vi", digits: int = 0) -> str:
    """1.283 (vi) or 1,283 (en); `digits` decimals (vi: decimal comma)."""
    if value is None:
        return DASH
    text = f"{value:,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(ratio: float | None, lang: str = "vi", digits: int = 1) -> str:
    """A ratio in [0, 1] as 12,5 % (vi) or 12.5% (en)."""
    if ratio is None:
        return DASH
    text = number(ratio * 100, lang, digits)
    return f"{text} %" if lang == "vi" else f"{text}%"


def local(when: datetime, tz: str = LOCAL_TZ) -> datetime:
    """An aware datetime in the display time zone; a naive one is refused."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return when.astimezone(ZoneInfo(tz))


def date(when: datetime, tz: str = LOCAL_TZ) -> str:
    """dd/mm/yyyy in the display time zone."""
    return local(when, tz).strftime("%d/%m/%Y")


def clock(when: datetime, tz: str = LOCAL_TZ) -> str:
    """HH:MM (24-hour) in the display time zone."""
    return local(when, tz).strftime("%H:%M")


def date_time(when: datetime, tz: str = LOCAL_TZ) -> str:
    """HH:MM dd/mm/yyyy in the display time zone."""
    return f"{clock(when, tz)} {date(when, tz)}"


def local_midnight(now: datetime, tz: str = LOCAL_TZ) -> datetime:
    """The start of `now`'s day in the display time zone (aware, in that zone)."""
    return local(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)


def duration(seconds: float | None, lang: str = "vi") -> str:
    """A span in its two largest units: 45 giây, 2 phút 20 giây, 3 giờ, 2 ngày 4 giờ."""
    if seconds is None:
        return DASH
    u = _UNITS[lang]
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} {u['s']}"
    parts = []
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, total = divmod(total, size)
        if count or parts:
            parts.append((count, unit))
        if len(parts) == 2:
            break
    return " ".join(f"{count} {u[unit]}" for count, unit in parts if count)


def ago(then: datetime, now: datetime, lang: str = "vi") -> str:
    """How long before `now`: "12 giây trước", "5 phút trước" (one unit, rounded down)."""
    u = _UNITS[lang]
    seconds = (now - then) / timedelta(seconds=1)
    if seconds < 1:
        return u["now"]
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            return u["ago"].format(f"{int(seconds // size)} {u[unit]}")
    return u["now"]


def parse_local(text: str, tz: str = LOCAL_TZ) -> datetime:
    """An ISO date-time; without an offset it is read as local time in `tz`.

    ValueError when `text` is not a date-time (the caller says so on the page).
    """
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(tz))
