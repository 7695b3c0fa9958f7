"""Pure polars for the commune drill-down: buckets, counter increases, gaps, outages, states.

No I/O and no clock. Frames have the Store's columns (`metrics/store/__init__.py`);
`ts` is `Datetime("ms", "UTC")`. Buckets are local time (`tz`, e.g.
Asia/Ho_Chi_Minh): a bucket column is `Datetime("ms", tz)` at the bucket's
start. A bucket without samples is absent (or null after `fill_gaps`), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from config.catalogue import (
    COMPONENTS,
    NETWORK_STATES,
    POWER_STATES,
    STATE_DEGRADED,
    STATE_DOWN,
    STATE_OK,
)

KEY = ["centre_id", "metric", "label"]
# Gauges charted per bucket (mean), and the counters charted as increases per hour.
GAUGES = ["up", "probe_duration_seconds", "otp_p50_seconds", "otp_p95_seconds",
          "otp_failure_ratio", "sync_lag_seconds", "sync_unsynced_dossiers"]
COUNTERS = ["dossiers_received_total", "dossiers_resolved_total",
            "dossiers_resolved_late_total", "dossiers_received_by_procedure_total"]
# Compared with the province median (same buckets).
COMPARED = ["up", "probe_duration_seconds", "otp_p95_seconds", "sync_lag_seconds"]
STATE_METRICS = ["system_state", *(f"component_{c}_state" for c in COMPONENTS)]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Range presets: span and the bucket its charts use (30 days: hourly, as the brief says).
RANGES: dict[str, tuple[timedelta, timedelta]] = {
    "6h": (timedelta(hours=6), timedelta(minutes=5)),
    "24h": (DAY, timedelta(minutes=15)),
    "7d": (timedelta(days=7), HOUR),
    "30d": (timedelta(days=30), HOUR),
}
MAX_CUSTOM = timedelta(days=31)


def every_for(span: timedelta) -> timedelta:
    """The bucket for a custom span: the preset of the smallest preset span that covers it."""
    for preset_span, every in RANGES.values():
        if span <= preset_span:
            return every
    return HOUR


def _interval(every: timedelta) -> str:
    return f"{int(every.total_seconds())}s"


def floor_to(when: datetime, every: timedelta, tz: str) -> datetime:
    """`when` rounded down to a bucket start in `tz` (buckets of whole local days start 00:00)."""
    local = when.astimezone(ZoneInfo(tz))
    if every >= DAY:
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    step = (local - midnight) // every
    return midnight + step * every


def day_chunks(start: datetime, end: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """[start, end] split at local midnights: (a, b) pairs; each holds a <= ts < b except the
    last, which ends at `end` inclusive. Loaders cache each closed day on its own."""
    out: list[tuple[datetime, datetime]] = []
    a = start
    while True:
        b = floor_to(a, DAY, tz) + DAY
        if b > end:
            out.append((a, end))
            return out
        out.append((a, b))
        a = b


HEAD, CLOSED, SETTLED, LIVE = "head", "closed", "settled", "live"


def cache_chunks(start: datetime, end: datetime, tz: str,
                 settled: datetime | None = None) -> list[tuple[datetime, datetime, str]]:
    """[start, end] as at most four (a, b, kind) chunks that loaders cache apart, so a cache
    key holds as long as its data does. History before `settled` (an hour boundary,
    `metrics.store.settled.settled_before`; default: today's local midnight) no longer changes
    but by a late write; after it, every new poll changes it. In time order:
    HEAD, the rest of the first local day from `start`, or of its first hour, when `start`
    is not on one (its key moves with `start`); CLOSED, whole local days; SETTLED, the
    whole hours of the day `settled` falls in (a key that holds for an hour); LIVE, from
    `settled` (or `start`, if later) to `end` inclusive."""
    cut = floor_to(end, DAY, tz) if settled is None else settled
    cut = min(max(cut, start), end)
    out: list[tuple[datetime, datetime, str]] = []
    a = start
    day = floor_to(start, DAY, tz)
    if day != start and day + DAY <= cut:
        out.append((start, day + DAY, HEAD))
        a = day + DAY
    last_midnight = floor_to(cut, DAY, tz)
    if last_midnight > a:
        out.append((a, last_midnight, CLOSED))
        a = last_midnight
    hour = floor_to(a, HOUR, tz)
    first_hour = a if hour == a else hour + HOUR
    if first_hour < cut:
        if first_hour > a:
            out.append((a, first_hour, HEAD))
        out.append((first_hour, cut, SETTLED))
        a = cut
    out.append((a, end, LIVE))
    return out


def _bucket(every: timedelta, tz: str) -> pl.Expr:
    local = pl.col("ts").dt.convert_time_zone(tz)
    return (local.dt.truncate("1d") if every >= DAY
            else local.dt.truncate(_interval(every))).alias("bucket")


def bucket_gauges(samples: pl.DataFrame, every: timedelta, tz: str,
                  start: datetime | None = None) -> pl.DataFrame:
    """Mean of each gauge series per local bucket, from samples at or after `start`.

    Columns: centre_id, metric, bucket, value.
    """
    df = samples if start is None else samples.filter(pl.col("ts") >= start)
    return (df.with_columns(_bucket(every, tz))
            .group_by("centre_id", "metric", "bucket")
            .agg(pl.col("value").mean())
            .sort("centre_id", "metric", "bucket"))


def bucket_increase(samples: pl.DataFrame, every: timedelta, tz: str,
                    start: datetime | None = None) -> pl.DataFrame:
    """How much each counter series grew per local bucket, counting resets (any decrease).

    Each step between consecutive samples of a series counts in the bucket of
    its later sample; a decrease is a reset and the new value counts in full.
    A series' first sample has no step (samples before `start` serve only as
    the baseline of the first step after it). Growth across a collection gap
    lands in the bucket where collection resumed: nothing is invented.
    Columns: centre_id, metric, label, bucket, increase.
    """
    prev = pl.col("value").shift(1).over(KEY)
    step = (pl.when(prev.is_null()).then(None)
            .when(pl.col("value") >= prev).then(pl.col("value") - prev)
            .otherwise(pl.col("value")))
    df = samples.sort([*KEY, "ts"]).with_columns(step.alias("increase")).drop_nulls("increase")
    if start is not None:
        df = df.filter(pl.col("ts") >= start)
    return (df.with_columns(_bucket(every, tz))
            .group_by([*KEY, "bucket"]).agg(pl.col("increase").sum())
            .sort([*KEY, "bucket"]))


def rollup_gauges(rolled: pl.DataFrame, every: timedelta, tz: str) -> pl.DataFrame:
    """`bucket_gauges` from roll-up buckets (`Store.series` frames): each gauge's mean
    per local bucket, weighted by the samples each roll-up bucket holds, so it equals
    the mean of the raw samples. Columns: centre_id, metric, bucket, value."""
    return (rolled.with_columns(_bucket(every, tz))
            .group_by("centre_id", "metric", "bucket")
            .agg(((pl.col("mean") * pl.col("count")).sum() / pl.col("count").sum())
                 .alias("value"))
            .sort("centre_id", "metric", "bucket"))


def rollup_gauges_at(rolled: pl.DataFrame, every: timedelta, width: timedelta,
                     tz: str) -> pl.DataFrame:
    """`rollup_gauges` of roll-up buckets `width` wide; when the chart's bucket is the
    roll-up's own (and `tz` is whole hours from UTC, as Asia/Ho_Chi_Minh is), each bucket
    is already the mean, so the frame is only relabelled (no grouping, no sort)."""
    offset = datetime.now(ZoneInfo(tz)).utcoffset() or timedelta(0)
    if every != width or offset % width:
        return rollup_gauges(rolled, every, tz)
    return rolled.select("centre_id", "metric",
                         pl.col("ts").dt.convert_time_zone(tz).alias("bucket"),
                         pl.col("mean").alias("value"))


def rollup_increase(rolled: pl.DataFrame, every: timedelta, tz: str) -> pl.DataFrame:
    """`bucket_increase` from roll-up buckets (`Store.series` frames of counters): their
    increases summed per local bucket. Columns: centre_id, metric, label, bucket, increase."""
    return (rolled.drop_nulls("increase").with_columns(_bucket(every, tz))
            .group_by([*KEY, "bucket"]).agg(pl.col("increase").sum())
            .sort([*KEY, "bucket"]))


def per_day(hourly: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Hourly increases summed per local day (same columns, bucket at 00:00)."""
    return (hourly.with_columns(pl.col("bucket").dt.convert_time_zone(tz).dt.truncate("1d"))
            .group_by([*KEY, "bucket"]).agg(pl.col("increase").sum())
            .sort([*KEY, "bucket"]))


