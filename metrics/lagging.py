"""The lagging-commune finder's rules, pure: per-centre figures and which rules each breaks.

A rule is "metric comparison threshold" (e.g. on-time rate today below 0.9).
A centre breaks it only when it has a value: a missing figure (no data, stale
centre) breaks nothing here; its status column says why it is missing.
Ratios are in [0, 1], durations in seconds, counts in dossiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import polars as pl

from metrics import queries as q

# The finder's metrics and how a person reads them (display = value × scale).
METRICS: dict[str, float] = {
    "on_time_rate_today": 100.0,  # ratio → %
    "availability_24h": 100.0,  # ratio → %
    "sync_lag_s": 1 / 60,  # s → min
    "otp_p95_s": 1.0,  # s
    "overdue": 1.0,  # dossiers
    "unsynced": 1.0,  # dossiers
}
Comparison = Literal["below", "above"]
# Gauges that only count while a centre's data is fresh (a stale value is no current state).
GAUGE_COLUMNS = ["sync_lag_s", "otp_p95_s", "overdue", "unsynced"]
FRESH = [q.OK, q.DEGRADED, q.DOWN]


@dataclass(frozen=True, slots=True)
class Rule:
    """`metric` `comparison` `threshold` breaks the rule; `label` names it (None: metric's name)."""

    metric: str
    comparison: Comparison
    threshold: float
    label: str | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"lagging rule: unknown metric {self.metric!r} "
                             f"(one of {', '.join(METRICS)})")
        if self.comparison not in ("below", "above"):
            raise ValueError(f"lagging rule {self.metric}: comparison must be 'below' or "
                             f"'above', not {self.comparison!r}")

    def broken(self) -> pl.Expr:
        """True where the row's value breaks the rule; False where the value is missing."""
        col = pl.col(self.metric)
        hit = col < self.threshold if self.comparison == "below" else col > self.threshold
        return hit.fill_null(False)


class RuleSpec(Protocol):
    """What `rules_from` reads of a configured rule (settings' LaggingRule has it)."""

    @property
    def metric(self) -> str: ...
    @property
    def comparison(self) -> Comparison: ...
    @property
    def threshold(self) -> float: ...
    @property
    def label(self) -> str | None: ...


def rules_from(items: Iterable[RuleSpec]) -> list[Rule]:
    """Rules from objects with metric/comparison/threshold/label (e.g. settings' LaggingRule)."""
    return [Rule(r.metric, r.comparison, float(r.threshold), r.label) for r in items]


def on_time_today(increases: pl.DataFrame) -> pl.DataFrame:
    """Per centre from today's `queries.increase` rows: received, resolved, on-time rate.

    on_time_rate_today = (resolved − resolved late) ÷ resolved; None when
    nothing was resolved (no rate, not 100 %). Columns: centre_id,
    received_today, resolved_today, on_time_rate_today.
    """
    wide = {m: increases.filter(pl.col("metric") == m)
            .group_by("centre_id").agg(pl.col("increase").sum().alias(m))
            for m in q.TODAY_COUNTERS}
    ids = increases.select("centre_id").unique()
    for frame in wide.values():
        ids = ids.join(frame, on="centre_id", how="left")
    resolved = pl.col("dossiers_resolved_total")
    rate = (pl.when(resolved > 0)
            .then((resolved - pl.col("dossiers_resolved_late_total").fill_null(0)) / resolved))
    return ids.select("centre_id", pl.col("dossiers_received_total").alias("received_today"),
                      resolved.alias("resolved_today"), rate.alias("on_time_rate_today"))


def availability_24h(summary: pl.DataFrame) -> pl.DataFrame:
    """The finder's columns from `metrics.availability.summarise` over the last 24 h:
    centre_id, availability_24h (time up ÷ time known; None when none is known) and
    unknown_24h_s (time no poll covers)."""
    return summary.select("centre_id", pl.col("availability").alias("availability_24h"),
                          pl.col("unknown_s").alias("unknown_24h_s"))


def centre_metrics(status: pl.DataFrame, today: pl.DataFrame,
                   avail: pl.DataFrame) -> pl.DataFrame:
    """One row per centre: its `queries.centre_status` columns plus the finder's metrics.

    Gauges of a stale or never-polled centre are blanked: they are no current state.
    """
    fresh = pl.col("status").is_in(FRESH)
    return (status.join(today, left_on="id", right_on="centre_id", how="left")
            .join(avail, left_on="id", right_on="centre_id", how="left")
            .with_columns(pl.when(fresh).then(pl.col(c)).alias(c) for c in GAUGE_COLUMNS))


# Statuses that are problems in themselves (the alert rules': down, stale, degraded).
PROBLEM_STATUSES = [q.DOWN, q.STALE, q.DEGRADED]


def evaluate(table: pl.DataFrame, rules: Sequence[Rule]) -> pl.DataFrame:
    """`table` with `broken` (the indices into `rules` of the service-level rules each row
    breaks) and `lagging`: a problem status (down, stale, degraded: the alert rules') or at
    least one rule broken."""
    if not rules:
        broken = pl.lit([], pl.List(pl.Int64))
    else:
        hits = [pl.when(rule.broken()).then(pl.lit(i, pl.Int64)) for i, rule in enumerate(rules)]
        broken = pl.concat_list(hits).list.drop_nulls()
    return (table.with_columns(broken.alias("broken"))
            .with_columns((pl.col("status").is_in(PROBLEM_STATUSES)
                           | (pl.col("broken").list.len() > 0)).alias("lagging")))


def select_rows(table: pl.DataFrame, *, provinces: Sequence[int] | None = None,
                kinds: Sequence[str] | None = None, only_lagging: bool = False,
                ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Rows of an `evaluate`d table in the chosen provinces/kinds/ids (None: all), optionally
    only the lagging ones; worst first: down now (longest first), stale, degraded (most
    severe problem, longest open), then by service-level rules broken, then by name."""
    df = table
    if provinces is not None:
        df = df.filter(pl.col("province_code").is_in(list(provinces)))
    if kinds is not None:
        df = df.filter(pl.col("kind").is_in(list(kinds)))
    if ids is not None:
        df = df.filter(pl.col("id").is_in(list(ids)))
    if only_lagging:
        df = df.filter(pl.col("lagging"))
    time_key = (pl.when(pl.col("status") == q.DOWN).then(pl.col("down_since"))
                .when(pl.col("status") == q.STALE).then(pl.col("last_poll"))
                .when(pl.col("status") == q.DEGRADED).then(pl.col("problem_since")))
    rank = pl.col("status").replace_strict(q.SEVERITY, default=9, return_dtype=pl.Int64)
    return (df.with_columns(rank.alias("_rank"), time_key.alias("_t"),
                            pl.col("broken").list.len().alias("_n"))
            .sort(["_rank", "problem_rank", "_t", "_n", "name"],
                  descending=[False, False, False, True, False], nulls_last=True)
            .drop("_rank", "_t", "_n"))


def to_display(metric: str, value: float) -> float:
    """A threshold as the page shows it (% for ratios, minutes for sync lag)."""
    return value * METRICS[metric]


def from_display(metric: str, value: float) -> float:
    """The inverse of `to_display`."""
    return value / METRICS[metric]
