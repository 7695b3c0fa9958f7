"""The catalogue of metrics the product collects, stores and shows.

Every value that reaches the store has a name listed here. The catalogue is the
contract between the simulator (which emits these values), the collectors
(which validate them: kind, range) and the dashboard (which labels them).

Units are base units: seconds, ratios in [0, 1], counts. Counters (`*_total`)
only go up, except when the centre's system restarts them (the simulator
restarts its dossier counters at local midnight, as a centre's "today" counts
do); the query layer treats any decrease as a counter reset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from config.extensions import SiteMetric, load_site_metrics, site_metrics_path
from config.loader import ConfigError, Problem


class Family(StrEnum):
    """The four metric families a centre reports, plus what the collector measures."""

    PROBE = "probe"  # measured by the collector itself
    SYSTEM = "system"
    OTP = "otp"
    SYNC = "sync"
    DOSSIERS = "dossiers"
    SITE = "site"  # a deployment's own metric (metrics.yaml beside its settings)


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"


# Component states are coded as numbers so they can be stored and charted.
STATE_DOWN = 0.0
STATE_DEGRADED = 1.0
STATE_OK = 2.0

COMPONENT_STATES: dict[str, float] = {
    "down": STATE_DOWN, "degraded": STATE_DEGRADED, "ok": STATE_OK,
}
POWER_STATES: dict[str, float] = {"cut": STATE_DOWN, "battery": STATE_DEGRADED, "mains": STATE_OK}
NETWORK_STATES: dict[str, float] = {
    "down": STATE_DOWN, "weak": STATE_DEGRADED, "good": STATE_OK,
}
SYSTEM_STATES: dict[str, float] = {"down": STATE_DOWN, "degraded": STATE_DEGRADED, "up": STATE_OK}

COMPONENTS: tuple[str, ...] = (
    "portal_link",
    "esign",
    "payment",
    "results_return",
    "power",
    "network",
)

# Procedures in the simulated mix (label `procedure` on the by-procedure counters).
PROCEDURES: tuple[str, ...] = (
    "certified_copy",
    "business_registration",
    "household_business_end",
    "death_registration",
    "birth_registration",
    "land_use_rights",
    "residence_registration",
    "marriage_registration",
)


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: its name, family, kind, unit and the range a valid value lies in."""

    name: str
    family: Family
    kind: Kind
    unit: str
    minimum: float = 0.0
    maximum: float = float("inf")
    label: str | None = None  # name of the one label this metric carries, if any
    title: str | None = None  # a site metric's name on the pages (built-ins have texts)


# The largest value a counter may report. Counters are stored as float64 and read as
# increases (differences of two values): at or beyond 2**53 (≈ 9.0e15) an increase of one
# is lost, and a value near the float limit (1e308) turns every sum it enters into
# infinity. 1e15 keeps every step of one exact, and is beyond what any centre counts: a
# million dossiers a day for 2,700 years. Beyond its maximum a value is refused
# (collectors/validate.py), as a gauge beyond its range is.
COUNTER_MAX = 1e15


def _m(name: str, family: Family, kind: Kind, unit: str, maximum: float | None = None,
       label: str | None = None) -> Metric:
    """A catalogue entry; a counter without a maximum of its own gets COUNTER_MAX."""
    if maximum is None:
        if kind is not Kind.COUNTER:
            raise ValueError(f"gauge {name!r} needs its maximum")
        maximum = COUNTER_MAX
    return Metric(name, family, kind, unit, 0.0, maximum, label)


