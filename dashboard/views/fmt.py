"""Numbers, dates, times and durations as people read them, in Vietnamese or English.

Vietnamese writes 1.283 (dot for thousands), 12,5 % (decimal comma, a space
before %; `number`, `percent` and `DASH` are metrics.numbers', the product's one
number writer), dates as dd/mm/yyyy and 24-hour HH:MM. Times shown to people are in
the deployment's time zone (Asia/Ho_Chi_Minh by default, UTC+7 all year).
Pure functions: the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from metrics.numbers import DASH, number, percent

LOCAL_TZ = "Asia/Ho_Chi_Minh"

_UNITS = {
    "vi": {"s": "giây", "min": "phút", "h": "giờ", "d": "ngày", "ago": "{} trước",
           "now": "vừa xong"},
    "en": {"s": "s", "min": "min", "h": "h", "d": "d", "ago": "{} ago", "now": "just now"},
}


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


def duration(seconds: float | None, lang: str = "vi", parts: int = 2) -> str:
    """A span in its `parts` largest units (rounded down): 45 giây, 2 phút 20 giây, 3 giờ,
    2 ngày 4 giờ; with parts=1 (a wall tile), 2 phút, 2 ngày."""
    if seconds is None:
        return DASH
    u = _UNITS[lang]
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} {u['s']}"
    found: list[tuple[int, str]] = []
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, total = divmod(total, size)
        if count or found:
            found.append((count, unit))
        if len(found) == parts:
            break
    return " ".join(f"{count} {u[unit]}" for count, unit in found if count)


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


def parse_number(text: str, lang: str = "vi") -> float:
    """A number as a person types it: "1.234,5" or "92,5" (vi), "1,234.5" (en); a plain
    "92.5" is read too. ValueError when `text` is not a number (the caller says where)."""
    raw = text.strip().replace(" ", "").replace("\u00a0", "").rstrip("%")
    group, decimal = (".", ",") if lang == "vi" else (",", ".")
    if lang == "vi" and "," not in raw and raw.count(".") == 1 and \
            len(raw.split(".")[1]) != 3:
        decimal, group = ".", ","  # "92.5": a dot decimal typed out of habit
    if decimal in raw and raw.count(decimal) > 1:
        raise ValueError(f"not a number: {text!r}")
    head, _, tail = raw.partition(decimal)
    if group in head:
        parts = head.split(group)
        if not parts[0] or any(len(p) != 3 for p in parts[1:]):
            raise ValueError(f"not a number: {text!r}")
        head = "".join(parts)
    if group in tail:
        raise ValueError(f"not a number: {text!r}")
    return float(f"{head}.{tail}" if tail else head)


def texts(frame: Any, lang: str, digits: Mapping[str, int],
          percents: Mapping[str, int] | None = None) -> Any:
    """A polars frame for the screen: the columns in `digits` as numbers written for
    `lang` with that many decimals ("1.234,5"), those in `percents` (ratios) as "95,1 %";
    null → "—". Streamlit's tables write numbers only the English way (its formats are
    printf and the browser's locale), so numbers reach them as text; exports keep numbers.

    The texts are written in Python, not by `map_elements`: a Python function run on polars'
    thread pool takes the GIL there, and a concurrent `DataFrame.to_pandas` (Streamlit's,
    for another session) holds the GIL while it waits for that pool: the whole process
    then stops."""
    import polars as pl

    def show(name: str, write: Any) -> Any:
        return pl.Series(name, [DASH if v is None else write(v) for v in frame[name].to_list()],
                         dtype=pl.String)

    return frame.with_columns(
        *(show(n, lambda v, d=d: number(v, lang, d)) for n, d in digits.items()
          if n in frame.columns),
        *(show(n, lambda v, d=d: percent(v, lang, d)) for n, d in (percents or {}).items()
          if n in frame.columns))


def plotly_separators(lang: str) -> str:
    """Plotly's `layout.separators` for `lang`: decimal mark, then thousands mark."""
    return ",." if lang == "vi" else ".,"


# Spreadsheet number formats (Excel codes: "," groups and "." marks decimals in the code;
# Excel shows them with the reader's own separators, 1.234,5 on a Vietnamese system).
XLSX_FORMATS = {"count": "#,##0", "decimal": "#,##0.0", "percent": "0.0%"}


CSV_DELIMITER = {"vi": ";", "en": ","}  # a decimal comma needs another field separator
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(frame: Any, lang: str, digits: Mapping[str, int] | None = None) -> bytes:
    """A polars frame as CSV for a spreadsheet, UTF-8 with a byte-order mark (Excel then
    keeps the diacritics). Vietnamese: fields separated by ";" and numbers with a decimal
    comma and no grouping ("1234,5"), as a Vietnamese-locale Excel reads them back as
    numbers; English: "," and "1234.5". `digits` fixes a numeric column's decimals
    (default: integers as they are, other numbers to 4 places). Text a spreadsheet would
    run as a formula (=, +, -, @ …) is prefixed with '."""
    import csv
    import io

    decimal = "," if lang == "vi" else "."
    numeric = {n for n, t in frame.schema.items() if t.is_numeric()}

    def cell(name: str, value: Any) -> str:
        if value is None:
            return ""
        if name in numeric:
            places = (digits or {}).get(name, 0 if isinstance(value, int) else 4)
            text = f"{value:.{places}f}"
            if places and name not in (digits or {}):
                text = text.rstrip("0").rstrip(".")
            return text.replace(".", decimal)
        text = str(value)
        return "'" + text if text[:1] in _FORMULA else text

    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER.get(lang, ","), lineterminator="\r\n")
    writer.writerow(frame.columns)
    writer.writerows([cell(n, v) for n, v in zip(frame.columns, row, strict=True)]
                     for row in frame.iter_rows())
    return ("\ufeff" + out.getvalue()).encode("utf-8")
