"""The deployment's centres: the registry's selection, less the centres the site file
disables (or does not list, with `watch: listed`), plus the site file's facts."""

from __future__ import annotations

from pathlib import Path

from config.loader import config_path, load_site, resolve_site_path
from config.registry import Centre, apply_site, select, watched
from config.settings import Settings, SiteFile


def site_file(settings: Settings, config_file: str | Path | None = None) -> SiteFile | None:
    """The validated site file the settings name, or None when they name none."""
    if settings.deployment.site_file is None:
        return None
    return load_site(resolve_site_path(settings, config_path(config_file)))


def centres(settings: Settings, config_file: str | Path | None = None) -> list[Centre]:
    """Every centre this deployment watches, with coordinates where the site file has them.

    A centre the site file disables is not here: not polled, not stored, not judged."""
    d = settings.deployment
    chosen = select(d.scope, d.province, include_provincial=d.include_provincial_centre)
    site = site_file(settings, config_file)
    return apply_site(watched(chosen, site), site)


def unwatched_ids(settings: Settings, config_file: str | Path | None = None) -> frozenset[str]:
    """Centres of the deployment's scope that its site file leaves out (`enabled: false`, or
    not listed with `watch: listed`). A store may still hold them from when they were
    watched: the pages and the alert rules pass over them."""
    d = settings.deployment
    chosen = select(d.scope, d.province, include_provincial=d.include_provincial_centre)
    kept = {c.id for c in watched(chosen, site_file(settings, config_file))}
    return frozenset(c.id for c in chosen if c.id not in kept)