G, C = Kind.GAUGE, Kind.COUNTER
DAY_S = 86_400.0

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # measured by the collector on every poll
        _m("up", Family.PROBE, G, "bool", 1),
        _m("probe_duration_seconds", Family.PROBE, G, "s", 600),
        # system health: overall state and each component (0 down, 1 degraded, 2 ok)
        _m("system_state", Family.SYSTEM, G, "state", 2),
        *(_m(f"component_{c}_state", Family.SYSTEM, G, "state", 2) for c in COMPONENTS),
        # OTP delivery (SMS codes for VNeID and dossier steps)
        _m("otp_p50_seconds", Family.OTP, G, "s", 3600),
        _m("otp_p95_seconds", Family.OTP, G, "s", 3600),
        _m("otp_failure_ratio", Family.OTP, G, "ratio", 1),
        _m("otp_sent_total", Family.OTP, C, "count"),
        _m("otp_failed_total", Family.OTP, C, "count"),
        # synchronisation with the National Public Service Portal
        _m("sync_lag_seconds", Family.SYNC, G, "s", 30 * DAY_S),
        _m("sync_unsynced_dossiers", Family.SYNC, G, "count", 1e6),
        _m("sync_synced_total", Family.SYNC, C, "count"),
        # dossiers (hồ sơ): counters since the centre's counter start (local midnight)
        _m("dossiers_received_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_online_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_resolved_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_resolved_on_time_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_resolved_late_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_returned_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_supplement_requested_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_supplement_multi_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_fee_bearing_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_paid_online_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_digitised_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_e_result_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_complaints_total", Family.DOSSIERS, C, "count"),
        _m("dossiers_resolution_seconds_total", Family.DOSSIERS, C, "s"),
        _m("dossiers_open", Family.DOSSIERS, G, "count", 1e6),
        _m("dossiers_overdue", Family.DOSSIERS, G, "count", 1e6),
        _m("dossiers_received_by_procedure_total", Family.DOSSIERS, C, "count",
           label="procedure"),
        _m("dossiers_resolved_by_procedure_total", Family.DOSSIERS, C, "count",
           label="procedure"),
    )
}


BUILT_IN: frozenset[str] = frozenset(METRICS)


def site_metric(name: str, spec: SiteMetric) -> Metric:
    """The catalogue entry of a deployment's own metric."""
    kind = Kind(spec.kind)
    maximum = spec.max if spec.max is not None else COUNTER_MAX
    return Metric(name, Family.SITE, kind, spec.unit, spec.min, maximum, spec.label,
                  spec.title)


def register(metrics: Iterable[Metric]) -> None:
    """Add a deployment's own metrics to METRICS (the same entry again is a no-op).

    ValueError for a name the catalogue already has: a built-in, or another definition.
    Every process of a deployment registers the same metrics before it reads or writes
    them: the collector and its workers, the dashboard (see `use_deployment`).
    """
    for m in metrics:
        known = METRICS.get(m.name)
        if known is None:
            METRICS[m.name] = m
        elif known != m:
            where = "a built-in metric" if m.name in BUILT_IN else "defined differently"
            raise ValueError(f"metric {m.name!r} is {where}: choose another name")


def use_deployment(config_file: str | Path | None = None) -> tuple[Metric, ...]:
    """Register the metrics of the deployment's metrics.yaml (beside the settings file,
    `IOC_CONFIG`'s when none is given) and return them; ConfigError names the file, metric
    and key of each problem, a clash with a built-in included."""
    specs = load_site_metrics(config_file)
    out, problems = [], []
    for name, spec in specs.items():
        m = site_metric(name, spec)
        try:
            register([m])
        except ValueError as exc:
            problems.append(Problem(str(site_metrics_path(config_file)), name, str(exc)))
            continue
        out.append(m)
    if problems:
        raise ConfigError(problems)
    return tuple(out)


def site_metrics() -> tuple[Metric, ...]:
    """The deployment's own metrics registered in this process, in registration order."""
    return tuple(m for m in METRICS.values() if m.family is Family.SITE)


def metric(name: str) -> Metric:
    """The catalogue entry for `name`; KeyError names the unknown metric."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}") from None


def is_counter(name: str) -> bool:
    return METRICS[name].kind is Kind.COUNTER


PROMETHEUS_PREFIX = "ioc_"  # every name the collector's /metrics exposes starts with it


def exposed_name(metric: str) -> str:
    """The Prometheus name of a catalogue metric: `ioc_` + name (`up` → `ioc_centre_up`)."""
    return f"{PROMETHEUS_PREFIX}centre_up" if metric == "up" else f"{PROMETHEUS_PREFIX}{metric}"