def province_median(bucketed: pl.DataFrame) -> pl.DataFrame:
    """Per metric and bucket, the median over centres of `bucket_gauges` values.

    Columns: metric, bucket, value, centres (how many centres had a value).
    """
    return (bucketed.group_by("metric", "bucket")
            .agg(pl.col("value").median(), pl.col("centre_id").n_unique().alias("centres"))
            .sort("metric", "bucket"))


def fill_gaps(df: pl.DataFrame, every: timedelta, start: datetime, end: datetime, tz: str,
              by: list[str], value: str = "value") -> pl.DataFrame:
    """`df` with a null row for every bucket of [start, end] a group of `by` lacks.

    A chart then breaks its line at the gap instead of joining across it.
    Groups absent from `df` stay absent. Sorted by `by`, then bucket.
    """
    if df.is_empty():
        return df
    unit = "1d" if every >= DAY else _interval(every)
    grid = pl.DataFrame({"bucket": pl.datetime_range(
        floor_to(start, every, tz), end.astimezone(ZoneInfo(tz)), unit, eager=True,
        time_unit="ms", time_zone=tz)})
    groups = df.select(by).unique()
    full = groups.join(grid, how="cross")
    return (full.join(df.with_columns(pl.col("bucket").dt.convert_time_zone(tz)),
                      on=[*by, "bucket"], how="left")
            .select([*by, "bucket", value]).sort([*by, "bucket"]))


