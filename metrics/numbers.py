"""Numbers as people read them, in Vietnamese or English: 1.283 and 12,5 % (dot for
thousands, decimal comma, a space before %), 1,283 and 12.5%.

The one number writer of the product: the dashboard (`dashboard/views/fmt.py`), the
Decision 766 rule texts (`metrics/kpi_text.py`) and the stored alert summaries
(`metrics/alerts/rules.py`) all write numbers here. Pure.
"""

from __future__ import annotations

DASH = "—"  # shown for "no data", never 0


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
