"""The `prometheus` probe: a text exposition (`/metrics`) → readings.

`parse_prometheus` is pure. A body that is not valid exposition text is refused whole
(bad_payload); samples the profile does not name are ignored, as an exporter's extra
metrics are.

The text is read by `_fast_samples`, a strict line parser for the plain form every exporter
writes (`# HELP`/`# TYPE` lines, `name{label="value",…} value [timestamp]`), ~10× cheaper
than prometheus_client's parser, which cost ~0.65 ms of the ~1 ms a poll took. It gives
exactly what prometheus_client gives for those lines (counter samples renamed `_total`
the same way); any other line — escapes, quotes in comments, exemplars, odd spacing,
malformed text — sends the whole body to prometheus_client's own parser, which stays the
judge of what is exposition text and of the error message.
"""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from collectors.mapping import Profile
from collectors.probes.outcome import Fetch, Parsed, ProbeOutcome, outcome
from collectors.validate import Reading, show

MAX_SAMPLES = 20_000  # a centre's exposition has ~60; more is a runaway exporter

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
# A value prometheus_client reads with int() or float(): a decimal, Inf or NaN.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN"
_SAMPLE = re.compile(
    rf"({_NAME})(?:\{{((?:{_LABEL})(?:,{_LABEL})*)\}})? ({_NUMBER})(?: -?[0-9]+)?"
)
_LABELS = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"\\]*)"')
_HELP = re.compile(rf"# HELP ({_NAME})(?: [^\"]*)?")
_TYPE = re.compile(
    rf"# TYPE ({_NAME}) (counter|gauge|summary|histogram|gaugehistogram|unknown|info|stateset"
    r"|untyped)"
)
_SUFFIXES = {"summary": ("_count", "_sum", ""), "histogram": ("_count", "_sum", "_bucket")}

Sampled = tuple[str, dict[str, str], int | float]


def _number(text: str) -> int | float:
    try:  # as prometheus_client reads a value
        return int(text)
    except ValueError:
        return float(text)


def _fast_samples(text: str) -> list[Sampled] | None:
    """(name, labels, value) of every sample, in order, named as prometheus_client names
    them; None when a line is not in the plain form (the caller then asks prometheus_client).

    Family state is tracked as prometheus_client tracks it, because a `counter` family whose
    name does not end in `_total` has its samples renamed `<name>_total`.
    """
    out: list[Sampled] = []
    members: tuple[str, ...] = ()
    family, kind, start = "", "untyped", 0  # start: the family's first sample
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line[0] == "#":
            if (m := _TYPE.fullmatch(line)) is not None:
                if (m[1] == family and len(out) > start) or m[1] == "_total":
                    return None  # retyped after its samples (renamed at its end); no name
                family, kind, start = m[1], m[2], len(out)
                members = tuple(family + s for s in _SUFFIXES.get(kind, ("",)))
            elif (m := _HELP.fullmatch(line)) is not None:
                if m[1] != family:
                    family, kind, members, start = m[1], "untyped", (m[1],), len(out)
            else:
                return None
            continue
        m = _SAMPLE.fullmatch(line)
        if m is None:
            return None
        name, labels = m[1], {}
        if m[2] is not None:
            for key, value in _LABELS.findall(m[2]):
                if key in labels or key.startswith("__"):
                    return None
                labels[key] = value
        if name not in members:  # an untyped sample of its own: the family ends
            family, kind, members = "", "untyped", ()
        elif kind == "counter" and not family.endswith("_total"):
            name += "_total"
        out.append((name, labels, _number(m[3])))
        if len(out) > MAX_SAMPLES:
            break
    return out


def _slow_samples(text: str) -> list[Sampled]:
    """The samples as prometheus_client's parser reads them (ValueError when malformed)."""
    out: list[Sampled] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.append((s.name, s.labels, s.value))
            if len(out) > MAX_SAMPLES:
                return out
    return out


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def parse_prometheus(body: bytes, profile: Profile) -> Parsed:
    """Readings from exposition text, read with `profile`'s sample names."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Parsed(error=f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    samples = _fast_samples(text)
    if samples is None:
        try:
            samples = _slow_samples(text)
        except ValueError as exc:  # the parser's error for any malformed line (fuzzed: 0.26)
            return Parsed(error=f"not Prometheus text: {show(str(exc))}")
    if len(samples) > MAX_SAMPLES:
        return Parsed(error=f"more than {MAX_SAMPLES} samples")
    readings: list[Reading] = []
    rejected: list[str] = []
    wanted = profile.prometheus
    for name, labels, value in samples:
        f = wanted.get(name)
        if f is None:
            continue
        field = f"{name}{{{_labels(labels)}}}" if labels else name
        metric = f.metric
        if f.template:
            try:
                metric = f.metric.format_map(labels)
            except KeyError as exc:
                rejected.append(f"{field}: missing label {exc.args[0]!r}")
                continue
        label = ""
        if f.label is not None:
            if f.label not in labels:
                rejected.append(f"{field}: missing label {f.label!r}")
                continue
            label = labels[f.label]
        readings.append(Reading(field, metric, value, label, f.scale))
    if not readings and not rejected:
        return Parsed(error="none of the profile's samples in the exposition")
    return Parsed(readings, rejected)


def run(fetch: Fetch, url: str, centre_id: str, profile: Profile) -> ProbeOutcome:
    """GET the exposition at `url` and read it (it carries no centre id to check)."""
    return outcome(fetch(url), lambda body: parse_prometheus(body, profile))