def procedure_mix(hourly: pl.DataFrame,
                  metric: str = "dossiers_received_by_procedure_total") -> pl.DataFrame:
    """Total increase per procedure label over the buckets given, largest first.

    Columns: label, increase. Procedures with no dossier in the range are left
    out; empty when none had any (or the counter was never seen).
    """
    return (hourly.filter(pl.col("metric") == metric)
            .group_by("label").agg(pl.col("increase").sum())
            .filter(pl.col("increase") > 0)
            .sort(["increase", "label"], descending=[True, False]))


def outages(polls: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive failed polls per centre, from the polls table.

    A run starts at its first failed poll and ends at the next answered poll
    (`ongoing` when none followed in the frame: `end` is then its last failed
    poll). `reason`/`detail` are the run's first poll's. Newest first.
    Columns: centre_id, start, end, duration_s, polls, reason, detail, ongoing.
    """
    schema = pl.Schema({"centre_id": pl.String(), "start": pl.Datetime("ms", "UTC"),
                        "end": pl.Datetime("ms", "UTC"), "duration_s": pl.Float64(),
                        "polls": pl.UInt32(), "reason": pl.String(), "detail": pl.String(),
                        "ongoing": pl.Boolean()})
    if polls.is_empty():
        return pl.DataFrame(schema=schema)
    df = (polls.sort("centre_id", "ts")
          .with_columns(pl.col("ts").shift(-1).over("centre_id").alias("next_ts"),
                        (pl.col("ok") != pl.col("ok").shift(1).over("centre_id"))
                        .fill_null(True).cum_sum().over("centre_id").alias("run")))
    runs = (df.filter(~pl.col("ok"))
            .group_by("centre_id", "run", maintain_order=True)
            .agg(pl.col("ts").first().alias("start"), pl.col("ts").last().alias("last"),
                 pl.col("next_ts").last().alias("next_ts"), pl.len().alias("polls"),
                 pl.col("reason").first(), pl.col("detail").first()))
    out = runs.with_columns(
        pl.col("next_ts").is_null().alias("ongoing"),
        pl.coalesce("next_ts", "last").alias("end"))
    out = out.with_columns(
        ((pl.col("end") - pl.col("start")).dt.total_milliseconds() / 1000.0).alias("duration_s"))
    return out.select(list(schema)).cast(schema).sort("start", descending=True)


@dataclass(frozen=True, slots=True)
class ComponentState:
    """One component now: its coded state (None: unknown), its word, and whether it is current."""

    component: str  # "system" or a name from catalogue.COMPONENTS
    value: float | None
    word: str  # ok | degraded | down (system: up/degraded/down; power/network: their words)
    ts: datetime | None
    current: bool  # taken at the newest poll, which answered and is fresh


_WORDS = {
    "system": {STATE_OK: "up", STATE_DEGRADED: "degraded", STATE_DOWN: "down"},
    "power": {v: k for k, v in POWER_STATES.items()},
    "network": {v: k for k, v in NETWORK_STATES.items()},
}
_GENERIC = {STATE_OK: "ok", STATE_DEGRADED: "degraded", STATE_DOWN: "down"}


def component_states(latest: pl.DataFrame, poll: pl.DataFrame, now: datetime,
                     stale_after_s: float) -> list[ComponentState]:
    """System and each component's state from the newest samples of one centre.

    A value counts as current only when it was taken at the newest poll, that
    poll answered, and it is no older than `stale_after_s`; otherwise the last
    known value is kept (with its time) but `current` is False. A component
    never reported has value None and word "unknown".
    """
    last = poll.sort("ts").tail(1)
    poll_ts = last["ts"][0] if last.height else None
    fresh = (poll_ts is not None and bool(last["ok"][0])
             and (now - poll_ts).total_seconds() <= stale_after_s)
    out = []
    for metric in STATE_METRICS:
        name = "system" if metric == "system_state" else metric[len("component_"):-len("_state")]
        rows = latest.filter(pl.col("metric") == metric).sort("ts").tail(1)
        if rows.is_empty():
            out.append(ComponentState(name, None, "unknown", None, False))
            continue
        value, ts = float(rows["value"][0]), rows["ts"][0]
        word = _WORDS.get(name, _GENERIC).get(value, "unknown")
        out.append(ComponentState(name, value, word, ts, fresh and ts == poll_ts))
    return out


TIMELINE_SCHEMA = pl.Schema({"start": pl.Datetime("ms", "UTC"), "end": pl.Datetime("ms", "UTC"),
                             "duration_s": pl.Float64(), "kind": pl.String(),
                             "severity": pl.String(), "what": pl.String(), "detail": pl.String(),
                             "actor": pl.String(), "ongoing": pl.Boolean(),
                             "facts": pl.String()})
SHOWN_EVENTS = ("acknowledged", "unacknowledged", "silenced")


def timeline(outage_runs: pl.DataFrame, alerts: pl.DataFrame,
             events: pl.DataFrame) -> pl.DataFrame:
    """Outages, alerts and acknowledgements of one centre in one list, newest first.

    kind: "outage" (what = poll failure reason), "alert" (what = rule, detail =
    summary, facts = the figures behind it, end = resolved time) or an event kind from
    SHOWN_EVENTS (actor = who, detail = their note). Text is the stored text, untrusted: show it as
    plain text. Empty alert frames (no alerting tables in use) are fine.
    """
    parts = [pl.DataFrame(schema=TIMELINE_SCHEMA)]
    if not outage_runs.is_empty():
        parts.append(outage_runs.select(
            "start", "end", "duration_s", pl.lit("outage").alias("kind"),
            pl.lit("critical").alias("severity"), pl.col("reason").alias("what"), "detail",
            pl.lit(None, pl.String).alias("actor"), "ongoing",
            pl.lit(None, pl.String).alias("facts")))
    if not alerts.is_empty():
        start = pl.coalesce("firing_since", "pending_since")
        parts.append(alerts.select(
            start.alias("start"), pl.col("resolved_at").alias("end"),
            ((pl.col("resolved_at") - start).dt.total_milliseconds() / 1000.0)
            .alias("duration_s"),
            pl.lit("alert").alias("kind"), "severity", pl.col("rule").alias("what"),
            pl.col("summary").alias("detail"), pl.col("acked_by").alias("actor"),
            pl.col("resolved_at").is_null().alias("ongoing"),
            pl.col("facts") if "facts" in alerts.columns
            else pl.lit(None, pl.String).alias("facts")))
    if not events.is_empty():
        shown = events.filter(pl.col("kind").is_in(SHOWN_EVENTS))
        parts.append(shown.select(
            pl.col("ts").alias("start"), pl.lit(None, pl.Datetime("ms", "UTC")).alias("end"),
            pl.lit(None, pl.Float64).alias("duration_s"), "kind", "severity",
            pl.col("rule").alias("what"), "detail", "actor",
            pl.lit(False).alias("ongoing"), pl.lit(None, pl.String).alias("facts")))
    return (pl.concat([p.cast(TIMELINE_SCHEMA) for p in parts])
            .sort("start", descending=True, nulls_last=True))


def window(end: datetime, preset: str, tz: str) -> tuple[datetime, datetime, timedelta]:
    """(start, end, bucket) of a preset range ending at `end`; start on a bucket boundary,
    so the cache keys of a range stay the same for a whole bucket."""
    span, every = RANGES[preset]
    return floor_to(end - span, every, tz), end, every


def custom_window(first: date, last: date, now: datetime, tz: str
                  ) -> tuple[datetime, datetime, timedelta]:
    """(start, end, bucket) for whole local days `first`..`last`, ending no later than `now`.

    ValueError when `last` is before `first`, the span exceeds MAX_CUSTOM, or
    `first` is after `now`.
    """
    zone = ZoneInfo(tz)
    start = datetime.combine(first, time(0), zone)
    end = min(datetime.combine(last, time(0), zone) + DAY, now.astimezone(zone))
    if last < first or end - start > MAX_CUSTOM or end <= start:
        raise ValueError(f"custom range {first}..{last}: the start must come before the end, "
                         f"at most {MAX_CUSTOM.days} days, and not after now")
    return start, end, every_for(end - start)
