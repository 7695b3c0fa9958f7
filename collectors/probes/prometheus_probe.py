"""The `prometheus` probe: a text exposition (`/metrics`) → readings.

`parse_prometheus` is pure and uses prometheus_client's own parser. A body
that is not valid exposition text is refused whole (bad_payload); samples the
profile does not name are ignored, as an exporter's extra metrics are.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from collectors.mapping import Profile
from collectors.probes.outcome import Fetch, Parsed, ProbeOutcome, outcome
from collectors.validate import Reading, show

MAX_SAMPLES = 20_000  # a centre's exposition has ~60; more is a runaway exporter


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def parse_prometheus(body: bytes, profile: Profile) -> Parsed:
    """Readings from exposition text, read with `profile`'s sample names."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Parsed(error=f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    readings: list[Reading] = []
    rejected: list[str] = []
    seen = 0
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                seen += 1
                if seen > MAX_SAMPLES:
                    return Parsed(error=f"more than {MAX_SAMPLES} samples")
                f = profile.prometheus.get(s.name)
                if f is None:
                    continue
                field = f"{s.name}{{{_labels(s.labels)}}}" if s.labels else s.name
                metric = f.metric
                if f.template:
                    try:
                        metric = f.metric.format_map(s.labels)
                    except KeyError as exc:
                        rejected.append(f"{field}: missing label {exc.args[0]!r}")
                        continue
                label = ""
                if f.label is not None:
                    if f.label not in s.labels:
                        rejected.append(f"{field}: missing label {f.label!r}")
                        continue
                    label = s.labels[f.label]
                readings.append(Reading(field, metric, s.value, label, f.scale))
    except ValueError as exc:  # the parser's error for any malformed line (fuzzed: 0.26)
        return Parsed(error=f"not Prometheus text: {show(str(exc))}")
    if not readings and not rejected:
        return Parsed(error="none of the profile's samples in the exposition")
    return Parsed(readings, rejected)


def run(fetch: Fetch, url: str, centre_id: str, profile: Profile) -> ProbeOutcome:
    """GET the exposition at `url` and read it (it carries no centre id to check)."""
    return outcome(fetch(url), lambda body: parse_prometheus(body, profile))
