"""The daily briefing (giao ban) at any moment: today's dossiers per centre, the top centres,
incidents since the previous conference and the centres needing attention (pure).

No I/O and no clock: the caller passes the frames (as `metrics.store.Store` and
`metrics.alerts.read` return them) and the moment. Missing data stays None,
never 0. The wording lives in the dashboard (`dashboard/views/report.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from metrics import queries as q
from metrics.compare import WeekComparison

DAY_COUNTERS: dict[str, str] = {
    "received": "dossiers_received_total",
    "resolved": "dossiers_resolved_total",
    "on_time": "dossiers_resolved_on_time_total",
    "late": "dossiers_resolved_late_total",
    "returned": "dossiers_returned_total",
}
PROCEDURE_COUNTER = "dossiers_received_by_procedure_total"
COUNTER_METRICS: list[str] = [*DAY_COUNTERS.values(), PROCEDURE_COUNTER]
TS = pl.Datetime("ms", "UTC")


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return when.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AttentionRules:
    """When a centre is named in the briefing for its service although its system works
    (its problems are the alert rules', already in its status row)."""

    on_time_min: float = 0.9  # today's on-time rate below this (the finder's rule)
    min_resolved: int = 10  # fewer resolutions today: too few to judge the rate


def parse_times(times: Sequence[str]) -> tuple[time, ...]:
    """Conference times "HH:MM" → sorted times; ValueError names the bad entry."""
    out = []
    for i, text in enumerate(times):
        try:
            out.append(time.fromisoformat(text))
        except (TypeError, ValueError):
            raise ValueError(f"briefing_times[{i}]: {text!r} is not a time HH:MM") from None
    if not out:
        raise ValueError("briefing_times: give at least one conference time")
    return tuple(sorted(out))


def previous_briefing(at: datetime, times: Sequence[time], tz: str) -> datetime:
    """The last conference strictly before `at` (today's or an earlier day's), in `tz`."""
    local = _utc(at).astimezone(ZoneInfo(tz))
    for back in range(0, 3):
        day = (local - timedelta(days=back)).date()
        for t in sorted(times, reverse=True):
            when = datetime.combine(day, t, tzinfo=ZoneInfo(tz))
            if when < local:
                return when
    raise ValueError("no conference time found in the last three days")


def centre_counts(increases: pl.DataFrame, centres: pl.DataFrame) -> pl.DataFrame:
    """One row per centre: id, name, kind and today's received, resolved, on_time, late,
    returned (null when the centre sent no such counter today) and on_time_rate."""
    out = centres.select("id", "name", "kind")
    plain = increases.filter(pl.col("label") == "")
    for column, metric in DAY_COUNTERS.items():
        values = plain.filter(pl.col("metric") == metric).select(
            pl.col("centre_id").alias("id"), pl.col("increase").round().cast(pl.Int64)
            .alias(column))
        out = out.join(values, on="id", how="left")
    rate = pl.when(pl.col("resolved") > 0).then(pl.col("on_time") / pl.col("resolved"))
    return out.with_columns(rate.alias("on_time_rate"))


def totals(counts: pl.DataFrame) -> dict[str, int | None]:
    """Sums over centres; None when no centre sent the counter."""
    return {c: (None if counts[c].null_count() == counts.height else int(counts[c].sum()))
            for c in DAY_COUNTERS}


def top(counts: pl.DataFrame, column: str, n: int = 2) -> pl.DataFrame:
    """The centres with the `n` largest values of `column` (> 0), ties with the n-th kept,
    largest first then by name. Columns: id, name, kind, value."""
    ranked = (counts.filter(pl.col(column) > 0)
              .select("id", "name", "kind", pl.col(column).alias("value"))
              .sort(["value", "name"], descending=[True, False]))
    if ranked.height <= n:
        return ranked
    return ranked.filter(pl.col("value") >= ranked["value"][n - 1])


def procedures(increases: pl.DataFrame, n: int = 5) -> list[tuple[str, int]]:
    """The `n` procedures most received today, over every centre, largest first."""
    rows = (increases.filter(pl.col("metric") == PROCEDURE_COUNTER)
            .group_by("label").agg(pl.col("increase").sum())
            .filter(pl.col("increase") > 0)
            .sort(["increase", "label"], descending=[True, False]).head(n))
    return [(label, round(v)) for label, v in rows.iter_rows()]


def incidents(polls: pl.DataFrame, centres: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """Runs of failed polls in `polls` (one window): centre_id, name, start, end (the next
    good poll; null while ongoing), duration_s (to `until` while ongoing), ongoing,
    from_before (already failing at the window's first poll), polls, reason, detail.
    Longest first."""
    until = _utc(until)
    df = (polls.select("centre_id", "ts", "ok", "reason", "detail").sort("centre_id", "ts")
          .with_columns(first=pl.col("ts").min().over("centre_id"),
                        next_ts=pl.col("ts").shift(-1).over("centre_id"),
                        run=(pl.col("ok") != pl.col("ok").shift(1).over("centre_id"))
                        .fill_null(True).cum_sum().over("centre_id")))
    runs = (df.filter(~pl.col("ok")).group_by("centre_id", "run", maintain_order=True)
            .agg(start=pl.col("ts").min(), end=pl.col("next_ts").last(),
                 first=pl.col("first").first(), polls=pl.len(),
                 reason=pl.col("reason").drop_nulls().first(),
                 detail=pl.col("detail").drop_nulls().first()))
    stop = pl.coalesce(pl.col("end"), pl.lit(until).cast(TS))
    return (runs.join(centres.select(pl.col("id").alias("centre_id"), "name"),
                      on="centre_id", how="left")
            .with_columns(duration_s=(stop - pl.col("start")).dt.total_milliseconds() / 1000,
                          ongoing=pl.col("end").is_null(),
                          from_before=pl.col("start") == pl.col("first"))
            .select("centre_id", "name", "start", "end", "duration_s", "ongoing",
                    "from_before", "polls", "reason", "detail")
            .sort(["duration_s", "name"], descending=[True, False]))


ALERT_COLUMNS = pl.Schema({"centre_id": pl.String(), "name": pl.String(), "severity": pl.String(),
                           "rule": pl.String(), "summary": pl.String(), "cause": pl.String(),
                           "state": pl.String(), "start": TS, "end": TS, "duration_s": pl.Float64(),
                           "facts": pl.String()})


def alert_rows(alerts: pl.DataFrame, centres: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """Alerts that fired (pending ones never did): centre name, severity, rule, summary,
    cause, state, start (firing_since), end (resolved_at), duration_s (to `until` while
    firing). An empty or absent alerts table gives an empty frame."""
    if alerts.is_empty() or "firing_since" not in alerts.columns:
        return pl.DataFrame(schema=ALERT_COLUMNS)
    until = _utc(until)
    stop = pl.coalesce(pl.col("resolved_at"), pl.lit(until).cast(TS))
    fired = alerts.filter(pl.col("firing_since").is_not_null()).join(
        centres.select(pl.col("id").alias("centre_id"), "name"), on="centre_id", how="left")
    return fired.select(
        "centre_id", "name", "severity", "rule", "summary", "cause", "state",
        pl.col("firing_since").alias("start"), pl.col("resolved_at").alias("end"),
        ((stop - pl.col("firing_since")).dt.total_milliseconds() / 1000).alias("duration_s"),
        pl.col("facts") if "facts" in fired.columns else pl.lit(None, pl.String).alias("facts"),
    ).cast(ALERT_COLUMNS).sort("start")


def attention(status: pl.DataFrame, counts: pl.DataFrame, runs: pl.DataFrame,
              rules: AttentionRules = AttentionRules()) -> pl.DataFrame:
    """The centres needing attention and why: `status` rows (queries.centre_status under
    the alert rules, with down_since and open alerts folded in) plus today's on_time_rate,
    late and incidents (runs since the previous briefing); `why` lists reason codes (down,
    stale, no_data, incidents, late, and `problem:<rule>` for each alert condition the
    centre breaks). Worst first; centres with no reason are left out."""
    n_runs = runs.group_by("centre_id").agg(pl.len().alias("incidents"),
                                            pl.col("duration_s").sum().alias("outage_s"))
    df = (status.join(counts.select("id", "on_time_rate", "late", "resolved"), on="id",
                      how="left")
          .join(n_runs, left_on="id", right_on="centre_id", how="left")
          .with_columns(pl.col("incidents").fill_null(0)))
    checks = [
        ("down", pl.col("status") == q.DOWN),
        ("stale", pl.col("status") == q.STALE),
        ("no_data", pl.col("status") == q.NO_DATA),
        ("incidents", (pl.col("incidents") > 0) & (pl.col("status") != q.DOWN)),
        ("late", (pl.col("on_time_rate") < rules.on_time_min)
         & (pl.col("resolved") >= rules.min_resolved)),
    ]
    flags = [pl.when(cond.fill_null(False)).then(pl.lit(code)) for code, cond in checks]
    why = pl.concat_list(flags).list.drop_nulls()
    if "problems" in df.columns:  # a down centre's other problems are its consequences
        named = pl.col("problems").list.eval(pl.lit("problem:") + pl.element())
        why = pl.concat_list(why, pl.when(pl.col("status") != q.DOWN).then(named)
                             .otherwise(pl.lit([], pl.List(pl.String))))
    rank = pl.col("status").replace_strict(q.SEVERITY, default=9)
    severity = pl.col("problem_rank") if "problem_rank" in df.columns else pl.lit(None)
    return (df.with_columns(why.alias("why"))
            .filter(pl.col("why").list.len() > 0)
            .with_columns(rank.alias("_rank"), severity.alias("_severity"))
            .sort(["_rank", "_severity", "outage_s", "on_time_rate", "name"],
                  descending=[False, False, True, False, False], nulls_last=True)
            .drop("_rank", "_severity"))


@dataclass(frozen=True)
class Briefing:
    """Everything one briefing states, for the moment `at`."""

    at: datetime
    previous: datetime  # the previous conference: incidents are counted from it
    # The local midnight the dossier counts start from: `at`'s ("today"), or an earlier
    # day's for a period (the briefing page's `since`).
    day_start: datetime
    centres: pl.DataFrame  # id, name, kind, …
    counts: pl.DataFrame  # centre_counts
    totals: dict[str, int | None]
    top_received: pl.DataFrame
    top_resolved: pl.DataFrame
    procedures: list[tuple[str, int]]
    incidents: pl.DataFrame
    alerts: pl.DataFrame
    attention: pl.DataFrame
    # availability.summarise over the 24 h to availability_end, a row a centre (None: none)
    availability: pl.DataFrame | None = None
    availability_end: datetime | None = None  # `at` (live: the newest poll in its minute)
    # What the dossier counts count (`metrics.today.Today`): "raw", every sample up to
    # `at`; a roll-up's ("5m", "1h") when only that is kept for `at`: the samples before
    # `counted_until`, the start of its bucket holding `at`.
    resolution: str = "raw"
    counted_until: datetime | None = None
    week: WeekComparison | None = None  # today next to the same moment last week


def build(centres: pl.DataFrame, counters: pl.DataFrame, polls: pl.DataFrame,
          status: pl.DataFrame, alerts: pl.DataFrame, *, at: datetime, previous: datetime,
          day_start: datetime, rules: AttentionRules = AttentionRules(),
          top_n: int = 2) -> Briefing:
    """The briefing at `at`: `counters` are COUNTER_METRICS samples from before `day_start`
    to `at`; `polls` the polls from `previous` to `at`; `status` queries.centre_status at
    `at` (with down_since); `alerts` alerts_read.alerts from `previous` to `at`."""
    counters = counters.filter(pl.col("ts") <= _utc(at))
    inc = q.increase(counters, day_start, zero_start=True)
    return build_from_increases(centres, inc, polls, status, alerts, at=at, previous=previous,
                                day_start=day_start, rules=rules, top_n=top_n)


def build_from_increases(centres: pl.DataFrame, inc: pl.DataFrame, polls: pl.DataFrame,
                         status: pl.DataFrame, alerts: pl.DataFrame, *, at: datetime,
                         previous: datetime, day_start: datetime,
                         rules: AttentionRules = AttentionRules(), top_n: int = 2,
                         resolution: str = "raw",
                         counted_until: datetime | None = None) -> Briefing:
    """`build` from today's COUNTER_METRICS increases per series (centre_id, metric, label,
    increase: `queries.increase` or `Store.today_increases`) instead of their samples;
    `resolution` and `counted_until` say what they count (`Briefing`)."""
    counts = centre_counts(inc, centres)
    runs = incidents(polls.filter(pl.col("ts") <= _utc(at)), centres, at)
    return Briefing(
        at=at, previous=previous, day_start=day_start, centres=centres, counts=counts,
        totals=totals(counts), top_received=top(counts, "received", top_n),
        top_resolved=top(counts, "resolved", top_n), procedures=procedures(inc),
        incidents=runs, alerts=alert_rows(alerts, centres, at),
        attention=attention(status, counts, runs, rules), resolution=resolution,
        counted_until=at if counted_until is None else counted_until)
