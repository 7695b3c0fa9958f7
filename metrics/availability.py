"""Availability as time, not polls (pure): how long each centre was up, down or unknown.

Each poll's state holds from its time until the centre's next poll, but for at most
`hold_s` (the staleness threshold: a poll says nothing about the time after it). Time
that no poll covers is a gap: unknown, never up or down. A poll is DOWN when it failed
(`ok` false) or when the centre's own system reported down (`system_state` = 0 at that
poll: "soft down"); a `skipped` poll (the collector never got to the centre) is UNKNOWN.
Availability = up ÷ (up + down), None when no time is known. A re-probe a fraction of a
second after a failure holds for that fraction only, so it weighs no more than any poll.

The window is cut into chunks (`chunks`) whose seconds add up exactly: a chunk's
seconds depend on the polls from `hold_s` before it to `hold_s` after it, so the
loaders cache settled chunks apart and read only the newest minutes again.
No I/O and no clock: the caller passes the frames, the window and the hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from config.catalogue import STATE_DOWN

UP, DOWN, UNKNOWN = 1, 0, -1  # a poll's state
SKIPPED = "skipped"  # metrics.results.Reason.SKIPPED: not polled, nothing observed
SPAN = timedelta(hours=24)  # the pages' "availability 24 h"
FIVE_MIN = timedelta(minutes=5)
HOUR = timedelta(hours=1)
SECONDS_SCHEMA = pl.Schema({"centre_id": pl.String, "up_s": pl.Float64, "down_s": pl.Float64})
SUMMARY_SCHEMA = pl.Schema({"centre_id": pl.String, "up_s": pl.Float64, "down_s": pl.Float64,
                            "unknown_s": pl.Float64, "availability": pl.Float64})


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return round(when.astimezone(UTC).timestamp() * 1000)


def _ts_ms(frame: pl.DataFrame) -> pl.Expr:
    """`ts` as integer ms, whether the frame holds datetimes or already ms."""
    return (pl.col("ts").dt.epoch("ms") if frame.schema["ts"].is_temporal()
            else pl.col("ts").cast(pl.Int64))


def poll_states(polls: pl.DataFrame, system_state: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each poll's state: centre_id, ts (ms), state (UP, DOWN or UNKNOWN).

    `polls`: centre_id, ts, ok, reason (`Store.polls` columns, or fewer). `system_state`:
    centre_id, ts, value of the `system_state` samples (`Store.samples`; only the value
    0 matters, so a reader may pass just those); a sample at a poll's time is that poll's
    report."""
    states = polls.select("centre_id", _ts_ms(polls).alias("ts"), "ok", "reason")
    if system_state is not None and system_state.height:
        reported_down = (system_state.filter(pl.col("value") == STATE_DOWN)
                         .select("centre_id", _ts_ms(system_state).alias("ts"))
                         .unique().with_columns(pl.lit(True).alias("soft_down")))
        states = states.join(reported_down, on=["centre_id", "ts"], how="left")
    else:
        states = states.with_columns(pl.lit(None, pl.Boolean).alias("soft_down"))
    state = (pl.when(~pl.col("ok") & (pl.col("reason") == SKIPPED).fill_null(False))
             .then(pl.lit(UNKNOWN))
             .when(~pl.col("ok") | pl.col("soft_down").fill_null(False)).then(pl.lit(DOWN))
             .otherwise(pl.lit(UP)))
    return states.select("centre_id", "ts", state.cast(pl.Int8).alias("state"))


def state_seconds(states: pl.DataFrame, start: datetime, end: datetime,
                  hold_s: float) -> pl.DataFrame:
    """Seconds up and down per centre within [start, end): centre_id, up_s, down_s.

    `states`: `poll_states` rows, which should hold every poll from `hold_s` before
    `start` to `hold_s` after `end` (earlier ones hold nothing here, later ones only cut
    the hold of the last poll before `end`). A centre whose polls cover no time here
    has 0 and 0."""
    a, b, hold = _ms(start), _ms(end), round(hold_s * 1000)
    if hold <= 0:
        raise ValueError(f"hold_s must be positive, not {hold_s}")
    held = (states.sort("centre_id", "ts")
            .with_columns(pl.col("ts").shift(-1).over("centre_id").alias("next"))
            .with_columns(pl.min_horizontal(pl.col("next").fill_null(pl.col("ts") + hold),
                                            pl.col("ts") + hold, pl.lit(b)).alias("until"))
            .with_columns((pl.col("until") - pl.max_horizontal(pl.col("ts"), pl.lit(a)))
                          .clip(lower_bound=0).alias("ms")))
    return (held.group_by("centre_id")
            .agg((pl.col("ms").filter(pl.col("state") == UP).sum() / 1000).alias("up_s"),
                 (pl.col("ms").filter(pl.col("state") == DOWN).sum() / 1000).alias("down_s"))
            .cast(SECONDS_SCHEMA).sort("centre_id"))


