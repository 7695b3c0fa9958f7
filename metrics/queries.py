"""Pure polars queries over what `Store` returns: counter increases, centre status, KPIs.

No I/O and no clock: every function takes the frames and the moment (`now`) it
reasons about. Frames have the Store's columns (`metrics/store/__init__.py`); `ts` is
`Datetime("ms", "UTC")`. A missing value stays missing (None), never zero:
a gap in collection is not a quiet day.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from config.catalogue import COMPONENTS, STATE_DOWN, STATE_OK
from metrics.alerts import problems as problems_mod
from metrics.alerts.problems import Policy, problems
from metrics.kpi import plain_on_time

KEY = ["centre_id", "metric", "label"]
OK, DEGRADED, DOWN, STALE, NO_DATA = "ok", "degraded", "down", "stale", "no_data"
STATUSES = (OK, DEGRADED, DOWN, STALE, NO_DATA)
# Order of the lagging table: what needs a person first.
SEVERITY = {DOWN: 0, STALE: 1, DEGRADED: 2, NO_DATA: 3, OK: 4}
COMPONENT_METRICS = [f"component_{c}_state" for c in COMPONENTS]
# Gauges read from each centre's newest poll.
STATUS_GAUGES = ["system_state", "otp_p95_seconds", "otp_failure_ratio", "sync_lag_seconds",
                 "sync_unsynced_dossiers", "dossiers_overdue", "dossiers_open",
                 *COMPONENT_METRICS]
TODAY_COUNTERS = ["dossiers_received_total", "dossiers_resolved_total",
                  "dossiers_resolved_late_total"]


def _utc(when: datetime) -> datetime:
    """Compare in UTC: polars refuses to compare datetimes of different time zones."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: pass a timezone-aware datetime")
    return when.astimezone(UTC)


def increase(samples: pl.DataFrame, start: datetime, *, zero_start: bool = False
             ) -> pl.DataFrame:
    """How much each counter series grew after `start`, counting resets (any decrease).

    The baseline is the series' last sample at or before `start`. Without one,
    `zero_start=True` takes the counter to be 0 at `start` (right for the
    centres' "today" counters, which restart at local midnight); otherwise the
    first sample after `start` is the baseline. After a decrease (a reset) the
    new value is all increase. A series with no sample after `start` is
    absent. Columns: centre_id, metric, label, increase.
    """
    start = _utc(start)
    df = samples.select([*KEY, "ts", "value"]).sort([*KEY, "ts"])
    before = df.filter(pl.col("ts") <= start).group_by(KEY, maintain_order=True).last()
    after = df.filter(pl.col("ts") > start)
    if zero_start:
        missing = (after.select(KEY).unique(maintain_order=True)
                   .join(before.select(KEY), on=KEY, how="anti")
                   .with_columns(pl.lit(start).cast(df.schema["ts"]).alias("ts"),
                                 pl.lit(0.0).alias("value")))
        before = pl.concat([before, missing])
    # Only series with a sample after `start` count; their baseline rows join them.
    before = before.join(after.select(KEY).unique(), on=KEY, how="semi")
    steps = (pl.concat([before, after]).sort([*KEY, "ts"])
             .with_columns(pl.col("value").shift(1).over(KEY).alias("prev")))
    delta = (pl.when(pl.col("prev").is_null()).then(0.0)
             .when(pl.col("value") >= pl.col("prev")).then(pl.col("value") - pl.col("prev"))
             .otherwise(pl.col("value")))
    return (steps.with_columns(delta.alias("increase"))
            .group_by(KEY, maintain_order=True).agg(pl.col("increase").sum()))


def totals(increases: pl.DataFrame) -> dict[str, float]:
    """Sum of increases per metric over every centre; a metric with no series is absent."""
    rows = increases.group_by("metric").agg(pl.col("increase").sum()).iter_rows()
    return {metric: float(value) for metric, value in rows}


