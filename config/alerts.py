"""Alert rules, routes, channels and who may act: `config/alerts.yaml`, strictly validated.

`load_alerts(path)` returns an `AlertsConfig` or raises `ConfigError` listing every
problem with the file, the key path and the reason (unknown keys, a summary template
naming a field the rule cannot fill, a route naming a channel that does not exist…).
Times are seconds; maintenance windows are local time (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import math
import re
import string
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from config.assignments import Assignments
from config.catalogue import METRICS
from config.channels import Channel
from config.extensions import site_metric_names
from config.loader import (
    CONFIG_DIR,
    ConfigError,
    Problem,
    _read_yaml,
    config_path,
    validate_model,
)
from config.settings import CollectorSettings

DEFAULT_ALERTS = CONFIG_DIR / "alerts.yaml"
DEFAULT_INTERVAL_S: float = CollectorSettings.model_fields["interval_s"].default
Severity = Literal["critical", "warning", "info"]
Op = Literal[">", ">=", "<", "<=", "=="]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Fields every summary template may use; a condition adds its own (see `extra_fields`).
COMMON_FIELDS = frozenset(
    {"rule", "severity", "centre_id", "centre_name", "province_code", "province_name",
     "value", "cause"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_metric(name: str, info: ValidationInfo) -> str:
    """`name` when the catalogue has it, or the deployment's metrics.yaml declares it (the
    `site_metrics` of the validation context: load_alerts reads the file beside it)."""
    own = (info.context or {}).get("site_metrics", ())
    if name not in METRICS and name not in own:
        raise ValueError(f"unknown metric {name!r} (neither in config/catalogue.py nor in "
                         "the deployment's metrics.yaml)")
    return name


class FailedPolls(Strict):
    """A centre's newest polls all failed — it did not answer, or (with `system_down`) its
    own system reported itself down (`system_state` 0, "soft down"). The alert fires once
    the collector has confirmed the failure (it lasted the collector's `confirm_window_s`);
    before that it is pending. With `count`, that many failed polls in a row confirm it too
    (for polls of a collector that does not confirm). Resolves after `recover_after` good
    polls in a row."""

    kind: Literal["failed_polls"]
    count: int | None = Field(default=None, ge=1, le=20)
    recover_after: int = Field(default=1, ge=1, le=20)
    window_s: float = Field(default=120, gt=0, le=3600)  # how far back polls are read
    system_down: bool = True

    extra_fields: ClassVar[frozenset[str]] = frozenset({"failures", "reason"})


class Threshold(Strict):
    """The newest sample of `metric` (within `window_s`) compared with `value`."""

    kind: Literal["threshold"]
    metric: str
    label: str = ""
    op: Op
    value: float
    window_s: float = Field(default=120, gt=0, le=86_400)

    extra_fields: ClassVar[frozenset[str]] = frozenset({"threshold"})

    @model_validator(mode="after")
    def _metric(self, info: ValidationInfo) -> Threshold:
        _known_metric(self.metric, info)
        return self


class Growth(Strict):
    """A gauge grew by at least `min_increase` between `window_s` ago and now."""

    kind: Literal["growth"]
    metric: str
    window_s: float = Field(gt=0, le=7 * 86_400)
    min_increase: float = Field(gt=0)

    extra_fields: ClassVar[frozenset[str]] = frozenset({"increase", "window_min"})

    @model_validator(mode="after")
    def _metric(self, info: ValidationInfo) -> Growth:
        _known_metric(self.metric, info)
        return self


class Stale(Strict):
    """A centre the collector has not observed (no poll other than `skipped`) for `after_s`
    (default: `after_intervals` collection intervals). The dashboard calls a centre's data
    stale by the same threshold. A centre never observed in `lookback_s` has no data yet:
    that is not a stale centre."""

    kind: Literal["stale"]
    after_s: float | None = Field(default=None, gt=0)
    after_intervals: float = Field(default=2, gt=0, le=1000)
    lookback_s: float = Field(default=86_400, gt=0, le=7 * 86_400)

    extra_fields: ClassVar[frozenset[str]] = frozenset({"silent_min"})


class CollectorSilent(Strict):
    """Dead-man's switch: no poll of any centre stored for `after_s` (default:
    `after_intervals` collection intervals). The pages call the whole store's data stale by
    the same threshold."""

    kind: Literal["collector_silent"]
    after_s: float | None = Field(default=None, gt=0)
    after_intervals: float = Field(default=2, gt=0, le=1000)

    extra_fields: ClassVar[frozenset[str]] = frozenset({"silent_s"})


class StoreUnreachable(Strict):
    """The collector cannot write to the store (unreachable, or a write that committed
    nothing in time): judged by the collector itself each cycle and sent straight to the channels,
    not through the store's outbox, so it is delivered while the database is down."""

    kind: Literal["store_unreachable"]

    extra_fields: ClassVar[frozenset[str]] = frozenset({"why"})


