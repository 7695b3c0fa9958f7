"""Load settings from YAML plus `IOC_*` environment variables, reporting every error.

Environment variables override the file: `IOC_DB_URL` sets `store.url`, and
`IOC_<SECTION>__<KEY>` (e.g. `IOC_COLLECTOR__INTERVAL_S=5`) sets any other key.
An unknown variable under `IOC_` that looks like a setting is an error, never
silently ignored. `ConfigError` carries every problem found, each naming the
file (or variable), the key path and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.settings import Settings, SiteFile

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = CONFIG_DIR / "ioc.yaml"
SECTIONS = ("deployment", "store", "collector", "simulator", "dashboard", "logging")
# Variables under IOC_ that are not settings keys (read by other parts).
NON_SETTING_VARS = {"IOC_CONFIG", "IOC_TEST_PG_URL", "IOC_LANG"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration problem: where (file or variable), which key, and why."""

    where: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.key or '<top>'}: {self.reason}"


class ConfigError(Exception):
    """Raised with every problem found; `str()` lists one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


EMPTY_SETTINGS = ("empty: no settings at all, so every key would be its default (another "
                  "database, the Huế demo fleet); write the settings, or `{}` for the defaults "
                  "on purpose")


def _read_yaml(path: Path, empty: str | None = None
               ) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The YAML mapping in `path`, or the problems reading it. An empty file (nothing, or
    only comments) is {} — or, given `empty`, a problem with that reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(str(path), "", f"cannot read: {exc.strerror or exc}")]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return None, [Problem(str(path), "", f"not valid YAML: {at}{getattr(exc, 'problem', exc)}")]
    if data is None:
        return ({}, []) if empty is None else (None, [Problem(str(path), "", empty)])
    if not isinstance(data, dict):
        return None, [Problem(str(path), "", f"must be a mapping, not {type(data).__name__}")]
    return data, []


def _env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """Nested overrides from IOC_* variables, which key each variable set, and bad names."""
    overrides: dict[str, Any] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    for name, value in sorted(env.items()):
        if not name.startswith("IOC_") or name in NON_SETTING_VARS:
            continue
        if name == "IOC_DB_URL":
            path = ["store", "url"]
        else:
            path = [p.lower() for p in name[4:].split("__")]
            if len(path) != 2 or path[0] not in SECTIONS:
                problems.append(Problem(f"environment {name}", "",
                                        "unknown setting: use IOC_<SECTION>__<KEY> with a section "
                                        f"of {', '.join(SECTIONS)}, or IOC_DB_URL"))
                continue
        overrides.setdefault(path[0], {})[path[1]] = _env_value(value)
        origin[".".join(path)] = f"environment {name}"
    return overrides, origin, problems


def _env_value(text: str) -> Any:
    """Environment values are YAML scalars or flow collections ('5', 'true', '[a, b]')."""
    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def has_password(url: str) -> bool:
    """True when a database URL carries a password (user:password@host)."""
    head = url.split("://", 1)[-1].split("@", 1)
    return len(head) == 2 and ":" in head[0]


def _secrets_in_file(data: dict[str, Any], where: str) -> list[Problem]:
    """Secrets belong in the environment: a password written in the file is an error."""
    store = data.get("store")
    url = store.get("url") if isinstance(store, dict) else None
    if isinstance(url, str) and has_password(url):
        return [Problem(where, "store.url",
                        "a password in the database URL: set IOC_DB_URL in the environment")]
    return []


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _problems_from(exc: ValidationError, where: str, origin: Mapping[str, str]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        src = next((o for k, o in origin.items() if key == k or key.startswith(k + ".")), where)
        reason = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        problems.append(Problem(src, key, reason))
    return problems


def validate_model[M: BaseModel](model: type[M], data: Any, where: str,
                                 origin: Mapping[str, str] | None = None,
                                 context: dict[str, Any] | None = None) -> M:
    """Validate `data` as `model` (validators see `context`), raising ConfigError naming
    `where` and each key."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, where, origin or {})) from None


def config_path(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(path or env.get("IOC_CONFIG") or DEFAULT_CONFIG)


def load_settings(path: str | Path | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the YAML file at `path` (default `IOC_CONFIG` or config/ioc.yaml) and env.

    Raises ConfigError listing every problem in the file, the environment and
    the site file it names.
    """
    env = os.environ if env is None else env
    file = config_path(path, env)
    data, problems = _read_yaml(file, empty=EMPTY_SETTINGS)
    overrides, origin, env_problems = _env_overrides(env)
    problems += env_problems
    settings = None
    if data is not None:
        problems += _secrets_in_file(data, str(file))
        try:
            settings = validate_model(Settings, _merge(data, overrides), str(file), origin)
        except ConfigError as exc:
            problems += exc.problems
    if settings is not None and settings.deployment.site_file is not None:
        try:
            load_site(resolve_site_path(settings, file))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    assert settings is not None
    return settings


def resolve_site_path(settings: Settings, config_file: Path | None = None) -> Path:
    """The site file's path; relative paths are relative to the config file's folder."""
    site = settings.deployment.site_file
    assert site is not None
    if site.is_absolute():
        return site
    base = config_path(config_file).resolve().parent  # IOC_CONFIG's folder when none given
    return base / site


def load_site(path: Path) -> SiteFile:
    """A validated site file; ConfigError names the file and each bad key."""
    data, problems = _read_yaml(path)
    if problems:
        raise ConfigError(problems)
    return validate_model(SiteFile, data, str(path))