def centre_status(centres: pl.DataFrame, polls: pl.DataFrame, latest: pl.DataFrame,
                  now: datetime, policy: Policy) -> pl.DataFrame:
    """One row per centre: its status, the alert conditions it breaks and its gauges.

    `polls`: each centre's newest observed (not `skipped`) poll. Thresholds are the
    alert rules' (`metrics.alerts.problems.Policy`):
    - no_data: never observed; stale: newest poll older than `policy.stale_after_s`;
    - down: newest poll failed (unreachable), or the centre says its system is down
      (system_state 0, "soft down", when the down rule counts it);
    - degraded: a critical or warning threshold rule holds on the newest poll
      (`problems`, most severe first); ok: otherwise.
    Gauges come only from samples taken at the newest poll (`latest` rows whose
    ts equals the poll's), so a value from an older poll never passes as current.
    Columns: the centre's columns, last_poll (ts), poll_ok, reason, system_state,
    otp_p95_s, sync_lag_s, unsynced, overdue, open, bad_components (list), problems
    (list of rule names), status, and down_since / since_window_start (empty until
    `attach_down_since`).
    """
    newest = polls.select("centre_id", pl.col("ts").alias("last_poll"),
                          pl.col("ok").alias("poll_ok"), "reason")
    gauges = (latest.filter(pl.col("metric").is_in([*STATUS_GAUGES, *policy.metrics]))
              .join(newest, left_on=["centre_id", "ts"], right_on=["centre_id", "last_poll"])
              .select("centre_id", "metric", "label", "value"))
    wide = pl.DataFrame({"centre_id": centres["id"]})
    for metric, column in (("system_state", "system_state"), ("otp_p95_seconds", "otp_p95_s"),
                           ("sync_lag_seconds", "sync_lag_s"),
                           ("sync_unsynced_dossiers", "unsynced"),
                           ("dossiers_overdue", "overdue"), ("dossiers_open", "open")):
        values = gauges.filter(pl.col("metric") == metric).select(
            "centre_id", pl.col("value").alias(column))
        wide = wide.join(values, on="centre_id", how="left")
    bad = (gauges.filter(pl.col("metric").is_in(COMPONENT_METRICS)
                         & (pl.col("value") < STATE_OK))
           .with_columns(pl.col("metric").str.strip_prefix("component_")
                         .str.strip_suffix("_state"))
           .group_by("centre_id").agg(pl.col("metric").sort().alias("bad_components")))
    empty = pl.lit([], pl.List(pl.String))
    df = (centres.join(newest, left_on="id", right_on="centre_id", how="left")
          .join(wide, left_on="id", right_on="centre_id", how="left")
          .join(bad, left_on="id", right_on="centre_id", how="left")
          .join(problems(gauges, policy), left_on="id", right_on="centre_id", how="left")
          .with_columns(pl.col("bad_components").fill_null(empty),
                        pl.col("problems").fill_null(empty)))
    stale_before = _utc(now) - timedelta(seconds=policy.stale_after_s)
    soft_down = (pl.col("system_state") == STATE_DOWN).fill_null(False) & policy.system_down
    status = (pl.when(pl.col("last_poll").is_null()).then(pl.lit(NO_DATA))
              .when(pl.col("last_poll") < stale_before).then(pl.lit(STALE))
              .when(~pl.col("poll_ok")).then(pl.lit(DOWN))
              .when(soft_down).then(pl.lit(DOWN))
              .when(pl.col("problems").list.len() > 0).then(pl.lit(DEGRADED))
              .otherwise(pl.lit(OK)))
    return df.with_columns(status.alias("status"),
                           pl.lit(None, pl.Datetime("ms", "UTC")).alias("down_since"),
                           pl.lit(None, pl.Boolean).alias("since_window_start"))


def with_alerts(status: pl.DataFrame, open_alerts: pl.DataFrame, policy: Policy
                ) -> pl.DataFrame:
    """`centre_status` rows with the centres' open alerts folded in
    (`metrics.alerts.problems.with_alerts`)."""
    return problems_mod.with_alerts(status, open_alerts, policy, DOWN, DEGRADED, OK)


