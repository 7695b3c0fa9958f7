"""A deployment's own additions, kept in its config folder beside the settings file.

The folder of the settings file (`IOC_CONFIG`, else config/ioc.yaml) may hold, next to
`alerts.yaml` and the site file:

- `probes.yaml`: its own mapping profiles, in the format of the shipped config/probes.yaml
  (read by collectors/mapping.py); a name the install already ships is an error;
- `metrics.yaml`: its own catalogue metrics (name → unit, kind, range, optional label),
  added to config/catalogue.py's built-in ones by every process of the deployment.

Nothing under the installed package is edited. This module only finds and validates the
files (config imports nothing from metrics or collectors); the catalogue and the mapping
turn them into metrics and profiles.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from config.loader import CONFIG_DIR, ConfigError, Problem, _read_yaml, config_path, validate_model
from config.settings import Strict

PROFILES_NAME = "probes.yaml"
METRICS_NAME = "metrics.yaml"
SHIPPED_PROFILES = CONFIG_DIR / PROFILES_NAME
# Metric names become Prometheus names (`ioc_<name>`) and stored text: plain identifiers.
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
LABEL_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


class SiteMetric(Strict):
    """One of the deployment's own metrics: what a value means and the range a valid one
    lies in (collectors/validate.py refuses the rest). Base units, as the catalogue's."""

    unit: str = Field(min_length=1, max_length=16)  # shown beside the value: "s", "count", "°C"
    kind: Literal["gauge", "counter"]
    min: float = 0.0
    max: float | None = None  # a counter without one gets the catalogue's COUNTER_MAX
    label: str | None = None  # the one label the metric carries (a '*' in a JSON path)
    title: str | None = Field(default=None, max_length=80)  # the commune page's name for it

    @model_validator(mode="after")
    def _consistent(self) -> SiteMetric:
        if self.kind == "gauge" and self.max is None:
            raise ValueError("a gauge needs its 'max'")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max:g}) is below min ({self.min:g})")
        if self.kind == "counter" and self.min < 0:
            raise ValueError("a counter's 'min' cannot be negative")
        if self.label is not None and not LABEL_RE.fullmatch(self.label):
            raise ValueError(f"label {self.label!r}: lower-case letters, digits and '_' only")
        return self


def folder(config_file: str | Path | None = None) -> Path:
    """The deployment's config folder: the settings file's (`IOC_CONFIG`'s when none given)."""
    return config_path(config_file).resolve().parent


def site_profiles_path(config_file: str | Path | None = None) -> Path | None:
    """The deployment's own probes.yaml, or None (none there, or it is the shipped one)."""
    path = folder(config_file) / PROFILES_NAME
    if not path.exists() or path.resolve() == SHIPPED_PROFILES.resolve():
        return None
    return path


def site_metrics_path(config_file: str | Path | None = None) -> Path:
    return folder(config_file) / METRICS_NAME


def parse_site_metrics(data: object, where: str) -> dict[str, SiteMetric]:
    """The metrics of a metrics.yaml document; ConfigError names the file, metric and key."""
    if not isinstance(data, dict):
        raise ConfigError([Problem(where, "", "must map metric names to their definitions")])
    problems: list[Problem] = []
    out: dict[str, SiteMetric] = {}
    for name, body in data.items():
        key = str(name)
        if not NAME_RE.fullmatch(key):
            problems.append(Problem(where, key, "a metric name is lower-case letters, digits "
                                                "and '_', starting with a letter"))
            continue
        try:
            metric = validate_model(SiteMetric, body, where)
        except ConfigError as exc:
            problems += [Problem(p.where, f"{key}.{p.key}" if p.key else key, p.reason)
                         for p in exc.problems]
            continue
        if (metric.kind == "counter") != key.endswith("_total"):
            problems.append(Problem(where, f"{key}.kind",
                                    "a counter's name ends in '_total', a gauge's does not"))
            continue
        out[key] = metric
    if problems:
        raise ConfigError(problems)
    return out


def load_site_metrics(config_file: str | Path | None = None) -> dict[str, SiteMetric]:
    """The deployment's own metrics (empty without a metrics.yaml); ConfigError otherwise."""
    path = site_metrics_path(config_file)
    if not path.exists():
        return {}
    data, problems = _read_yaml(path)
    if problems:
        raise ConfigError(problems)
    return parse_site_metrics(data, str(path))


def site_metric_names(config_file: str | Path | None = None) -> frozenset[str]:
    """The names metrics.yaml declares validly (none when it is absent or broken: its own
    problems are reported by the catalogue's loading, once)."""
    try:
        return frozenset(load_site_metrics(config_file))
    except ConfigError:
        return frozenset()
