"""Pure views over alert frames (`metrics.alerts.read`): board order, durations, recovery.

No I/O and no clock: `now` is passed in. A pending alert has not fired yet;
only alerts that fired count as outages in time-to-recover.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import polars as pl

from metrics.alerts.lifecycle import AlertState, Silence, silence_of
from metrics.alerts.rules import INCIDENT_PREFIX

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
# Acting on an alert of these severities (acknowledge, silence) asks for confirmation first.
CONFIRM_SEVERITIES = ("critical",)
HANDLING_SCHEMA = pl.Schema({"silenced_until": pl.Datetime("ms", "UTC"),
                             "silenced_by": pl.String()})
ACTIVE = ("firing", "pending")
TTR_SCHEMA = pl.Schema({"centre_id": pl.String, "recovered": pl.UInt32, "median_s": pl.Float64,
                        "max_s": pl.Float64})


def active_at(alerts: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Alerts that were firing at `at` (for replaying a past moment): fired by then and not
    resolved by then."""
    fired = pl.col("firing_since").is_not_null() & (pl.col("firing_since") <= at)
    open_then = pl.col("resolved_at").is_null() | (pl.col("resolved_at") > at)
    return alerts.filter(fired & open_then)


def open_at(alerts: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Alerts open at `at` (for replaying a past moment): pending by then and not resolved by
    then, with `state` as it was at `at` (firing once `firing_since` had passed)."""
    began = pl.col("pending_since") <= at
    open_then = pl.col("resolved_at").is_null() | (pl.col("resolved_at") > at)
    fired = pl.col("firing_since").is_not_null() & (pl.col("firing_since") <= at)
    return (alerts.filter(began & open_then)
            .with_columns(pl.when(fired).then(pl.lit("firing")).otherwise(pl.lit("pending"))
                          .alias("state")))


def phases(alerts: pl.DataFrame, in_maintenance: Callable[[dict[str, str]], bool]
           ) -> pl.DataFrame:
    """Open alerts with `phase`, what a person reads beside each: `inhibited` (muted by
    another alert, e.g. its centre down or a province-wide cause), `maintenance` (inside a
    maintenance window: `in_maintenance(labels)`), `pending` (seen, not yet firing) or
    `firing`."""
    if alerts.is_empty():
        return alerts.with_columns(pl.lit(None, pl.String).alias("phase"))
    windowed = [in_maintenance(json.loads(labels) if labels else {})
                for labels in alerts["labels"].to_list()]
    phase = (pl.when(pl.col("inhibited_by").is_not_null()).then(pl.lit("inhibited"))
             .when(pl.Series(windowed, dtype=pl.Boolean)).then(pl.lit("maintenance"))
             .when(pl.col("state") == "pending").then(pl.lit("pending"))
             .otherwise(pl.lit("firing")))
    return alerts.with_columns(phase.alias("phase"))


def timing(alerts: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """`alerts` in their order with `since` (firing, else pending) and `duration_s` until
    resolution or `now` (a page already in board order, `alerts_read.history_page`)."""
    since = pl.coalesce("firing_since", "pending_since")
    end = pl.coalesce(pl.col("resolved_at"), pl.lit(now).cast(alerts.schema["pending_since"]))
    return (alerts.with_columns(since.alias("since"))
            .with_columns(((end - pl.col("since")).dt.total_milliseconds() / 1000)
                          .alias("duration_s")))


def board(alerts: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Alerts most urgent first (critical, then oldest; ties keep their order), with
    `since` (firing, else pending) and `duration_s` until resolution or `now`."""
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=9, return_dtype=pl.Int64)
    return (timing(alerts, now).with_columns(rank.alias("_rank"))
            .sort(["_rank", "since"], maintain_order=True).drop("_rank"))


def fold_incidents(board: pl.DataFrame) -> pl.DataFrame:
    """`board` with the centre alerts of each open incident in it folded into the incident's
    row, order kept: the incident row's `grouped` lists its centres (the `centre` name where
    known, else the id, sorted), the open centre alerts of its rule and province are left
    out; every other row has an empty `grouped`."""
    rows = list(board.iter_rows(named=True))

    def incident(r: dict) -> bool:
        return r["fingerprint"].startswith(INCIDENT_PREFIX)

    keys = {(r["rule"], r["province_code"]) for r in rows if incident(r) and r["state"] in ACTIVE}

    def member(r: dict) -> bool:
        return (not incident(r) and r["centre_id"] is not None and r["state"] in ACTIVE
                and (r["rule"], r["province_code"]) in keys)

    grouped: dict[tuple[str, int], list[str]] = {k: [] for k in keys}
    for r in rows:
        if member(r):
            grouped[(r["rule"], r["province_code"])].append(r.get("centre") or r["centre_id"])
    lists = [sorted(grouped.get((r["rule"], r["province_code"]), [])) if incident(r) else []
             for r in rows if not member(r)]
    folded = board.filter(pl.Series([not member(r) for r in rows], dtype=pl.Boolean))
    return folded.with_columns(pl.Series("grouped", lists, dtype=pl.List(pl.String)))


