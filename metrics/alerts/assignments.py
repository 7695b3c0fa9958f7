"""The conference's follow-up loop, pure: which assignments are open, overdue, due for
escalation, what happened since the last conference, and time to fix per unit.

An assignment (metrics/alerts/assignments_store.py) gives an incident or a lagging commune to a
responsible unit with a due time. One definition: an assignment is **overdue** at `now`
when it is still open (not closed at or before `now`) and its due time is at or before
`now`; it is **escalated** once, the first evaluation that finds it overdue and not yet
escalated. Frames carry times as int ms UTC (`SCHEMA`); every function takes `now` and
reads no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

DAY_MS = 86_400_000
TTF_DAYS = 30  # the commune page's time to fix looks back this far
SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "alert_id": pl.Int64(), "rule": pl.String(), "centre_id": pl.String(),
    "centre": pl.String(), "province_code": pl.Int64(), "province": pl.String(),
    "unit": pl.String(), "note": pl.String(), "due_at": pl.Int64(), "created_at": pl.Int64(),
    "created_by": pl.String(), "closed_at": pl.Int64(), "closed_by": pl.String(),
    "close_note": pl.String(), "escalated_at": pl.Int64(),
}
OPEN, OVERDUE, CLOSED = "open", "overdue", "closed"


def empty() -> pl.DataFrame:
    """An assignments frame with no rows."""
    return pl.DataFrame(schema=SCHEMA)


def as_of(frame: pl.DataFrame, now: int) -> pl.DataFrame:
    """The assignments as they stood at `now`: those created by then, each with `status`
    (open | overdue | closed; a closing after `now` is not yet seen) and `closed_at`,
    `closed_by`, `close_note` cleared when the closing came later."""
    later = pl.col("closed_at").is_null() | (pl.col("closed_at") > now)
    return (frame.filter(pl.col("created_at") <= now)
            .with_columns(pl.when(later).then(None).otherwise(pl.col(c)).alias(c)
                          for c in ("closed_at", "closed_by", "close_note"))
            .with_columns(
                pl.when(pl.col("closed_at").is_not_null()).then(pl.lit(CLOSED))
                .when(pl.col("due_at") <= now).then(pl.lit(OVERDUE))
                .otherwise(pl.lit(OPEN)).alias("status")))


def overdue(frame: pl.DataFrame, now: int) -> pl.DataFrame:
    """The assignments overdue at `now`, the longest overdue first."""
    return as_of(frame, now).filter(pl.col("status") == OVERDUE).sort("due_at", "id")


def to_escalate(frame: pl.DataFrame, now: int) -> list[int]:
    """Ids of the assignments overdue at `now` whose escalation was not yet queued."""
    due = overdue(frame, now).filter(pl.col("escalated_at").is_null())
    return due["id"].to_list()


class SinceConference(NamedTuple):
    """What the follow-up loop did between the last conference (`start`) and `end`."""

    start: int
    end: int
    opened: pl.DataFrame  # created in (start, end]
    closed: pl.DataFrame  # closed in (start, end]
    overdue: pl.DataFrame  # open and past due at `end`


def since_conference(frame: pl.DataFrame, start: int, end: int) -> SinceConference:
    """The assignments opened and closed in (`start`, `end`] and those overdue at `end`
    (each list in time order), seen as at `end`."""
    seen = as_of(frame, end)
    opened = seen.filter(pl.col("created_at") > start).sort("created_at", "id")
    closed = seen.filter(pl.col("closed_at") > start).sort("closed_at", "id")
    late = seen.filter(pl.col("status") == OVERDUE).sort("due_at", "id")
    return SinceConference(start, end, opened, closed, late)


TTF_SCHEMA: dict[str, pl.DataType] = {
    "unit": pl.String(), "closed": pl.Int64(), "median_s": pl.Float64(), "longest_s": pl.Float64(),
    "late": pl.Int64(), "open": pl.Int64(), "overdue": pl.Int64(),
}


def time_to_fix(frame: pl.DataFrame, now: int, units: Sequence[str] = (),
                days: int = TTF_DAYS) -> pl.DataFrame:
    """Per unit, over the `days` to `now`: assignments closed (`closed`), their time from
    assignment to closing (`median_s`, `longest_s`, seconds), how many were closed after
    their due time (`late`), and those still `open` and `overdue` at `now`. Units in the
    order of `units` (the configuration's), then any other unit found, by key; a unit with
    nothing in the window is left out. `TTF_SCHEMA`."""
    seen = as_of(frame, now)
    since = now - days * DAY_MS
    done = (seen.filter(pl.col("closed_at") > since)
            .with_columns(((pl.col("closed_at") - pl.col("created_at")) / 1000).alias("took"),
                          (pl.col("closed_at") > pl.col("due_at")).alias("was_late"))
            .group_by("unit").agg(pl.len().cast(pl.Int64).alias("closed"),
                                  pl.col("took").median().alias("median_s"),
                                  pl.col("took").max().cast(pl.Float64).alias("longest_s"),
                                  pl.col("was_late").sum().cast(pl.Int64).alias("late")))
    pending = (seen.filter(pl.col("status") != CLOSED)
               .group_by("unit").agg(pl.len().cast(pl.Int64).alias("open"),
                                     (pl.col("status") == OVERDUE).sum().cast(pl.Int64)
                                     .alias("overdue")))
    out = done.join(pending, on="unit", how="full", coalesce=True).with_columns(
        pl.col("closed", "late", "open", "overdue").fill_null(0))
    order = {u: i for i, u in enumerate(units)}
    out = out.with_columns(pl.col("unit").replace_strict(order, default=len(order),
                                                         return_dtype=pl.Int64).alias("_o"))
    return out.sort("_o", "unit").select(*(pl.col(c).cast(d) for c, d in TTF_SCHEMA.items()))
