"""The wall's playlist: which view to show now (pure; the page passes the clock and alerts).

`?playlist=wall,alerts,province:46&every=30` rotates the views every 30 s.
The rotation is a function of the clock alone (slot = seconds since the epoch
÷ every), so nothing accumulates in a session and every wall showing the same
playlist shows the same view. A view with a critical firing alert stops the
rotation: the first such view in playlist order is held until the alert
resolves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

WALL, ALERTS, PROVINCE = "wall", "alerts", "province"
DEFAULT_EVERY_S = 30.0
MIN_EVERY_S, MAX_EVERY_S = 5.0, 3600.0
_PROVINCE = re.compile(r"^province:(\d{1,2})$")


@dataclass(frozen=True, slots=True)
class View:
    """One playlist item: the whole wall, the alert board, or the wall of one province."""

    kind: str  # WALL | ALERTS | PROVINCE
    province: int | None = None

    @property
    def key(self) -> str:
        return f"{PROVINCE}:{self.province}" if self.kind == PROVINCE else self.kind


def parse(raw: str | None, known_provinces: Sequence[int]) -> list[View]:
    """Views from `?playlist=`; ValueError naming the first bad item (and what is allowed)."""
    if not raw or not raw.strip():
        return []
    views = []
    for item in (part.strip() for part in raw.split(",")):
        if item in (WALL, ALERTS):
            views.append(View(item))
            continue
        match = _PROVINCE.match(item)
        if match and int(match[1]) in known_provinces:
            views.append(View(PROVINCE, int(match[1])))
            continue
        raise ValueError(f"playlist item {item!r}: use wall, alerts or province:<code> "
                         "with an official province code")
    return views


def parse_every(raw: str | None) -> float:
    """Seconds per view from `?every=` (default 30); ValueError outside 5–3600 s."""
    if raw is None or not raw.strip():
        return DEFAULT_EVERY_S
    try:
        every = float(raw)
    except ValueError:
        raise ValueError(f"every={raw!r}: give seconds, e.g. every=30") from None
    if not MIN_EVERY_S <= every <= MAX_EVERY_S:
        raise ValueError(f"every={raw!r}: must be {MIN_EVERY_S:g}–{MAX_EVERY_S:g} seconds")
    return every


@dataclass(frozen=True, slots=True)
class Choice:
    view: View
    index: int  # its position in the playlist
    held: bool  # True: rotation stopped on a view with a critical alert


def choose(views: Sequence[View], now: datetime, every_s: float,
           critical: Callable[[View], bool]) -> Choice:
    """The view to show at `now`: the first with a critical firing alert, else the rotation's."""
    if not views:
        raise ValueError("an empty playlist has no view to show")
    for i, view in enumerate(views):
        if critical(view):
            return Choice(view, i, True)
    index = int(now.timestamp() // every_s) % len(views)
    return Choice(views[index], index, False)