def critical_provinces(alerts: pl.DataFrame) -> tuple[bool, set[int]]:
    """(any critical alert at all, the provinces that have one) among `alerts`."""
    critical = alerts.filter(pl.col("severity") == "critical")
    return critical.height > 0, set(critical["province_code"].drop_nulls().to_list())


def needs_confirmation(severity: str) -> bool:
    """Whether acting on an alert of `severity` must be confirmed by the person first."""
    return severity in CONFIRM_SEVERITIES


def with_handling(alerts: pl.DataFrame, silences: Sequence[Silence], at: datetime
                  ) -> pl.DataFrame:
    """`alerts` (`alerts_read.ALERT_SCHEMA` rows) with what people did about each as of
    `at`: `silenced_until` and `silenced_by` of the silence in force at `at` that mutes it
    (the one ending last; null when none), and the acknowledgement (`acked_by`, `acked_at`,
    `ack_note`) cleared where it came after `at` (replaying a past moment)."""
    at_ms = int(at.timestamp() * 1000)
    until: list[datetime | None] = []
    by: list[str | None] = []
    for row in alerts.select("rule", "centre_id", "labels").iter_rows(named=True):
        probe = AlertState("", row["rule"], "", row["centre_id"], None,
                           json.loads(row["labels"] or "{}"), "", "", None, "firing", 0, 0)
        best = silence_of(probe, silences, at_ms)
        until.append(None if best is None else datetime.fromtimestamp(best.ends_at / 1000, UTC))
        by.append(None if best is None else best.created_by)
    later = pl.col("acked_at").is_not_null() & (pl.col("acked_at") > at)
    return alerts.with_columns(
        pl.Series("silenced_until", until, dtype=HANDLING_SCHEMA["silenced_until"]),
        pl.Series("silenced_by", by, dtype=pl.String),
        *(pl.when(later).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("acked_by", "acked_at", "ack_note")))


def split(alerts: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The alerts page's three lists: active (not acknowledged), acknowledged (still open),
    resolved."""
    is_open = pl.col("state").is_in(ACTIVE)
    acked = pl.col("acked_at").is_not_null()
    return {"active": alerts.filter(is_open & ~acked),
            "acknowledged": alerts.filter(is_open & acked),
            "resolved": alerts.filter(pl.col("state") == "resolved")}


def filter_history(alerts: pl.DataFrame, *, severities: list[str] | None = None,
                   rules: list[str] | None = None, centre_ids: list[str] | None = None,
                   states: list[str] | None = None) -> pl.DataFrame:
    """`alerts` restricted to the chosen values; an empty or None choice keeps everything."""
    out = alerts
    for column, chosen in (("severity", severities), ("rule", rules),
                           ("centre_id", centre_ids), ("state", states)):
        if chosen:
            out = out.filter(pl.col(column).is_in(chosen))
    return out


def time_to_recover(alerts: pl.DataFrame) -> pl.DataFrame:
    """Per centre, over alerts that fired and resolved: how many, median and longest time
    from firing to resolution (seconds), slowest median first. Columns: `TTR_SCHEMA`."""
    done = alerts.filter(pl.col("centre_id").is_not_null()
                         & pl.col("firing_since").is_not_null()
                         & pl.col("resolved_at").is_not_null())
    if done.is_empty():
        return pl.DataFrame(schema=TTR_SCHEMA)
    seconds = (pl.col("resolved_at") - pl.col("firing_since")).dt.total_milliseconds() / 1000
    return (done.with_columns(seconds.alias("s")).group_by("centre_id")
            .agg(pl.len().alias("recovered"), pl.col("s").median().alias("median_s"),
                 pl.col("s").max().alias("max_s"))
            .sort(["median_s", "centre_id"], descending=[True, False])
            .cast(TTR_SCHEMA))
