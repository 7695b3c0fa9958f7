"""What the collector polls: one `Target` per centre, with every request a poll makes.

A centre's base URL is its site-file `url`, or `collector.endpoint_template`
formatted with `id`, `sim_host` (its simulated loopback host) and `sim_port`
(the simulator's port). Its probes are the site file's, or the collector's, each
read with a mapping profile: shipped, or the deployment's own (collectors/mapping.py).
A centre whose documents call it by its own id (`document_id` in the site file) is
checked against that id. Targets are small frozen values: they are pickled to the
worker processes, their profiles with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from collectors.mapping import Profile, deployment_profiles
from collectors.probes import PROBES
from collectors.simulator.addressing import sim_host
from config.loader import ConfigError, Problem
from config.registry import Centre
from config.settings import ProbeSpec, Settings, SiteFile


@dataclass(frozen=True, slots=True)
class Call:
    """One request of a poll: the probe kind, the full URL, its path below the centre's base
    URL (named in failure details), the mapping profile's name and the profile itself."""

    kind: str
    url: str
    path: str
    profile: str
    mapping: Profile


@dataclass(frozen=True, slots=True)
class Target:
    """A centre to poll. `document_id` is the id its documents must carry: its official
    code, or the site file's `document_id` for a system that names it its own way."""

    centre_id: str
    calls: tuple[Call, ...]
    document_id: str = ""

    @property
    def expected_id(self) -> str:
        return self.document_id or self.centre_id


def base_url(centre: Centre, template: str, sim_port: int) -> str:
    """The centre's base URL (no trailing slash)."""
    if centre.url:
        return centre.url.rstrip("/")
    fields = {"id": centre.id, "sim_port": sim_port}
    if "{sim_host}" in template:
        fields["sim_host"] = sim_host(centre.id)
    return template.format_map(fields).rstrip("/")


def build_targets(
    settings: Settings,
    centres: Sequence[Centre],
    site: SiteFile | None = None,
    config_file: str | Path | None = None,
) -> list[Target]:
    """A target per centre; ConfigError lists every unusable URL, probe kind or profile.

    Profiles are the shipped ones plus those beside the settings file `config_file`
    (`IOC_CONFIG`'s when None), whose own metrics are registered in the catalogue."""
    collector = settings.collector
    profiles = deployment_profiles(config_file)
    problems: list[Problem] = []
    targets: list[Target] = []
    for centre in centres:
        entry = site.centres.get(centre.id) if site else None
        specs: Sequence[ProbeSpec] = entry.probes if entry and entry.probes else collector.probes
        url = entry.url if entry and entry.url else centre.url
        where = f"centre {centre.id}"
        try:
            base = base_url(
                replace(centre, url=url), collector.endpoint_template, settings.simulator.port
            )
        except (KeyError, ValueError, IndexError) as exc:
            problems.append(
                Problem(where, "collector.endpoint_template", f"cannot build the URL: {exc}")
            )
            continue
        if not base.startswith(("http://", "https://")):
            problems.append(Problem(where, "url", f"not an http(s) URL: {base!r}"))
            continue
        for spec in specs:
            if spec.kind not in PROBES:
                problems.append(Problem(where, "probes.kind", f"unknown probe kind {spec.kind!r}"))
            if spec.profile not in profiles:
                problems.append(
                    Problem(
                        where,
                        "probes.profile",
                        f"unknown mapping profile {spec.profile!r} (neither shipped in "
                        "config/probes.yaml nor in the deployment's probes.yaml)",
                    )
                )
        if problems:
            continue
        calls = tuple(Call(s.kind, base + s.path, s.path, s.profile, profiles[s.profile])
                      for s in specs)
        targets.append(Target(centre.id, calls, (entry.document_id or "") if entry else ""))
    if problems:
        raise ConfigError(problems)
    return targets


def shard(targets: Sequence[Target], n: int) -> list[list[Target]]:
    """`targets` dealt round-robin into `n` fixed shards (one per worker process)."""
    return [list(targets[i::n]) for i in range(n)]
