"""Today's dossiers next to the same moment a week before (pure).

Both sides are the same "today up to a moment" (`metrics.today`, read by
`Store.today_increases`): this week's at `at`, last week's at `week_before(at)`,
the same local clock time on the same weekday. Each side's total is the sum
over the centres that sent the counter (each centre's increase rounded, as
the briefing counts). Last week's side says what it counts:

- MISSING: no centre has a figure for last week (never collected, or no longer
  kept at any resolution that ends by that moment); the figure is None, never 0;
- PARTIAL: some centre has a figure on one side only (e.g. it was not collected
  last week): both figures are shown, their difference is not stated;
- GAP: the collector lost the polls around last week's moment (a collection gap,
  `metrics.store.gaps`, whose lost polls reach it): last week's figure is what was kept before
  the gap; its difference is not stated;
- ROLLUP: every centre on both sides, but only roll-ups are kept for last
  week's moment, so it counts the samples before `then.until` (the start of the
  bucket holding the moment): the difference is stated with that caveat;
- COMPLETE: every centre on both sides, every sample up to the moment;
- NO_TODAY: no figure today (nothing to compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from metrics.resolutions import RAW

COMPARED: dict[str, str] = {
    "received": "dossiers_received_total",
    "resolved": "dossiers_resolved_total",
}
WEEK = timedelta(days=7)
COMPLETE, ROLLUP, GAP, PARTIAL, MISSING, NO_TODAY = ("complete", "rollup", "gap", "partial",
                                                     "missing", "no_today")


def week_before(at: datetime, tz: str) -> datetime:
    """The same local clock time in `tz` on the same weekday a week before `at`
    (wall-clock arithmetic; Asia/Ho_Chi_Minh has no daylight saving time)."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: pass a timezone-aware datetime")
    local = at.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date() - WEEK, local.timetz())


@dataclass(frozen=True)
class Side:
    """One side of the comparison: the totals at `at` and what they count."""

    at: datetime  # the moment asked
    totals: dict[str, int | None]  # COMPARED key → sum over the centres with it; None: none
    centres: frozenset[str]  # the centres with a figure (any COMPARED counter)
    resolution: str  # `metrics.today.Today.resolution`
    until: datetime  # the samples counted are those up to `at` (RAW) or before `until`

    @property
    def exact(self) -> bool:
        return self.resolution == RAW


def side(increases: pl.DataFrame, at: datetime, resolution: str = RAW,
         until: datetime | None = None) -> Side:
    """A side from today's increases per series (centre_id, metric, label, increase:
    `Today.increases`); only the COMPARED counters' unlabelled series count."""
    plain = increases.filter((pl.col("label") == "")
                             & pl.col("metric").is_in(list(COMPARED.values())))
    per_centre = plain.with_columns(pl.col("increase").round().cast(pl.Int64))
    totals: dict[str, int | None] = {}
    for key, metric in COMPARED.items():
        values = per_centre.filter(pl.col("metric") == metric)["increase"]
        totals[key] = int(values.sum()) if values.len() else None
    return Side(at=at, totals=totals, centres=frozenset(plain["centre_id"].to_list()),
                resolution=resolution, until=at if until is None else until)


@dataclass(frozen=True)
class WeekComparison:
    """Today's figures (`now`) next to last week's at the same moment (`then`)."""

    now: Side
    then: Side
    names: dict[str, str]  # centre id → name, for the centres in scope
    then_gaps: tuple[tuple[datetime, datetime], ...] = ()  # lost polls reaching then.at

    @property
    def missing_then(self) -> tuple[str, ...]:
        """Centres with a figure today and none last week (ids, sorted)."""
        return tuple(sorted(self.now.centres - self.then.centres))

    @property
    def missing_now(self) -> tuple[str, ...]:
        """Centres with a figure last week and none today (ids, sorted)."""
        return tuple(sorted(self.then.centres - self.now.centres))

    @property
    def state(self) -> str:
        """COMPLETE, ROLLUP, GAP, PARTIAL, MISSING or NO_TODAY (the module doc)."""
        if not self.now.centres:
            return NO_TODAY
        if not self.then.centres:
            return MISSING
        if self.missing_then or self.missing_now:
            return PARTIAL
        if self.then_gaps:
            return GAP
        return COMPLETE if self.then.exact else ROLLUP

    def change(self, key: str) -> int | None:
        """Today's figure minus last week's; None unless both cover the same centres and
        last week's moment was collected."""
        a, b = self.now.totals[key], self.then.totals[key]
        if self.state not in (COMPLETE, ROLLUP) or a is None or b is None:
            return None
        return a - b

    def ratio(self, key: str) -> float | None:
        """`change` relative to last week's figure; None when that is 0 or unknown."""
        diff, b = self.change(key), self.then.totals[key]
        return None if diff is None or not b else diff / b


def gaps_holding(gaps: pl.DataFrame, at: datetime, interval: timedelta
                 ) -> tuple[tuple[datetime, datetime], ...]:
    """The collection gaps (`metrics.store.gaps.between` rows: start, end = the first and last
    lost poll) whose lost polls reach `at`: the first at or before it, the last less than
    one collection `interval` before it (so no poll was kept between the gap and `at`).
    (start, end) each, oldest first."""
    if gaps.is_empty():
        return ()
    at_ms = round(at.timestamp() * 1000)
    reach = gaps.filter((pl.col("start").dt.epoch("ms") <= at_ms)
                        & (pl.col("end").dt.epoch("ms") > at_ms - interval / timedelta(
                            milliseconds=1))).sort("start")
    return tuple(zip(reach["start"].to_list(), reach["end"].to_list(), strict=True))


def compare(now: Side, then: Side, centres: pl.DataFrame,
            then_gaps: tuple[tuple[datetime, datetime], ...] = ()) -> WeekComparison:
    """The comparison within the scope whose centres (id, name) are `centres`;
    `then_gaps`: `gaps_holding` last week's moment."""
    names = dict(zip(centres["id"].to_list(), centres["name"].to_list(), strict=True))
    return WeekComparison(now=now, then=then, names=names, then_gaps=then_gaps)
