"""The wall's playlist: which view to show now (pure; the page passes the clock and alerts).

`?playlist=wall,alerts,province:46&every=30` rotates the views every 30 s.
The rotation is a function of the clock alone (slot = seconds since the epoch
÷ every), so nothing accumulates in a session and every wall showing the same
playlist shows the same view. A NEW critical alert that nobody has handled stops
the rotation: the first view in playlist order that shows one is held until the
alert is acknowledged (or silenced), resolves, or has fired for `hold_s` seconds
(`dashboard.playlist_hold_s`) — whichever comes first. Old critical alerts and
handled ones do not stop the room's rotation: the wall still lists them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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
class Critical:
    """The facts about one firing critical alert the stop rule reads (the same on every wall)."""

    province: int | None  # the province it belongs to (None: none in particular)
    firing_since: datetime
    handled: bool  # acknowledged or silenced by a person


@dataclass(frozen=True, slots=True)
class Choice:
    view: View
    index: int  # its position in the playlist
    held: bool  # True: rotation stopped on a view with a new, unhandled critical alert
    held_by: tuple[Critical, ...] = ()  # the alerts holding it (oldest first)
    resumes_at: datetime | None = None  # when the rotation resumes, at the latest


def holding(alerts: Sequence[Critical], now: datetime, hold_s: float) -> list[Critical]:
    """The alerts that stop the rotation at `now`: not handled, and firing for less than
    `hold_s` seconds (an alert whose start lies ahead of `now`, e.g. clock skew, counts as
    new); oldest first."""
    new = [a for a in alerts if not a.handled
           and (now - a.firing_since).total_seconds() < hold_s]
    return sorted(new, key=lambda a: a.firing_since)


def shows(view: View, alert: Critical) -> bool:
    """Whether `view` shows `alert`: the whole wall and the alert board show every alert;
    a province's wall, its own."""
    return view.province is None or view.province == alert.province


def choose(views: Sequence[View], now: datetime, every_s: float,
           alerts: Sequence[Critical] = (), hold_s: float = 300.0) -> Choice:
    """The view to show at `now`: the first that shows an alert `holding` the rotation
    (with those alerts and when it resumes at the latest), else the rotation's."""
    if not views:
        raise ValueError("an empty playlist has no view to show")
    new = holding(alerts, now, hold_s)
    for i, view in enumerate(views):
        held_by = tuple(a for a in new if shows(view, a))
        if held_by:
            last = max(a.firing_since for a in held_by)
            return Choice(view, i, True, held_by, last + timedelta(seconds=hold_s))
    index = int(now.timestamp() // every_s) % len(views)
    return Choice(views[index], index, False)
