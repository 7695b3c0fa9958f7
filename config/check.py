"""`ioc check-config [PATH]`: every problem in the configuration, at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from config.alerts import alerts_path, check_alerts
from config.loader import ConfigError, Problem, config_path, load_settings, resolve_site_path
from config.registry import provinces, unknown_site_ids
from config.settings import Settings


def _site_problems(settings: Settings, file: Path) -> list[Problem]:
    """Cross-file checks the models alone cannot make: ids and province of the site file."""
    from config.loader import load_site

    if settings.deployment.site_file is None:
        return []
    path = resolve_site_path(settings, file)
    site = load_site(path)
    problems = [Problem(str(path), f"centres.{cid}", "no centre has this official code")
                for cid in unknown_site_ids(site)]
    d = settings.deployment
    if d.scope == "province" and site.province != d.province:
        problems.append(Problem(str(path), "province",
                                f"site file is for province {site.province}, "
                                f"the deployment watches {d.province}"))
    return problems


def check(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> list[Problem]:
    """All problems in the config at `path` (and the environment); empty when it is valid."""
    env = os.environ if env is None else env
    file = config_path(path, env)
    try:
        settings = load_settings(file, env)
    except ConfigError as exc:
        return exc.problems + check_alerts(alerts_path(file))
    problems = check_alerts(alerts_path(file))  # config/alerts.yaml (beside the file)
    d = settings.deployment
    if d.scope == "province" and d.province not in provinces():
        problems.append(Problem(str(file), "deployment.province",
                                f"{d.province} is not an official province code "
                                f"(codes: {', '.join(str(c) for c in provinces())})"))
        return problems
    return problems + _site_problems(settings, file)
