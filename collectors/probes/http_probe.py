"""The `http` probe: is the centre's endpoint answering, and how fast (e.g. `/health`).

A 2xx answer is success; any other status fails the poll with reason
`http_status`. The body is not read for values: there is nothing to parse.
"""

from __future__ import annotations

from collectors.mapping import Profile
from collectors.probes.outcome import Fetch, ProbeOutcome, outcome


def run(fetch: Fetch, url: str, centre_id: str, profile: Profile) -> ProbeOutcome:
    """GET `url`; the outcome carries the status and the latency, no readings."""
    return outcome(fetch(url), None)
