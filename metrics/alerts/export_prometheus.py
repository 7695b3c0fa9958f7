"""`ioc alerts export-prometheus`: the alert rules of config/alerts.yaml as Prometheus rules.

For a site that runs its own Prometheus and Alertmanager over the collector's
/metrics (collectors/endpoint/exposition.py). Each rule becomes one alerting rule over the
exposed names; the translation of each condition kind is in `EXPRESSIONS` and
docs/prometheus.md. Where Prometheus sees less than the engine (it samples gauges
at scrape time, the engine reads every poll), the rule is the closest equivalent
and its `approximation` annotation says how it differs. A condition kind with no
translation is listed in the output's `not_exported` comment, never dropped silently.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from config.alerts import (
    AlertsConfig,
    BurnRate,
    CollectorSilent,
    FailedPolls,
    Growth,
    ProvinceDown,
    Rule,
    Stale,
    StoreUnreachable,
    Threshold,
)
from config.catalogue import METRICS, exposed_name

GROUP_NAME = "ioc-pvhcc"
UP = exposed_name("up")
_SPEC = re.compile(r"^\.(\d+)([f%])$")


def duration(seconds: float) -> str:
    """A Prometheus duration: 90 → '90s', 3600 → '1h', 1800 → '30m'."""
    s = round(seconds)
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if s and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def _num(value: float) -> str:
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(value)


Translation = tuple[str, str | None, dict[str, str]]  # expr, approximation, field → template


class Cadence(NamedTuple):
    """The collector's timing a translation may need."""

    interval_s: float  # between polls
    confirm_s: float  # the confirmation window of a failure


def failed_polls_hold(c: FailedPolls, rule: Rule, cadence: Cadence) -> float:
    """How long `up == 0` must hold to match the rule: the confirmation window (or `count`
    − 1 intervals), at least the rule's `for`."""
    held = ((c.count - 1) * cadence.interval_s if c.count is not None
            else cadence.confirm_s)
    return max(rule.for_s, held)


def _failed_polls(c: FailedPolls, rule: Rule, cadence: Cadence) -> Translation:
    hold = failed_polls_hold(c, rule, cadence)
    how = (f"{c.count} failed polls in a row (count − 1 poll intervals of "
           f"{cadence.interval_s:g} s)" if c.count is not None else
           f"a failure confirmed over the collector's {cadence.confirm_s:g}-s window")
    return (
        f"{UP} == 0",
        f"{how} ≈ {UP} == 0 held {duration(hold)}; the engine also sees the re-probes "
        "between scrapes",
        {"cause": "mất kết nối"},
    )


def _threshold(c: Threshold, rule: Rule, cadence: Cadence) -> Translation:
    m = METRICS[c.metric]
    selector = f'{{{m.label}="{c.label}"}}' if (m.label and c.label) else ""
    return f"{exposed_name(c.metric)}{selector} {c.op} {_num(c.value)}", None, {
        "threshold": _num(c.value)}


def _growth(c: Growth, rule: Rule, cadence: Cadence) -> Translation:
    name = exposed_name(c.metric)
    return (
        f"({name} - {name} offset {duration(c.window_s)}) >= {_num(c.min_increase)}",
        None,
        {"increase": "{{ $value | printf \"%.0f\" }}", "window_min": _num(c.window_s / 60)},
    )


def _after_s(c: Stale | CollectorSilent, cadence: Cadence) -> float:
    """The condition's threshold in seconds (`load_alerts` fills it in; else its default)."""
    return c.after_s if c.after_s is not None else c.after_intervals * cadence.interval_s


def _stale(c: Stale, rule: Rule, cadence: Cadence) -> Translation:
    return (
        f"(time() - ioc_centre_last_poll_timestamp_seconds) / 60 > "
        f"{_num(_after_s(c, cadence) / 60)}",
        "seen only while the collector serves /metrics; a dead collector is collector_silent",
        {"silent_min": "{{ $value | printf \"%.0f\" }}"},
    )


def _collector_silent(c: CollectorSilent, rule: Rule, cadence: Cadence) -> Translation:
    ts = "ioc_collector_last_cycle_timestamp_seconds"
    return (
        f"(time() - {ts} > {_num(_after_s(c, cadence))}) or absent({ts})",
        "also fires when the collector's /metrics cannot be scraped at all",
        {"silent_s": "{{ $value | printf \"%.0f\" }}"},
    )


def _province_down(c: ProvinceDown, rule: Rule, cadence: Cadence) -> Translation:
    down = f"count by (province) ({UP} == 0)"
    total = f"count by (province) ({UP})"
    return (
        f"({down} >= {c.min_centres}) and ({down} / {total} >= {_num(c.fraction)})",
        None,
        {"down": "{{ $value }}", "total": "?"},
    )


