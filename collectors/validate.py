"""Values from a centre → `Sample`s or rejections. Pure: no I/O, no clock.

Everything a centre sends is untrusted. Each reading is checked against the
catalogue (a real number, not a bool or a string; finite; within the metric's
range; counters never negative) and a bad one is dropped with a rejection
`field: reason` naming the field it came from, while the rest are kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import NamedTuple

from config.catalogue import METRICS, Kind, Metric
from metrics.results import Sample

# Label values become stored text and chart legends: short, plain identifiers only.
LABEL_RE = re.compile(r"[a-z0-9_]{1,64}")
SHOW_CHARS = 40  # how much of an untrusted value a rejection quotes
# What one poll keeps of its rejections: a hostile centre sending hundreds of long keys must
# not inflate the cycle it is spooled and stored in (500 keys of 2 KB made a Huế cycle ~20×
# larger). The rest are counted, not listed.
MAX_REJECTIONS = 20
REJECTION_CHARS = 200
MAX_DURATION_S = METRICS["probe_duration_seconds"].maximum


class Reading(NamedTuple):
    """One value as a centre sent it, where it came from, and what it is to become.

    `value` is untrusted (any JSON value); `scale` turns it into the metric's
    base unit (0.001 for milliseconds). A tuple: parsers make ~50 per poll.
    """

    field: str
    metric: str
    value: object
    label: str = ""
    scale: float = 1.0


# (minimum, maximum, label name) by metric, for the fast path of validate(); a deployment's
# own metrics, registered in the catalogue after this import, are added on first sight.
_LIMITS: dict[str, tuple[float, float, str | None]] = {
    name: (m.minimum, m.maximum, m.label) for name, m in METRICS.items()
}
INF = math.inf


def show(value: object) -> str:
    """An untrusted value quoted briefly for a rejection message."""
    text = repr(value)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "…"


def _range(m: Metric) -> str:
    return f"[{m.minimum:g}, {m.maximum:g}]"


def check(metric: Metric, value: object, scale: float = 1.0) -> float | str:
    """The value in base units, or why it is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"not a number ({type(value).__name__})"
    try:
        x = float(value) * scale
    except OverflowError:  # an integer beyond float range
        return "not finite (too large)"
    if not math.isfinite(x):
        return f"not finite ({x})"
    if x < 0 and metric.kind is Kind.COUNTER:
        return f"negative counter ({x:g})"
    if x < metric.minimum or x > metric.maximum:
        return f"out of range {_range(metric)} ({x:g})"
    return x


def check_label(metric: Metric, label: str) -> str | None:
    """Why the label does not fit the metric, or None."""
    if metric.label is None:
        return None if label == "" else f"unexpected label {show(label)}"
    if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
        return f"bad {metric.label} {show(label)}"
    return None


def validate(readings: Iterable[Reading]) -> tuple[list[Sample], list[str]]:
    """Samples for the valid readings and `field: reason` for each refused one.

    The first reading of a (metric, label) wins; a repeat is refused as a
    duplicate, so a centre cannot overwrite a value within one answer.
    """
    samples: list[Sample] = []
    rejected: list[str] = []
    seen: set[tuple[str, str]] = set()
    for field, name, value, label, scale in readings:
        limits = _LIMITS.get(name)
        if limits is None:
            m = METRICS.get(name)
            if m is None:
                rejected.append(f"{field}: unknown metric {show(name)}")
                continue
            limits = _LIMITS[name] = (m.minimum, m.maximum, m.label)
        lo, hi, label_name = limits
        if label or label_name is not None:
            bad_label = check_label(METRICS[name], label)
            if bad_label:
                rejected.append(f"{field}: {bad_label}")
                continue
        try:  # fast path: an int or float within range (NaN and ±inf fail the comparisons)
            x = value * scale if type(value) is float or type(value) is int else None
        except OverflowError:
            x = None
        if x is None or not (lo <= x < INF and x <= hi):
            got = check(METRICS[name], value, scale)
            if isinstance(got, str):
                rejected.append(f"{field}: {got}")
                continue
            x = got
        key = (name, label)
        if key in seen:
            rejected.append(f"{field}: duplicate value for {name}")
            continue
        seen.add(key)
        samples.append(Sample(name, x, label))
    return samples, rejected


def bound_rejections(texts: list[str]) -> tuple[list[str], int]:
    """At most MAX_REJECTIONS texts, each cut to REJECTION_CHARS, and how many more there
    were (counted, not kept)."""
    kept = [t if len(t) <= REJECTION_CHARS else t[:REJECTION_CHARS - 1] + "…"
            for t in texts[:MAX_REJECTIONS]]
    return kept, len(texts) - len(kept)


def probe_samples(up: bool, duration_s: float) -> list[Sample]:
    """What the collector itself measured: `up` and the poll's duration in seconds.

    `up` is 1 for a poll that succeeded and 0 for a failed one (no answer, an
    error status, a body that does not parse). It is reachability, not health:
    a centre that answers but says its system is down ("soft down") is up = 1
    with system_state = 0.
    """
    duration = min(max(duration_s, 0.0), MAX_DURATION_S)
    return [Sample("up", 1.0 if up else 0.0), Sample("probe_duration_seconds", duration)]
