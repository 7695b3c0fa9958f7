"""A poll's detail in the reader's language (pure): the collector's own phrases are worded by
the dashboard; anything else in a detail (a centre's status text, an HTTP code) stays as it
came, shown as text only."""

from __future__ import annotations

from dashboard.i18n import Tr
from metrics.results import TOO_SLOW

PHRASES = {TOO_SLOW: "detail.answer_too_slow"}  # collector phrase → text key


def words(detail: str, tr: Tr) -> str:
    """`detail` with every known collector phrase in `tr`'s language."""
    for phrase, key in PHRASES.items():
        if phrase in detail:
            detail = detail.replace(phrase, tr(key))
    return detail