def _burn_rate(c: BurnRate, rule: Rule, cadence: Cadence) -> list[Translation]:
    """One Prometheus rule per window pair (same alert name); `$value` is the long burn rate."""
    by = "province" if c.scope == "province" else "centre, centre_name, province"
    budget = _num(round(1 - c.slo, 10))

    def burn(window: float) -> str:
        w = duration(window)
        return (f"(sum by ({by}) (increase(ioc_centre_polls_failed_total[{w}])) / "
                f"sum by ({by}) (increase(ioc_centre_polls_total[{w}])) / {budget})")

    out: list[Translation] = []
    for p in c.pairs:
        enough = (f"sum by ({by}) (increase(ioc_centre_polls_total[{duration(p.short_s)}])) "
                  f">= {c.min_polls}")
        expr = (f"{burn(p.long_s)} > {_num(p.factor)} and {burn(p.short_s)} > {_num(p.factor)} "
                f"and {enough}")
        note = f"the short window's burn rate is not in the text (> {_num(p.factor)})"
        out.append((expr, note, {
            "long_rate": '{{ $value | printf "%.1f" }}',
            "short_rate": f">{_num(p.factor)}",
            "factor": _num(p.factor),
            "long_min": _num(p.long_s / 60),
            "short_min": _num(p.short_s / 60),
        }))
    return out


def _store_unreachable(c: StoreUnreachable, rule: Rule, cadence: Cadence) -> Translation:
    return (
        "ioc_collector_store_up == 0",
        "the collector's own judgement of its latest cycle's write",
        {"why": "?"},
    )


EXPRESSIONS: dict[type, Callable[[Any, Rule, Cadence], Translation | list[Translation]]] = {
    FailedPolls: _failed_polls,
    Threshold: _threshold,
    Growth: _growth,
    Stale: _stale,
    CollectorSilent: _collector_silent,
    ProvinceDown: _province_down,
    BurnRate: _burn_rate,
    StoreUnreachable: _store_unreachable,
}

# Summary fields every rule may use, as Prometheus template text over the exposed labels.
COMMON_TEMPLATES = {
    "rule": None,  # filled with the rule's name
    "severity": None,  # filled with the rule's severity
    "centre_id": "{{ $labels.centre }}",
    "centre_name": "{{ $labels.centre_name }}",
    "province_name": "{{ $labels.province }}",
    "province_code": "{{ $labels.province }}",
    "value": "{{ $value }}",
    "cause": "?",
}


def summary_template(rule: Rule, fields: dict[str, str]) -> str:
    """The rule's Python format summary rewritten as a Prometheus (Go) template."""
    known = {**COMMON_TEMPLATES, "rule": rule.name, "severity": rule.severity, **fields}
    out: list[str] = []
    for literal, name, spec, _ in string.Formatter().parse(rule.summary):
        out.append(literal.replace("{{", "{{ `{{` }}"))
        if name is None:
            continue
        base = re.split(r"[.\[]", name, maxsplit=1)[0]
        text = known.get(base) or "?"
        match = _SPEC.match(spec or "")
        if base == "value" and match:
            digits, kind = match.groups()
            text = ("{{ $value | humanizePercentage }}" if kind == "%"
                    else f'{{{{ $value | printf "%.{digits}f" }}}}')
        out.append(text)
    return "".join(out)


def export_rules(alerts: AlertsConfig, interval_s: float, confirm_s: float = 4.0
                 ) -> tuple[dict[str, Any], list[str]]:
    """Prometheus rule file content and the names of rules that could not be expressed."""
    rules: list[dict[str, Any]] = []
    not_exported: list[str] = []
    for rule in alerts.rules:
        translate = EXPRESSIONS.get(type(rule.condition))
        if translate is None:
            not_exported.append(f"{rule.name}: condition kind {rule.condition.kind!r} "
                                "has no Prometheus translation")
            continue
        cadence = Cadence(interval_s, confirm_s)
        translated = translate(rule.condition, rule, cadence)
        hold = rule.for_s
        if isinstance(rule.condition, FailedPolls):
            hold = failed_polls_hold(rule.condition, rule, cadence)
        for expr, approximation, fields in (
            translated if isinstance(translated, list) else [translated]
        ):
            annotations = {"summary": summary_template(rule, fields)}
            if approximation:
                annotations["approximation"] = approximation
            entry: dict[str, Any] = {"alert": rule.name, "expr": expr}
            if hold > 0:
                entry["for"] = duration(hold)
            entry["labels"] = {"severity": rule.severity, "rule": rule.name, **rule.labels}
            entry["annotations"] = annotations
            rules.append(entry)
    return {"groups": [{"name": GROUP_NAME, "rules": rules}]}, not_exported


def render_rules(alerts: AlertsConfig, interval_s: float, confirm_s: float = 4.0
                 ) -> tuple[str, list[str]]:
    """The YAML text (with a header comment) and the not-exported list."""
    doc, not_exported = export_rules(alerts, interval_s, confirm_s)
    header = [
        "# Prometheus alerting rules generated by `ioc alerts export-prometheus` from",
        "# config/alerts.yaml, over the metrics the collector serves on /metrics.",
        "# See docs/prometheus.md. Regenerate after changing the rules; do not edit by hand.",
    ]
    if not_exported:
        header.append("# not_exported:")
        header.extend(f"#   - {line}" for line in not_exported)
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    return "\n".join(header) + "\n" + body, not_exported


def cmd_export(alerts: AlertsConfig, interval_s: float, out: str | None,
               confirm_s: float = 4.0) -> int:
    """The CLI handler: write the rules to `out` (or stdout); say what was not exported."""
    text, not_exported = render_rules(alerts, interval_s, confirm_s)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {text.count('- alert:')} Prometheus rules to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for line in not_exported:
        print(f"not exported: {line}", file=sys.stderr)
    return 0