class ProvinceDown(Strict):
    """At least `fraction` of a province's centres (and `min_centres`) failed their newest poll."""

    kind: Literal["province_down"]
    fraction: float = Field(default=0.5, gt=0, le=1)
    min_centres: int = Field(default=3, ge=1)
    window_s: float = Field(default=120, gt=0, le=3600)

    extra_fields: ClassVar[frozenset[str]] = frozenset({"down", "total"})


class BurnPair(Strict):
    long_s: float = Field(gt=0)
    short_s: float = Field(gt=0)
    factor: float = Field(gt=0)

    @model_validator(mode="after")
    def _short_within_long(self) -> BurnPair:
        if self.short_s >= self.long_s:
            raise ValueError("short_s must be shorter than long_s")
        return self


class BurnRate(Strict):
    """SRE Workbook multi-window burn rate of the availability SLO (failed polls ÷ polls):
    fires when, for any pair, both windows burn faster than `factor` × the error budget."""

    kind: Literal["burn_rate"]
    slo: float = Field(gt=0, lt=1)
    pairs: tuple[BurnPair, ...] = Field(min_length=1)
    scope: Literal["centre", "province"] = "province"
    min_polls: int = Field(default=10, ge=1)

    extra_fields: ClassVar[frozenset[str]] = frozenset(
        {"long_rate", "short_rate", "factor", "long_min", "short_min"})


Condition = Annotated[
    FailedPolls | Threshold | Growth | Stale | CollectorSilent | ProvinceDown | BurnRate
    | StoreUnreachable,
    Field(discriminator="kind"),
]


class Rule(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    condition: Condition
    for_s: float = Field(default=0, ge=0, le=86_400, alias="for")
    every_s: float = Field(default=0, ge=0, le=86_400)  # 0: every evaluation
    severity: Severity
    labels: dict[str, str] = {}
    summary: str = Field(min_length=1)

    @model_validator(mode="after")
    def _template(self) -> Rule:
        allowed = COMMON_FIELDS | type(self.condition).extra_fields
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(self.summary) if f is not None}
        except ValueError as exc:
            raise ValueError(f"summary: bad template: {exc}") from None
        for field in sorted(names):
            base = re.split(r"[.\[]", field, maxsplit=1)[0]
            if base not in allowed:
                raise ValueError(f"summary: unknown field {{{field}}}; allowed: "
                                 f"{', '.join(sorted(allowed))}")
        return self


