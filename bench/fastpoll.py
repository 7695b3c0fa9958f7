"""The samples a live poll of a simulated centre would store, without the JSON round trip.

`collectors.commands.backfill.simulated_poll` renders each status document as JSON and
reads it back through the collector's parse and validation path (~150 µs a
poll). History for benchmarks needs millions of polls, so this module walks the
model's document with the same mapping profile (paths, scales, state words)
straight into (metric, label, value) triples (~15 µs). The model only emits
valid values, so nothing is refused; `tests/unit/test_fastpoll.py` checks that
both paths give the same samples.
"""

from __future__ import annotations

from collectors.commands.backfill import BASE_LATENCY_S
from collectors.mapping import Profile, profile
from collectors.simulator.model import FleetModel
from collectors.validate import MAX_DURATION_S

Triple = tuple[str, str, float]


class FastPoller:
    """(ok, duration_s, samples) of a simulated centre at time t, through `profile_name`."""

    def __init__(self, model: FleetModel, timeout_s: float, profile_name: str = "default"):
        self.model = model
        self.timeout_s = timeout_s
        prof: Profile = profile(profile_name)
        if prof.prometheus and not prof.json:
            raise ValueError(f"profile {profile_name!r} has no JSON fields to read")
        self._fields = [(f.path, f.metric, f.scale, f.states, f.star) for f in prof.json]

    def poll(self, centre_id: str, t: float) -> tuple[bool, float, list[Triple]]:
        """What the collector would store: `up` and `probe_duration_seconds` first, then the
        document's readings in profile order (a cut-off centre: only the first two)."""
        model = self.model
        if not model.reachable(centre_id, t):
            return False, self.timeout_s, [("up", "", 0.0),
                                           ("probe_duration_seconds", "", self.timeout_s)]
        duration = min(BASE_LATENCY_S + model.answer_delay(centre_id, t), MAX_DURATION_S)
        out: list[Triple] = [("up", "", 1.0), ("probe_duration_seconds", "", duration)]
        doc = model.document(centre_id, t)
        for path, metric, scale, states, star in self._fields:
            if star < 0:
                node = doc
                for key in path:
                    node = node[key]
                out.append((metric, "", float(states[node] if states else node * scale)))
                continue
            node = doc
            for key in path[:star]:
                node = node[key]
            for label, inner in node.items():
                for key in path[star + 1:]:
                    inner = inner[key]
                out.append((metric, label, float(states[inner] if states else inner * scale)))
        return True, duration, out
