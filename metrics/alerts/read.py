"""Reading alerts for the dashboard: alert instances, their events and the outbox as polars frames.

The alert engine (`metrics/alerts/`) writes the tables; this module only reads
them through metrics/store/alerts_read.py, one query per call for the whole fleet (never
one per centre). Every
frame has an explicit schema, so an empty result still has its columns and
dtypes; times are Datetime("ms", "UTC"). The alerts page's history is filtered,
ordered and paged in SQL (`history_page`), and counted and summarised there
(`overview`, `time_to_recover`): a national month is 100,000 rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from metrics.alerts.lifecycle import Silence
from metrics.alerts.stats import ACTIVE, SEVERITY_ORDER, TTR_SCHEMA
from metrics.store import Store, to_ms
from metrics.store import alerts_read as table

TIME = pl.Datetime("ms", "UTC")
ALERT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "fingerprint": pl.String(), "rule": pl.String(), "severity": pl.String(),
    "centre_id": pl.String(), "province_code": pl.Int64(), "labels": pl.String(),
    "summary": pl.String(), "cause": pl.String(), "value": pl.Float64(), "state": pl.String(),
    "pending_since": TIME, "firing_since": TIME, "resolved_at": TIME, "last_eval": TIME,
    "last_notified": TIME, "acked_by": pl.String(), "acked_at": TIME, "ack_note": pl.String(),
    "inhibited_by": pl.String(), "facts": pl.String(),
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "alert_id": pl.Int64(), "ts": TIME, "kind": pl.String(), "actor": pl.String(),
    "detail": pl.String(), "rule": pl.String(), "severity": pl.String(), "centre_id": pl.String(),
    "summary": pl.String(),
}
NOTIFICATION_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "channel": pl.String(), "group_key": pl.String(), "status": pl.String(),
    "state": pl.String(), "attempts": pl.Int64(), "next_attempt": TIME, "last_error": pl.String(),
    "created_at": TIME, "sent_at": TIME,
}


def _frame(rows: list[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`rows` (tuples of exactly `schema`'s columns, in order) as a typed frame."""
    raw = {name: (pl.Int64() if dtype == TIME else dtype) for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    times = [name for name, dtype in schema.items() if dtype == TIME]
    return frame.with_columns(pl.col(times).cast(TIME)) if times else frame


def alerts(store: Store, start: datetime, end: datetime, *,
           centre_ids: Sequence[str] | None = None,
           states: Sequence[str] | None = None,
           provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Alert instances alive at any moment in [start, end]: started by `end` and not
    resolved before `start`, newest first. Columns: `ALERT_SCHEMA`.

    `centre_ids` and `provinces` (a dashboard scope, config/scope.py): only the alerts
    of those centres and, with `provinces`, the province-wide ones (no centre) of those."""
    rows = table.alive_alerts(store.engine, ALERT_SCHEMA, to_ms(start), to_ms(end),
                              centre_ids=centre_ids, states=states, provinces=provinces)
    return _frame(rows, ALERT_SCHEMA)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """The alerts page's history filters; an empty or None choice keeps everything
    (as `alert_stats.filter_history`). `centres` are chosen centre ids: they narrow the
    scope, never widen it."""

    severities: tuple[str, ...] | None = None
    rules: tuple[str, ...] | None = None
    centres: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None

    def chosen(self) -> list[tuple[str, list[str]]]:
        """(alerts column, the values kept) for each filter that keeps only some."""
        return [(column, list(values)) for column, values in (
            ("severity", self.severities), ("rule", self.rules), ("centre_id", self.centres),
            ("state", self.states)) if values]


def history_page(store: Store, start: datetime, end: datetime, *, limit: int, offset: int = 0,
                 chosen: HistoryFilter = HistoryFilter(),
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """One page of the alerts alive in [start, end] that match `chosen`, in
    `alert_stats.board` order: rows offset … offset + limit. `centre_ids`/`provinces`
    as in `alerts`. Columns: `ALERT_SCHEMA`. (`alert_stats.board`'s order: severity,
    critical first, then the oldest `since`, firing else pending; ties newest first.)"""
    rows = table.alive_alerts_page(store.engine, ALERT_SCHEMA, to_ms(start), to_ms(end),
                                   limit=limit, offset=offset, chosen=chosen.chosen(),
                                   severity_order=SEVERITY_ORDER, centre_ids=centre_ids,
                                   provinces=provinces)
    return _frame(rows, ALERT_SCHEMA)


GROUP_SCHEMA: dict[str, pl.DataType] = {
    "state": pl.String(), "acked": pl.Boolean(), "severity": pl.String(), "rule": pl.String(),
    "centre_id": pl.String(), "n": pl.Int64()}


@dataclass(frozen=True)
class Overview:
    """The alerts page's period at a glance (`overview`)."""

    counts: dict[str, int]  # active (open, not acknowledged), acknowledged (open), resolved
    severities: list[str]  # the values present, for the filters (most severe first)
    rules: list[str]
    centre_ids: list[str]  # not null
    groups: pl.DataFrame  # alerts per combination present: GROUP_SCHEMA

    def matching(self, chosen: HistoryFilter) -> int:
        """How many alerts of the period `chosen` keeps: the rows `history_page` pages
        through (the filters' columns are the groups' own, so no other query is needed)."""
        kept = self.groups
        for column, values in chosen.chosen():
            kept = kept.filter(pl.col(column).is_in(values))
        return int(kept["n"].sum())


def overview(store: Store, start: datetime, end: datetime, *,
             centre_ids: Sequence[str] | None = None,
             provinces: Sequence[int] | None = None) -> Overview:
    """The alerts alive in [start, end] counted per list (as `alert_stats.split`), the
    distinct severities, rules and centres among them, and their counts per combination
    of the history's filters: one grouped query (one row per combination present, not
    per alert); `centre_ids`/`provinces` as in `alerts`."""
    rows = table.alert_groups(store.engine, to_ms(start), to_ms(end), centre_ids=centre_ids,
                              provinces=provinces)
    groups = pl.DataFrame(rows, schema=GROUP_SCHEMA, orient="row")
    is_open = pl.col("state").is_in(ACTIVE)
    counts = {"active": groups.filter(is_open & ~pl.col("acked"))["n"].sum(),
              "acknowledged": groups.filter(is_open & pl.col("acked"))["n"].sum(),
              "resolved": groups.filter(pl.col("state") == "resolved")["n"].sum()}
    return Overview({k: int(v) for k, v in counts.items()},
                    sorted(groups["severity"].unique(),
                           key=lambda s: (SEVERITY_ORDER.get(s, 9), s)),
                    sorted(groups["rule"].unique()),
                    sorted(groups["centre_id"].drop_nulls().unique()), groups)


def time_to_recover(store: Store, start: datetime, end: datetime, *,
                    centre_ids: Sequence[str] | None = None,
                    provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """`alert_stats.time_to_recover` of the alerts alive in [start, end], aggregated in
    the database: per centre, over alerts that fired and resolved, how many, the median
    (the middle one, or the mean of the middle two) and longest seconds from firing to
    resolution, slowest median first. Columns: `TTR_SCHEMA`."""
    rows = table.recovery_by_centre(store.engine, to_ms(start), to_ms(end),
                                    centre_ids=centre_ids, provinces=provinces)
    return (pl.DataFrame(rows, schema=TTR_SCHEMA, orient="row")
            .sort(["median_s", "centre_id"], descending=[True, False]))


def alert_events(store: Store, start: datetime, end: datetime, *,
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Events in [start, end] with their alert's rule, severity and centre, newest first;
    `centre_ids`/`provinces` as in `alerts`. Columns: `EVENT_SCHEMA`."""
    rows = table.event_rows(store.engine, to_ms(start), to_ms(end), centre_ids=centre_ids,
                            provinces=provinces)
    return _frame(rows, EVENT_SCHEMA)


def notifications(store: Store, *, states: Sequence[str] | None = ("retrying", "pending"),
                  failed_only: bool = True, limit: int = 200) -> pl.DataFrame:
    """Outbox rows not yet delivered (by default: `states`, and only those with an error),
    newest first, at most `limit`. Payloads are left out (they can be large).
    Columns: `NOTIFICATION_SCHEMA`."""
    rows = table.notification_rows(store.engine, NOTIFICATION_SCHEMA, states=states,
                                   failed_only=failed_only, limit=limit)
    return _frame(rows, NOTIFICATION_SCHEMA)


def silences_at(store: Store, at: datetime) -> list[Silence]:
    """The silences in force at `at`: begun by then, not ended, not cancelled by then."""
    rows = table.silences_at(store.engine, to_ms(at))
    return [Silence(r["id"], json.loads(r["matchers"]), r["starts_at"], r["ends_at"],
                    r["created_by"], r["reason"]) for r in rows]


def version(store: Store) -> tuple[int, int, int]:
    """A cheap freshness key for the alert tables: (newest alert id, newest event id,
    newest evaluation time in ms). It changes whenever the engine or a person writes."""
    return table.version(store.engine)