def summarise(seconds: Iterable[pl.DataFrame], span_s: float,
              centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """The figures from the `state_seconds` of chunks that tile a window of `span_s`:
    centre_id, up_s, down_s, unknown_s (span − up − down), availability (up ÷ (up +
    down); None when no time is known). `centre_ids` adds a row (all unknown) for each
    centre with no poll at all."""
    parts = [s.cast(SECONDS_SCHEMA) for s in seconds]
    total = (pl.concat(parts) if parts else pl.DataFrame(schema=SECONDS_SCHEMA))
    total = total.group_by("centre_id").agg(pl.col("up_s").sum(), pl.col("down_s").sum())
    if centre_ids is not None:
        ids = pl.DataFrame({"centre_id": list(centre_ids)}, schema={"centre_id": pl.String})
        total = ids.join(total, on="centre_id", how="left").with_columns(
            pl.col("up_s").fill_null(0.0), pl.col("down_s").fill_null(0.0))
    known = pl.col("up_s") + pl.col("down_s")
    return (total.with_columns(
        (pl.lit(float(span_s)) - known).clip(lower_bound=0).alias("unknown_s"),
        pl.when(known > 0).then(pl.col("up_s") / known).alias("availability"))
        .select(list(SUMMARY_SCHEMA)).cast(SUMMARY_SCHEMA).sort("centre_id"))


def time_weighted(polls: pl.DataFrame, start: datetime, end: datetime, hold_s: float,
                  system_state: pl.DataFrame | None = None,
                  centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """`summarise` of one window [start, end) from its polls and `system_state` samples
    (from `hold_s` before `start` to `hold_s` after `end`): the whole rule in one call."""
    seconds = state_seconds(poll_states(polls, system_state), start, end, hold_s)
    return summarise([seconds], (_ms(end) - _ms(start)) / 1000, centre_ids)


def window(end: datetime, span: timedelta = SPAN) -> tuple[datetime, datetime]:
    """The window of "availability over `span`" ending at `end`."""
    return end - span, end


def settled_cut(newest: datetime, late_after: timedelta, hold_s: float) -> datetime:
    """The 5-minute boundary before which a chunk's seconds no longer change (but by a late
    write): polls land at most `late_after` behind the newest (`metrics.store.settled`), and a
    chunk reads `hold_s` past its end."""
    cut = newest - 2 * late_after - timedelta(seconds=hold_s)
    return _floor(cut, FIVE_MIN)


def _floor(when: datetime, step: timedelta) -> datetime:
    ms, width = _ms(when), round(step.total_seconds() * 1000)
    return datetime.fromtimestamp((ms - ms % width) / 1000, UTC)


def chunks(start: datetime, end: datetime, cut: datetime
           ) -> list[tuple[datetime, datetime, bool]]:
    """[start, end) as (a, b, settled) chunks that tile it: before `cut` (a 5-minute
    boundary), whole hours and whole 5-minute buckets (settled, so their keys hold while
    they stay in the window); the part of the first 5 minutes before a boundary and
    everything from `cut` are not settled (read again as the data moves)."""
    out: list[tuple[datetime, datetime, bool]] = []
    cut = min(max(cut, start), end)
    a = start
    first = _floor(start, FIVE_MIN)
    if first != start:
        b = min(first + FIVE_MIN, cut)
        if b > a:
            out.append((a, b, False))
            a = b
    while a < cut:
        whole_hour = _floor(a, HOUR) == a and a + HOUR <= cut
        b = a + (HOUR if whole_hour else FIVE_MIN)
        out.append((a, b, True))
        a = b
    if a < end or not out:
        out.append((a, end, False))
    return out
