"""Probe kinds: one module each, listed in one explicit registry.

A probe is `run(fetch, url, centre_id, profile) -> ProbeOutcome`: it makes its
request through the injected `fetch` and parses the answer with its pure
`parse_*()`. Adding a kind is one module, one entry here and one fixture.
"""

from __future__ import annotations

from collections.abc import Callable

from collectors.mapping import Profile
from collectors.probes import http_probe, json_probe, prometheus_probe
from collectors.probes.outcome import Fetch, ProbeOutcome

Probe = Callable[[Fetch, str, str, Profile], ProbeOutcome]

PROBES: dict[str, Probe] = {
    "http": http_probe.run,
    "json": json_probe.run,
    "prometheus": prometheus_probe.run,
}
