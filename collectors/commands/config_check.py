"""The one start-up validation: `ioc check-config [PATH]` and every process's start run it.

`startup(roles, path, env)` is what `ioc collect` and `ioc dashboard` call before they do
anything else, and `check()` is the same validation returning the problems instead of
raising: whatever `check-config` passes starts, whatever it refuses would not. It covers

- the settings file (missing or empty is an error naming it), the environment, the model
  (store URL: SQLite or PostgreSQL only; centre URLs and the endpoint template: http(s) only);
- `alerts.yaml` beside the settings (rules, routes, channels);
- the site file: its keys, every centre id official, the province the deployment watches;
- the collector's targets: a URL, known probe kinds and mapping profiles for every centre;
  the deployment's own profiles (probes.yaml) and metrics (metrics.yaml) beside the file;
- the dashboard's users file, when it signs in local accounts and the file exists;
- the ports each process would listen on: free now, or a problem naming host and port.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Literal

from config.alerts import alerts_path, check_alerts
from config.extensions import load_site_metrics
from config.loader import ConfigError, Problem, config_path, load_settings, resolve_site_path
from config.registry import provinces, unknown_site_ids
from config.settings import Settings

Role = Literal["collector", "dashboard"]
ROLES: tuple[Role, ...] = ("collector", "dashboard")
DASHBOARD_HOST = ""  # Streamlit listens on every interface unless told otherwise


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
    if site.watch == "listed" and not any(e.enabled for e in site.centres.values()):
        problems.append(Problem(str(path), "watch",
                                "'listed', but no centre is listed and enabled: nothing to watch"))
    if d.scope == "province" and site.province != d.province:
        problems.append(Problem(str(path), "province",
                                f"site file is for province {site.province}, "
                                f"the deployment watches {d.province}"))
    return problems


def _target_problems(settings: Settings, file: Path) -> list[Problem]:
    """The collector's own target building (collectors/polling/targets.py): URLs, probes,
    profiles."""
    from collectors.polling.targets import build_targets
    from config.deployment import centres, site_file

    try:
        build_targets(settings, centres(settings, file), site_file(settings, file), file)
    except ConfigError as exc:
        return exc.problems
    return []


def _own_metrics_problems(file: Path) -> list[Problem]:
    """The deployment's metrics.yaml beside the settings, for a dashboard-only check."""
    try:
        load_site_metrics(file)
    except ConfigError as exc:
        return exc.problems
    return []


def _users_problems(settings: Settings, file: Path) -> list[Problem]:
    """A local-accounts users file that exists must be valid (a missing one: nobody yet)."""
    from metrics.access.accounts import load_users, users_path

    if settings.dashboard.auth != "local":
        return []
    path = users_path(settings.dashboard.users_file, file)
    if not path.exists():
        return []
    try:
        load_users(path)
    except ConfigError as exc:
        return exc.problems
    return []


def port_problem(host: str, port: int, key: str) -> Problem | None:
    """A problem naming `host:port` when nothing could listen there now (in use, not an
    address of this machine), else None. The port is only bound for a moment."""
    where = f"{host or '*'}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(infos[0][4])
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = f"{where} is in use by another process: stop it or choose another port"
        else:
            reason = f"cannot listen on {where}: {exc.strerror or exc}"
        return Problem("listen", key, reason)
    return None


def _port_problems(settings: Settings, roles: Collection[Role]) -> list[Problem]:
    c, d = settings.collector, settings.dashboard
    wanted = []
    if "collector" in roles and c.metrics_port:
        wanted.append((c.metrics_host, c.metrics_port, "collector.metrics_port"))
    if "dashboard" in roles:
        wanted.append((DASHBOARD_HOST, d.port, "dashboard.port"))
    return [p for host, port, key in wanted if (p := port_problem(host, port, key)) is not None]


def _problems(file: Path, env: Mapping[str, str], roles: Collection[Role],
              ports: bool) -> tuple[Settings | None, list[Problem]]:
    try:
        settings = load_settings(file, env)
    except ConfigError as exc:
        return None, exc.problems + check_alerts(alerts_path(file))
    problems = check_alerts(alerts_path(file))  # config/alerts.yaml (beside the file)
    d = settings.deployment
    if d.scope == "province" and d.province not in provinces():
        problems.append(Problem(str(file), "deployment.province",
                                f"{d.province} is not an official province code "
                                f"(codes: {', '.join(str(c) for c in provinces())})"))
        return settings, problems
    problems += _site_problems(settings, file)
    if "collector" in roles:
        problems += _target_problems(settings, file)
    if "dashboard" in roles:
        problems += _users_problems(settings, file)
        if "collector" not in roles:  # else the targets' loading reported them
            problems += _own_metrics_problems(file)
    if ports and not problems:
        problems += _port_problems(settings, roles)
    return settings, problems


def check(path: str | Path | None = None, env: Mapping[str, str] | None = None, *,
          roles: Collection[Role] = ROLES, ports: bool = True) -> list[Problem]:
    """All problems in the config at `path` (default `IOC_CONFIG`, else config/ioc.yaml) and
    the environment for the processes in `roles`; empty when they would start. `ports`:
    also try the ports they would listen on."""
    env = os.environ if env is None else env
    return _problems(config_path(path, env), env, roles, ports)[1]


def startup(roles: Collection[Role], path: str | Path | None = None,
            env: Mapping[str, str] | None = None, *, ports: bool = True) -> Settings:
    """The settings for a process playing `roles`, after the whole of `check`; ConfigError
    with every problem otherwise."""
    env = os.environ if env is None else env
    settings, problems = _problems(config_path(path, env), env, roles, ports)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings
