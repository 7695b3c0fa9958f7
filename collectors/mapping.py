"""Mapping profiles: which field of a centre's answer is which catalogue metric.

A profile (config/probes.yaml) maps JSON document paths and Prometheus sample
names to metrics, with a scale factor (milliseconds → seconds) or a table of
state words (catalogue `*_STATES`). Profiles are checked when loaded: an
unknown key, an unknown metric or state table is a `ConfigError` naming the
file, the key and the reason, so a bad mapping stops the collector at start.

A deployment adds its own profiles in a probes.yaml beside its settings file
(`deployment_profiles`); they may map onto its own metrics (metrics.yaml there,
config/extensions.py). A name the install already ships is an error, never a
silent override: the shipped profile stays what its name says everywhere.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from config import catalogue
from config.extensions import SHIPPED_PROFILES, site_profiles_path
from config.loader import ConfigError, Problem, _read_yaml, validate_model
from config.settings import Strict

PROFILES_FILE = SHIPPED_PROFILES
WILDCARD = "*"

# The catalogue's state tables a profile may name.
STATE_TABLES: dict[str, dict[str, float]] = {
    name: getattr(catalogue, name) for name in dir(catalogue) if name.endswith("_STATES")
}


class JsonEntry(Strict):
    metric: str
    scale: float = Field(default=1.0, gt=0)
    states: str | None = None


class PromEntry(Strict):
    metric: str
    scale: float = Field(default=1.0, gt=0)
    label: str | None = None


class ProfileModel(Strict):
    centre_id: str | None = None
    json_: dict[str, JsonEntry] = Field(default={}, alias="json")
    prometheus: dict[str, PromEntry] = Field(default={})


@dataclass(frozen=True, slots=True)
class JsonField:
    """One document path → metric. `star` is the index of `*` in `path`, or -1."""

    field: str
    path: tuple[str, ...]
    metric: str
    scale: float
    states: dict[str, float] | None
    star: int


@dataclass(frozen=True, slots=True)
class PromField:
    """One exposition sample name → metric (a template when it holds `{label}`)."""

    metric: str
    scale: float
    label: str | None
    template: bool


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    centre_id: tuple[str, ...] | None
    json: tuple[JsonField, ...]
    prometheus: dict[str, PromField]


def _placeholders(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def _template_matches(template: str) -> bool:
    """True when some catalogue metric fits the template (`{x}` matching any text)."""
    parts = [
        re.escape(text) + ("(.+)" if f is not None else "")
        for text, f, _, _ in string.Formatter().parse(template)
    ]
    pattern = re.compile("".join(parts))
    return any(pattern.fullmatch(name) for name in catalogue.METRICS)


def _json_field(name: str, key: str, entry: JsonEntry, where: str) -> list[Problem] | JsonField:
    problems = []
    path = tuple(key.split("."))
    metric = catalogue.METRICS.get(entry.metric)
    stars = path.count(WILDCARD)
    if metric is None:
        problems.append(Problem(where, f"{name}.json.{key}", f"unknown metric {entry.metric!r}"))
    elif (stars == 1) != (metric.label is not None) or stars > 1:
        problems.append(
            Problem(
                where,
                f"{name}.json.{key}",
                f"metric {entry.metric!r} needs exactly one '*' in the path"
                if metric.label
                else "a '*' needs a metric with a label",
            )
        )
    if any(not p for p in path):
        problems.append(Problem(where, f"{name}.json.{key}", "empty path segment"))
    if entry.states is not None and entry.states not in STATE_TABLES:
        problems.append(
            Problem(
                where,
                f"{name}.json.{key}.states",
                f"unknown state table {entry.states!r}; one of {', '.join(sorted(STATE_TABLES))}",
            )
        )
    if problems:
        return problems
    return JsonField(
        key,
        path,
        entry.metric,
        entry.scale,
        STATE_TABLES[entry.states] if entry.states else None,
        path.index(WILDCARD) if stars else -1,
    )


def _prom_field(name: str, key: str, entry: PromEntry, where: str) -> list[Problem] | PromField:
    holes = _placeholders(entry.metric)
    if holes:
        if not all(h.isidentifier() for h in holes) or not _template_matches(entry.metric):
            return [
                Problem(
                    where,
                    f"{name}.prometheus.{key}",
                    f"template {entry.metric!r} matches no catalogue metric",
                )
            ]
        return PromField(entry.metric, entry.scale, entry.label, True)
    metric = catalogue.METRICS.get(entry.metric)
    if metric is None:
        return [Problem(where, f"{name}.prometheus.{key}", f"unknown metric {entry.metric!r}")]
    if (entry.label is None) != (metric.label is None):
        return [
            Problem(
                where,
                f"{name}.prometheus.{key}",
                f"metric {entry.metric!r} needs 'label:'"
                if metric.label
                else f"metric {entry.metric!r} carries no label",
            )
        ]
    return PromField(entry.metric, entry.scale, entry.label, False)


def parse_profiles(data: Any, where: str) -> dict[str, Profile]:
    """Validated profiles from the YAML document `data`; ConfigError lists every problem."""
    if not isinstance(data, dict) or not data:
        raise ConfigError([Problem(where, "", "must map profile names to profiles")])
    problems: list[Problem] = []
    out: dict[str, Profile] = {}
    for name, body in data.items():
        try:
            model = validate_model(ProfileModel, body, where)
        except ConfigError as exc:
            problems += [Problem(p.where, f"{name}.{p.key}", p.reason) for p in exc.problems]
            continue
        fields_json, fields_prom = [], {}
        for key, entry in model.json_.items():
            got = _json_field(name, key, entry, where)
            if isinstance(got, list):
                problems += got
            else:
                fields_json.append(got)
        for key, pentry in model.prometheus.items():
            pgot = _prom_field(name, key, pentry, where)
            if isinstance(pgot, list):
                problems += pgot
            else:
                fields_prom[key] = pgot
        centre_id = tuple(model.centre_id.split(".")) if model.centre_id else None
        out[str(name)] = Profile(str(name), centre_id, tuple(fields_json), fields_prom)
    if problems:
        raise ConfigError(problems)
    return out


def load_profiles(path: Path = PROFILES_FILE) -> dict[str, Profile]:
    """The profiles in `path`; ConfigError names the file, key and reason of each problem."""
    data, problems = _read_yaml(path)
    if problems:
        raise ConfigError(problems)
    return parse_profiles(data, str(path))


@cache
def default_profiles() -> dict[str, Profile]:
    """The profiles of config/probes.yaml, loaded once per process."""
    return load_profiles()


def deployment_profiles(config_file: str | Path | None = None) -> dict[str, Profile]:
    """The shipped profiles plus the deployment's own (probes.yaml beside the settings
    file, `IOC_CONFIG`'s when none is given), after registering the deployment's own
    metrics (metrics.yaml there) in the catalogue. ConfigError names the file, profile and
    key of each problem; a profile named like a shipped one is one of them."""
    shipped = default_profiles()
    problems: list[Problem] = []
    try:
        catalogue.use_deployment(config_file)
    except ConfigError as exc:
        problems += exc.problems
    path = site_profiles_path(config_file)
    if path is None:
        if problems:
            raise ConfigError(problems)
        return shipped
    data, read_problems = _read_yaml(path)
    problems += read_problems
    own: dict[str, Profile] = {}
    if data is not None:
        clash = sorted(str(n) for n in data if n in shipped)
        problems += [Problem(str(path), name, f"profile {name!r} is shipped with the install "
                             f"({PROFILES_FILE}): give the site's own profile another name")
                     for name in clash]
        rest = {k: v for k, v in data.items() if k not in shipped}
        if rest:  # an empty file (or only comments) adds nothing
            try:
                own = parse_profiles(rest, str(path))
            except ConfigError as exc:
                problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return {**shipped, **own}


def profile(name: str) -> Profile:
    """The named profile from config/probes.yaml; KeyError names an unknown one."""
    try:
        return default_profiles()[name]
    except KeyError:
        raise KeyError(f"unknown mapping profile {name!r} (config/probes.yaml)") from None
