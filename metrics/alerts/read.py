"""Reading alerts for the dashboard: alert instances, their events and the outbox as polars frames.

The alert engine (`metrics/alerts/`) writes the tables; this module only reads
them, one query per call for the whole fleet (never one per centre). Every
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
import sqlalchemy as sa

from metrics.alerts.lifecycle import Silence
from metrics.alerts.stats import ACTIVE, SEVERITY_ORDER, TTR_SCHEMA
from metrics.store import Store, to_ms
from metrics.store import schema as t

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


def _frame(store: Store, stmt: sa.Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows of `stmt` (selecting exactly `schema`'s columns, in order) as a typed frame."""
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    raw = {name: (pl.Int64 if dtype == TIME else dtype) for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    times = [name for name, dtype in schema.items() if dtype == TIME]
    return frame.with_columns(pl.col(times).cast(TIME)) if times else frame


def _in_scope(a: sa.Table, centre_ids: Sequence[str] | None,
              provinces: Sequence[int] | None) -> sa.ColumnElement[bool] | None:
    """Alerts of `centre_ids`, plus those without a centre in `provinces` (a scope's
    province-wide alerts); None: no filter."""
    if centre_ids is None and provinces is None:
        return None
    parts: list[sa.ColumnElement[bool]] = []
    if centre_ids is not None:
        parts.append(a.c.centre_id.in_(list(centre_ids)))
    if provinces is not None:
        parts.append(sa.and_(a.c.centre_id.is_(None), a.c.province_code.in_(list(provinces))))
    return sa.or_(*parts)


def _alive(a: sa.Table, start: datetime, end: datetime, centre_ids: Sequence[str] | None,
           provinces: Sequence[int] | None) -> list[sa.ColumnElement[bool]]:
    """Alive at some moment in [start, end] (started by `end`, not resolved before
    `start`) and in the scope (`_in_scope`)."""
    where = [a.c.pending_since <= to_ms(end),
             sa.or_(a.c.resolved_at.is_(None), a.c.resolved_at >= to_ms(start))]
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        where.append(scoped)
    return where


def alerts(store: Store, start: datetime, end: datetime, *,
           centre_ids: Sequence[str] | None = None,
           states: Sequence[str] | None = None,
           provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Alert instances alive at any moment in [start, end]: started by `end` and not
    resolved before `start`, newest first. Columns: `ALERT_SCHEMA`.

    `centre_ids` and `provinces` (a dashboard scope, config/scope.py): only the alerts
    of those centres and, with `provinces`, the province-wide ones (no centre) of those."""
    a = t.alerts
    stmt = (sa.select(*(a.c[name] for name in ALERT_SCHEMA))
            .where(*_alive(a, start, end, centre_ids, provinces))
            .order_by(a.c.pending_since.desc(), a.c.id.desc()))
    if states is not None:
        stmt = stmt.where(a.c.state.in_(list(states)))
    return _frame(store, stmt, ALERT_SCHEMA)


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

    def where(self, a: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [a.c[column].in_(values) for column, values in self.chosen()]


def _board_order(a: sa.Table) -> list[sa.ColumnElement]:
    """`alert_stats.board`'s order in SQL: severity (critical first), then the oldest
    `since` (firing, else pending); ties as `alerts` lists them (newest first)."""
    rank = sa.case(SEVERITY_ORDER, value=a.c.severity, else_=9)
    since = sa.func.coalesce(a.c.firing_since, a.c.pending_since)
    return [rank, since, a.c.pending_since.desc(), a.c.id.desc()]


def history_page(store: Store, start: datetime, end: datetime, *, limit: int, offset: int = 0,
                 chosen: HistoryFilter = HistoryFilter(),
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """One page of the alerts alive in [start, end] that match `chosen`, in
    `alert_stats.board` order: rows offset … offset + limit. `centre_ids`/`provinces`
    as in `alerts`. Columns: `ALERT_SCHEMA`."""
    a = t.alerts
    stmt = (sa.select(*(a.c[name] for name in ALERT_SCHEMA))
            .where(*_alive(a, start, end, centre_ids, provinces), *chosen.where(a))
            .order_by(*_board_order(a)).limit(limit).offset(offset))
    return _frame(store, stmt, ALERT_SCHEMA)


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
    a = t.alerts
    acked = sa.case((a.c.acked_at.is_(None), 0), else_=1)
    stmt = (sa.select(a.c.state, acked, a.c.severity, a.c.rule, a.c.centre_id, sa.func.count())
            .where(*_alive(a, start, end, centre_ids, provinces))
            .group_by(a.c.state, acked, a.c.severity, a.c.rule, a.c.centre_id))
    with store.engine.connect() as conn:
        rows = [(state, bool(ack), sev, rule, cid, int(n))
                for state, ack, sev, rule, cid, n in conn.execute(stmt)]
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
    a = t.alerts
    ms = (a.c.resolved_at - a.c.firing_since).label("ms")
    done = (sa.select(a.c.centre_id, ms)
            .where(*_alive(a, start, end, centre_ids, provinces), a.c.centre_id.is_not(None),
                   a.c.firing_since.is_not(None), a.c.resolved_at.is_not(None))
            .subquery("done"))
    ranked = sa.select(
        done.c.centre_id, done.c.ms,
        sa.func.row_number().over(partition_by=done.c.centre_id,
                                  order_by=done.c.ms).label("rn"),
        sa.func.count().over(partition_by=done.c.centre_id).label("n"),
        sa.func.max(done.c.ms).over(partition_by=done.c.centre_id).label("longest"),
    ).subquery("ranked")
    # The middle row (n odd), or the middle two (n even): 2·rn in [n, n + 2].
    middle = (2 * ranked.c.rn >= ranked.c.n) & (2 * ranked.c.rn <= ranked.c.n + 2)
    stmt = (sa.select(ranked.c.centre_id, sa.func.max(ranked.c.n), sa.func.avg(ranked.c.ms),
                      sa.func.max(ranked.c.longest))
            .where(middle).group_by(ranked.c.centre_id))
    with store.engine.connect() as conn:
        rows = [(cid, int(n), float(med) / 1000, float(top) / 1000)
                for cid, n, med, top in conn.execute(stmt)]
    return (pl.DataFrame(rows, schema=TTR_SCHEMA, orient="row")
            .sort(["median_s", "centre_id"], descending=[True, False]))


def alert_events(store: Store, start: datetime, end: datetime, *,
                 centre_ids: Sequence[str] | None = None,
                 provinces: Sequence[int] | None = None) -> pl.DataFrame:
    """Events in [start, end] with their alert's rule, severity and centre, newest first;
    `centre_ids`/`provinces` as in `alerts`. Columns: `EVENT_SCHEMA`."""
    e, a = t.alert_events, t.alerts
    stmt = (
        sa.select(e.c.id, e.c.alert_id, e.c.ts, e.c.kind, e.c.actor, e.c.detail,
                  a.c.rule, a.c.severity, a.c.centre_id, a.c.summary)
        .join(a, a.c.id == e.c.alert_id)
        .where(e.c.ts >= to_ms(start), e.c.ts <= to_ms(end))
        .order_by(e.c.ts.desc(), e.c.id.desc())
    )
    if (scoped := _in_scope(a, centre_ids, provinces)) is not None:
        stmt = stmt.where(scoped)
    return _frame(store, stmt, EVENT_SCHEMA)


def notifications(store: Store, *, states: Sequence[str] | None = ("retrying", "pending"),
                  failed_only: bool = True, limit: int = 200) -> pl.DataFrame:
    """Outbox rows not yet delivered (by default: `states`, and only those with an error),
    newest first, at most `limit`. Payloads are left out (they can be large).
    Columns: `NOTIFICATION_SCHEMA`."""
    n = t.notifications
    stmt = (sa.select(*(n.c[name] for name in NOTIFICATION_SCHEMA))
            .order_by(n.c.created_at.desc(), n.c.id.desc()).limit(limit))
    if states is not None:
        stmt = stmt.where(n.c.state.in_(list(states)))
    if failed_only:
        stmt = stmt.where(n.c.last_error != "")
    return _frame(store, stmt, NOTIFICATION_SCHEMA)


def silences_at(store: Store, at: datetime) -> list[Silence]:
    """The silences in force at `at`: begun by then, not ended, not cancelled by then."""
    s, ms = t.silences, to_ms(at)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(s).where(
            s.c.starts_at <= ms, s.c.ends_at > ms,
            sa.or_(s.c.cancelled_at.is_(None), s.c.cancelled_at > ms))).mappings().all()
    return [Silence(r["id"], json.loads(r["matchers"]), r["starts_at"], r["ends_at"],
                    r["created_by"], r["reason"]) for r in rows]


def version(store: Store) -> tuple[int, int, int]:
    """A cheap freshness key for the alert tables: (newest alert id, newest event id,
    newest evaluation time in ms). It changes whenever the engine or a person writes."""
    a, e = t.alerts, t.alert_events
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.select(sa.func.max(a.c.id)).scalar_subquery(),
            sa.select(sa.func.max(e.c.id)).scalar_subquery(),
            sa.select(sa.func.max(a.c.last_eval)).scalar_subquery())).one()
    alert_id, event_id, last_eval = (int(v or 0) for v in row)
    return alert_id, event_id, last_eval
