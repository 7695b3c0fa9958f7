"""What is wrong with a centre, defined once: the alert rules applied to its newest poll (pure).

`Policy.from_alerts(cfg)` reads config/alerts.yaml's rules into the thresholds every page
uses: the down rule (`failed_polls`: a failed poll, or the centre's own system reporting
itself down), the staleness threshold (the `stale` rule; the whole store's data by the
`collector_silent` rule) and each critical or warning `threshold` rule as a condition on a
centre's newest poll. `queries.centre_status` colours centres by them and lists the rules
that hold (`problems`); `with_alerts` then adds what only the alert engine knows (a growth
rule, a failure still within `recover_after`), so a centre with an open critical or
warning alert is never shown as normal. No page keeps a threshold of its own: change one
in config/alerts.yaml and the wall, finder, briefing, commune page and alerts follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from config.alerts import AlertsConfig, CollectorSilent, FailedPolls, Stale, Threshold

# Severities that colour a centre (info alerts are notes, not problems).
COLOURING = ("critical", "warning")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
OPS: dict[str, Callable[[pl.Expr, float], pl.Expr]] = {
    ">": lambda c, v: c > v, ">=": lambda c, v: c >= v, "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v, "==": lambda c, v: c == v,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """A critical or warning `threshold` rule: `metric{label} op value` on the newest poll."""

    rule: str
    severity: str
    metric: str
    label: str
    op: str
    value: float

    def holds(self) -> pl.Expr:
        """True on a gauge row (metric, label, value) of this rule's series breaking it."""
        return ((pl.col("metric") == self.metric) & (pl.col("label") == self.label)
                & OPS[self.op](pl.col("value"), self.value))


@dataclass(frozen=True, slots=True)
class Policy:
    """Every threshold the pages judge a centre by, taken from the alert rules."""

    stale_after_s: float  # a centre's newest observed poll older than this: stale
    store_stale_after_s: float  # the newest poll of any centre older than this: stale data
    down_rule: str | None  # the failed_polls rule: a failed or self-reported-down poll
    system_down: bool  # whether the down rule counts the centre's own "down" report
    conditions: tuple[Condition, ...]

    @classmethod
    def from_alerts(cls, cfg: AlertsConfig, interval_s: float) -> Policy:
        """The policy of `cfg` (loaded with `load_alerts(interval_s=…)`: thresholds in s) for
        a collector polling every `interval_s`; without a `stale` (or `collector_silent`)
        rule, data is stale after the rules' default, two intervals."""
        default = Stale(kind="stale").after_intervals * interval_s
        stale = [r.condition.after_s or default for r in cfg.rules
                 if isinstance(r.condition, Stale)] or [default]
        store = [r.condition.after_s or default for r in cfg.rules
                 if isinstance(r.condition, CollectorSilent)]
        down = [(r.name, r.condition) for r in cfg.rules if isinstance(r.condition, FailedPolls)]
        conditions = tuple(
            Condition(r.name, r.severity, r.condition.metric, r.condition.label,
                      r.condition.op, r.condition.value)
            for r in cfg.rules
            if isinstance(r.condition, Threshold) and r.severity in COLOURING)
        return cls(stale_after_s=float(stale[0]),
                   store_stale_after_s=float(store[0] if store and store[0] else stale[0]),
                   down_rule=down[0][0] if down else None,
                   system_down=bool(down) and down[0][1].system_down,
                   conditions=conditions)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The gauges the conditions read, sorted."""
        return tuple(sorted({c.metric for c in self.conditions}))

    def condition(self, metric: str) -> Condition | None:
        """The first condition on `metric` (the finder shows its threshold), or None."""
        return next((c for c in self.conditions if c.metric == metric), None)


PROBLEM_SCHEMA = pl.Schema({"centre_id": pl.String(), "problems": pl.List(pl.String()),
                            "problem_rank": pl.Int64()})


def problems(gauges: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per centre, the conditions its gauges break, most severe first: centre_id, problems
    (rule names), problem_rank (the worst one's `SEVERITY_RANK`). `gauges`: centre_id,
    metric, label, value of the centre's newest poll. A centre breaking nothing is absent."""
    if gauges.is_empty() or not policy.conditions:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    order = sorted(policy.conditions, key=lambda c: SEVERITY_RANK.get(c.severity, 9))
    rank = {c.rule: SEVERITY_RANK.get(c.severity, 9) for c in order}
    hits = [pl.when(c.holds()).then(pl.lit(c.rule)) for c in order]
    return (gauges.select("centre_id", pl.concat_list(hits).list.drop_nulls().alias("p"))
            .explode("p").drop_nulls("p")
            .with_columns(pl.col("p").replace_strict(rank, return_dtype=pl.Int64).alias("r"))
            .sort("r", maintain_order=True)
            .group_by("centre_id", maintain_order=True)
            .agg(pl.col("p").unique(maintain_order=True).alias("problems"),
                 pl.col("r").min().alias("problem_rank"))
            .cast(PROBLEM_SCHEMA))


def with_alerts(status: pl.DataFrame, open_alerts: pl.DataFrame, policy: Policy,
                down: str, degraded: str, ok: str) -> pl.DataFrame:
    """`status` (queries.centre_status rows) with the centres' open alerts folded in.

    `open_alerts`: centre_id, rule, severity, pending_since of the alerts open (pending or
    firing) at the moment shown. Adds `alerts` (the open critical/warning alerts' rules,
    most severe first) and `problem_since` (when the oldest of them began). A centre the
    data shows as ok or degraded but with an open down-rule alert is down (e.g. within
    `recover_after`); one shown as ok with another open critical or warning alert is
    degraded, that rule among its problems. Stale and no-data centres keep their status:
    what is not known is not guessed.
    """
    empty = pl.lit([], pl.List(pl.String))
    status = status.drop("alerts", "problem_since", strict=False)
    if open_alerts.is_empty():
        return status.with_columns(empty.alias("alerts"),
                                   pl.lit(None, pl.Datetime("ms", "UTC")).alias("problem_since"))
    rank = pl.col("severity").replace_strict(SEVERITY_RANK, default=9, return_dtype=pl.Int64)
    per_centre = (open_alerts.filter(pl.col("centre_id").is_not_null()
                                     & pl.col("severity").is_in(COLOURING))
                  .with_columns(rank.alias("_rank")).sort("_rank", "rule")
                  .group_by("centre_id", maintain_order=True)
                  .agg(pl.col("rule").unique(maintain_order=True).alias("alerts"),
                       pl.col("_rank").min().alias("_alert_rank"),
                       pl.col("pending_since").min().cast(pl.Datetime("ms", "UTC"))
                       .alias("problem_since")))
    joined = (status.join(per_centre, left_on="id", right_on="centre_id", how="left")
              .with_columns(pl.col("alerts").fill_null(empty)))
    has_down = (pl.col("alerts").list.contains(pl.lit(policy.down_rule))
                if policy.down_rule else pl.lit(False))
    others = pl.col("alerts").list.set_difference(
        pl.lit([policy.down_rule] if policy.down_rule else [], pl.List(pl.String)))
    status_col = (pl.when(pl.col("status").is_in([ok, degraded]) & has_down).then(pl.lit(down))
                  .when((pl.col("status") == ok) & (others.list.len() > 0))
                  .then(pl.lit(degraded))
                  .otherwise(pl.col("status")))
    return joined.with_columns(
        status_col.alias("status"),
        pl.concat_list(pl.col("problems"), others).list.unique(maintain_order=True)
        .alias("problems"),
        pl.min_horizontal("problem_rank", "_alert_rank").alias("problem_rank"),
    ).drop("_alert_rank")