class Matcher(Strict):
    """Which alerts: every given key must match (labels include rule, severity, centre_id,
    province_code and the rule's own labels)."""

    labels: dict[str, str] = {}
    severity: tuple[Severity, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.severity and labels.get("severity") not in self.severity:
            return False
        return all(labels.get(k) == v for k, v in self.labels.items())


class Route(Strict):
    match: Matcher = Matcher()
    channels: tuple[str, ...] = Field(min_length=1)
    continue_: bool = Field(default=False, alias="continue")


class Inhibit(Strict):
    """A firing `source` alert mutes `target` alerts that share the `equal` labels."""

    source: Matcher
    target: Matcher
    equal: tuple[str, ...] = ()


class Maintenance(Strict):
    """A recurring window in local time; `end` ≤ `start` means it runs past midnight
    (then `days` names the day it starts)."""

    name: str
    days: tuple[Day, ...] = DAYS
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    match: Matcher = Matcher()


class Grouping(Strict):
    by: tuple[str, ...] = ("rule", "province_code")
    wait_s: float = Field(default=0, ge=0, le=3600)
    interval_s: float = Field(default=60, ge=0, le=86_400)
    repeat_s: float = Field(default=4 * 3600, gt=0, le=7 * 86_400)


class Flapping(Strict):
    """An alert that started `max_starts` times within `window_s` is flapping: its new
    firing and resolved notices are held back until it has stayed put for `window_s`."""

    window_s: float = Field(default=1800, gt=0, le=86_400)
    max_starts: int = Field(default=4, ge=2)


class Delivery(Strict):
    """The outbox dispatcher (each channel's backoff is set on the channel itself)."""

    lease_s: float = Field(default=60, gt=0, le=3600)  # a claimed row is retried after this


class Permissions(Strict):
    acknowledge: tuple[str, ...] = ("tech", "ioc_staff")
    silence: tuple[str, ...] = ("tech",)
    assign: tuple[str, ...] = ("tech", "ioc_staff")  # assign work to a unit, and close it


class CauseName(Strict):
    """A likely shared cause, named in Vietnamese and in English."""

    vi: str = Field(min_length=1, max_length=120)
    en: str = Field(min_length=1, max_length=120)


# Conditions whose alerts are one per centre: the only ones a shared cause can group.
CENTRE_CONDITIONS = (FailedPolls, Threshold, Growth, Stale)


class SharedCause(Strict):
    """One incident for one cause: when a rule in `causes` starts at `min_centres` or more of
    a province's centres, and at least `min_fraction` of them, within `within_s`, its alerts
    there are grouped into one province incident naming the cause (metrics/alerts/incidents.py).
    """

    min_centres: int = Field(default=3, ge=2)
    min_fraction: float = Field(default=0.1, ge=0, le=1)
    within_s: float = Field(default=120, gt=0, le=3600)
    causes: dict[str, CauseName] = {}

    def needed(self, total: int) -> int:
        """Centres that must start together in a province of `total` centres."""
        return max(self.min_centres, math.ceil(self.min_fraction * total - 1e-9))


class AlertsConfig(Strict):
    timezone: str = "Asia/Ho_Chi_Minh"
    evaluate_every_s: float = Field(default=10, gt=0, le=3600)  # `ioc alerts evaluate --watch`
    rules: tuple[Rule, ...] = Field(min_length=1)
    channels: dict[str, Channel] = {}
    routes: tuple[Route, ...] = ()
    grouping: Grouping = Grouping()
    inhibit: tuple[Inhibit, ...] = ()
    maintenance: tuple[Maintenance, ...] = ()
    flapping: Flapping = Flapping()
    delivery: Delivery = Delivery()
    permissions: Permissions = Permissions()
    shared_cause: SharedCause = SharedCause()
    assignments: Assignments = Assignments()

    @model_validator(mode="after")
    def _references(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"rules: duplicate rule names {dup}")
        for i, route in enumerate(self.routes):
            for ch in route.channels:
                if ch not in self.channels:
                    raise ValueError(f"routes.{i}.channels: no channel named {ch!r} "
                                     f"(channels: {', '.join(sorted(self.channels)) or 'none'})")
        for key, unit in self.assignments.units.items():
            if unit.channel not in self.channels:
                raise ValueError(f"assignments.units.{key}.channel: no channel named "
                                 f"{unit.channel!r} (channels: "
                                 f"{', '.join(sorted(self.channels)) or 'none'})")
        by_name = {r.name: r for r in self.rules}
        for name in self.shared_cause.causes:
            if name not in by_name:
                raise ValueError(f"shared_cause.causes.{name}: no alert rule named {name!r}")
            if not isinstance(by_name[name].condition, CENTRE_CONDITIONS):
                raise ValueError(f"shared_cause.causes.{name}: a {by_name[name].condition.kind} "
                                 "rule is not one alert per centre; only failed_polls, "
                                 "threshold, growth and stale rules can be grouped")
        return self

    def for_interval(self, interval_s: float) -> AlertsConfig:
        """This configuration with every interval-relative threshold (`after_intervals`)
        turned into seconds for a collector polling every `interval_s`."""
        rules = []
        for r in self.rules:
            c = r.condition
            if isinstance(c, Stale | CollectorSilent) and c.after_s is None:
                c = c.model_copy(update={"after_s": c.after_intervals * interval_s})
                r = r.model_copy(update={"condition": c})
            rules.append(r)
        return self.model_copy(update={"rules": tuple(rules)})

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(f"no alert rule named {name!r}")


def alerts_path(config_file: str | Path | None = None) -> Path:
    """alerts.yaml beside the settings file if there is one, else config/alerts.yaml.

    The settings file is `config_file`, else `IOC_CONFIG`, as for the settings themselves:
    a collector started with IOC_CONFIG reads the alerts.yaml beside that file.
    """
    beside = config_path(config_file).resolve().parent / "alerts.yaml"
    return beside if beside.exists() else DEFAULT_ALERTS


def load_alerts(path: str | Path | None = None, *,
                interval_s: float = DEFAULT_INTERVAL_S) -> AlertsConfig:
    """The validated alert configuration, its interval-relative thresholds in seconds for
    a collector polling every `interval_s`; ConfigError names file, key and reason. Its
    rules may name the metrics of the metrics.yaml beside it (config/extensions.py)."""
    file = Path(path) if path is not None else DEFAULT_ALERTS
    data, problems = _read_yaml(file)
    if problems:
        raise ConfigError(problems)
    own = site_metric_names(file)  # the folder of `file`: the deployment's
    return validate_model(AlertsConfig, data, str(file),
                          context={"site_metrics": own}).for_interval(interval_s)


def check_alerts(path: str | Path | None = None) -> list[Problem]:
    """Every problem in the alerts file; empty when it is valid."""
    try:
        load_alerts(path)
    except ConfigError as exc:
        return exc.problems
    return []