def attach_down_since(status: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """`status` with down_since / since_window_start from `down_since(...)`, for down centres."""
    joined = status.drop("down_since", "since_window_start").join(
        runs, left_on="id", right_on="centre_id", how="left")
    is_down = pl.col("status") == DOWN
    return joined.with_columns(pl.when(is_down).then(pl.col("down_since")),
                               pl.when(is_down).then(pl.col("since_window_start")))


def down_since(samples: pl.DataFrame) -> pl.DataFrame:
    """When each centre's current run of down polls began, from `up` and `system_state`.

    A poll is down when `up` is 0 or `system_state` is 0. The run starts at the
    first down poll after the last good one; when every poll in the window was
    down, it started at or before the first one (`since_window_start` is True).
    Centres whose newest poll is good are absent. Columns: centre_id,
    down_since, since_window_start.
    """
    by_poll = (samples.filter(pl.col("metric").is_in(["up", "system_state"]))
               .group_by("centre_id", "ts")
               .agg(((pl.col("metric") == "up") & (pl.col("value") == 0)).any().alias("a"),
                    ((pl.col("metric") == "system_state") & (pl.col("value") == STATE_DOWN))
                    .any().alias("b"))
               .with_columns((pl.col("a") | pl.col("b")).alias("down"))
               .sort("centre_id", "ts"))
    last_good = (by_poll.filter(~pl.col("down")).group_by("centre_id")
                 .agg(pl.col("ts").max().alias("good")))
    runs = (by_poll.join(last_good, on="centre_id", how="left")
            .filter(pl.col("good").is_null() | (pl.col("ts") > pl.col("good")))
            .group_by("centre_id", maintain_order=True)
            .agg(pl.col("ts").min().alias("down_since"), pl.col("good").first().is_null()
                 .alias("since_window_start")))
    return runs


def lagging(status: pl.DataFrame, limit: int = 8) -> pl.DataFrame:
    """The centres that need attention, worst first; `ok` centres never appear.

    Down (longest first), then stale (oldest data first), then degraded (most severe
    problem first — critical before warning —, then the longest-open alert, then worst
    sync lag, most overdue dossiers, slowest OTP), then no data.
    """
    time_key = (pl.when(pl.col("status") == DOWN).then(pl.col("down_since"))
                .when(pl.col("status") == STALE).then(pl.col("last_poll"))
                .otherwise(pl.col("problem_since")))
    return (status.filter(pl.col("status") != OK)
            .with_columns(pl.col("status").replace_strict(SEVERITY).alias("_rank"),
                          time_key.alias("_t"))
            .sort(["_rank", "problem_rank", "_t", "sync_lag_s", "overdue", "otp_p95_s"],
                  descending=[False, False, False, True, True, True], nulls_last=True)
            .drop("_rank", "_t").head(limit))


@dataclass(frozen=True, slots=True)
class Kpis:
    """The wall's tiles. None means "no data", which the page never shows as zero."""

    centres_total: int
    counts: dict[str, int]  # status -> number of centres
    received: int | None
    resolved: int | None
    late: int | None
    on_time_rate: float | None  # kpi.plain_on_time of today: (resolved − late) ÷ resolved
    overdue: int | None  # open past their deadline now (fresh centres)
    otp_p95_median_s: float | None  # median over fresh answering centres
    otp_p95_worst_s: float | None
    otp_p95_worst_centre: str | None
    sync_lag_worst_s: float | None
    sync_lag_worst_centre: str | None

    @property
    def centres_up(self) -> int:
        """Centres answering with fresh data and a system that is not down."""
        return self.counts.get(OK, 0) + self.counts.get(DEGRADED, 0)


def _worst(fresh: pl.DataFrame, column: str) -> tuple[float | None, str | None]:
    rows = fresh.drop_nulls(column).sort(column, descending=True).head(1)
    return (None, None) if rows.is_empty() else (float(rows[column][0]), rows["name"][0])


def kpis(status: pl.DataFrame, today: dict[str, float]) -> Kpis:
    """Tiles from `centre_status` rows and `totals` of today's counter increases."""
    counts = {s: 0 for s in STATUSES} | dict(
        status.group_by("status").len().iter_rows())
    fresh = status.filter(pl.col("status").is_in([OK, DEGRADED, DOWN]))
    received = today.get("dossiers_received_total")
    resolved = today.get("dossiers_resolved_total")
    late = today.get("dossiers_resolved_late_total")
    on_time = plain_on_time(resolved, late)
    otps = fresh["otp_p95_s"].drop_nulls().to_list()
    overdue = fresh["overdue"].drop_nulls()
    otp_worst, otp_centre = _worst(fresh, "otp_p95_s")
    lag_worst, lag_centre = _worst(fresh, "sync_lag_s")
    return Kpis(
        centres_total=status.height, counts=counts,
        received=None if received is None else round(received),
        resolved=None if resolved is None else round(resolved),
        late=None if late is None else round(late), on_time_rate=on_time,
        overdue=None if overdue.is_empty() else round(overdue.sum()),
        otp_p95_median_s=statistics.median(otps) if otps else None,
        otp_p95_worst_s=otp_worst, otp_p95_worst_centre=otp_centre,
        sync_lag_worst_s=lag_worst, sync_lag_worst_centre=lag_centre)
