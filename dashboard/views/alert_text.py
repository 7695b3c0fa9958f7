"""The product's own identifiers in the reader's words (pure): metric and rule names,
severities, an alert's summary and cause, a failed poll's detail, alert events and
audit rows.

An alert stores the figures its words are made from (`alerts.facts`, see
`metrics.alerts.rules.Hit.facts`); here they are worded per language with the templates of
dashboard/texts/vocab.py and numbers, durations and times from `dashboard.views.fmt`. An
alert stored before its facts were kept (facts NULL) shows its stored summary and cause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from config import catalogue
from dashboard import i18n
from dashboard.i18n import Tr
from dashboard.views import fmt
from dashboard.views import poll_detail as collector_phrases
from metrics.store.migrations.v12_poll_confirmed import V12_MARK


def _has(key: str) -> bool:
    return key in i18n.VI


def metric_name(metric: str, tr: Tr) -> str:
    """"Tỉ lệ OTP thất bại" for otp_failure_ratio; an unknown name as it is."""
    return tr(f"metric.{metric}") if _has(f"metric.{metric}") else metric


def metric_value(metric: str | None, value: float | None, tr: Tr) -> str:
    """A metric's value in its unit: durations, percentages, states in words, counts."""
    if value is None:
        return fmt.DASH
    unit = catalogue.METRICS[metric].unit if metric in catalogue.METRICS else ""
    if unit == "s":
        return fmt.duration(value, tr.lang)
    if unit == "ratio":
        return fmt.percent(value, tr.lang)
    if unit in ("state", "bool") and float(value).is_integer():
        kind = "power" if metric == "component_power_state" else \
            "bool" if unit == "bool" else "state"
        key = f"alert.{kind}.{int(value)}"
        if _has(key):
            return tr(key)
    return fmt.number(value, tr.lang, 0 if float(value).is_integer() else 2)


def rule_name(rule: str, tr: Tr) -> str:
    """A rule of config/alerts.yaml in words; a site's own rule by its name."""
    return tr(f"rule.{rule}") if _has(f"rule.{rule}") else rule


def severity(value: str | None, tr: Tr) -> str:
    """NGHIÊM TRỌNG / Cảnh báo / Thông tin; an unknown severity as it is."""
    key = f"wall2.severity.{value}"
    return tr(key) if _has(key) else (value or fmt.DASH)


_HTTP = re.compile(r"^HTTP (\d{3})$")
# collectors/polling/poll.py: "… (cut to 1.25 s by the cycle's deadline)"
_CUT = re.compile(r"\s*\(cut to [\d.]+ s by the cycle's deadline\)")


def poll_detail(detail: str | None, tr: Tr, confirmed: bool = False) -> str:
    """A failed poll's detail in words, and whether its failure was confirmed: "read timeout"
    → "hết thời gian chờ phản hồi; đã thăm dò lại để xác nhận". A detail the dashboard has
    no words for (a centre's own error text) is kept as it is. (Polls stored before schema
    version 12 carried the confirmation in the text.)"""
    text = (detail or "").strip()
    confirmed = confirmed or V12_MARK in text
    text = _CUT.sub("", text.replace(V12_MARK, "")).strip()
    if _has(f"detail.{text}"):
        text = tr(f"detail.{text}")
    elif match := _HTTP.match(text):
        text = tr("detail.http", code=match.group(1))
    else:
        text = collector_phrases.words(text, tr)  # e.g. "answer too slow" within the text
    parts = [p for p in (text, tr("detail.confirmed") if confirmed else "") if p]
    return "; ".join(parts)


def _worded(detail: str | None) -> bool:
    """Whether `poll_detail` has words for this detail (not only the centre's own text)."""
    text = _CUT.sub("", (detail or "").replace(V12_MARK, "")).strip()
    return _has(f"detail.{text}") or bool(_HTTP.match(text))


def poll_cause(reason: str | None, detail: str | None, tr: Tr, confirmed: bool = False
               ) -> str:
    """"không phản hồi (hết thời gian chờ phản hồi)": the reason, then the detail."""
    words = tr(f"reason.{reason}") if reason and _has(f"reason.{reason}") else (reason or "")
    said = poll_detail(detail, tr, confirmed)
    if said and said != words:
        return f"{words} ({said})" if words else said
    return words


def facts_of(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The alert's stored facts, or None (an older alert, or unreadable JSON)."""
    raw = row.get("facts")
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _minutes(value: Any, tr: Tr) -> str:
    return fmt.duration(None if value is None else float(value) * 60, tr.lang)


def _times(value: Any, tr: Tr) -> str:
    return fmt.DASH if value is None else tr("alert.times",
                                             n=fmt.number(float(value), tr.lang, 1))


def _fields(f: dict[str, Any], tr: Tr) -> dict[str, str]:
    """Every template field, worded for the language (a missing figure shows a dash)."""
    lang, metric = tr.lang, f.get("metric")
    count = lambda k: fmt.number(f.get(k), lang)  # noqa: E731
    return {
        "centre": f.get("centre_name") or "",
        "province": f.get("province_name") or "",
        "where": f.get("centre_name") or f.get("province_name") or tr("alert.whole"),
        "value": metric_value(metric, f.get("value"), tr),
        "threshold": metric_value(metric, f.get("threshold"), tr),
        "metric": metric_name(metric, tr) if metric else "",
        "op": tr(f"alert.op.{f.get('op')}") if _has(f"alert.op.{f.get('op')}") else "",
        "before": metric_value(metric, f.get("before"), tr),
        "after": metric_value(metric, f.get("after"), tr),
        "increase": count("increase"),
        "window": _minutes(f.get("window_min"), tr),
        "silent": fmt.duration(f.get("silent_s") if f.get("silent_min") is None
                               else float(f["silent_min"]) * 60, lang),
        "down": count("down"), "total": count("total"), "n": count("failures"),
        "reason": poll_cause(f.get("reason"), f.get("detail"), tr, bool(f.get("confirmed"))),
        "long_rate": _times(f.get("long_rate"), tr), "short_rate": _times(f.get("short_rate"), tr),
        "factor": _times(f.get("factor"), tr),
        "long_window": _minutes(f.get("long_min"), tr),
        "short_window": _minutes(f.get("short_min"), tr),
        "slo": fmt.percent(f.get("slo"), lang),
    }


def _cause(f: dict[str, Any], fields: dict[str, str], tr: Tr) -> str:
    kind = f.get("kind")
    if kind == "collector_silent" and f.get("value") is None and f.get("silent_s") is None:
        return tr("alert.cause.collector_never")
    if kind == "stale":
        fields = {**fields, "silent": fmt.duration(f.get("value"), tr.lang)}
    if kind == "collector_silent":
        fields = {**fields, "silent": fmt.duration(f.get("silent_s"), tr.lang)}
    return tr(f"alert.cause.{kind}", **fields)


def cause(row: Mapping[str, Any], tr: Tr) -> str:
    """What was observed, in the reader's language: "Tỉ lệ OTP thất bại 35,0 % (trên
    20,0 %)"; the stored cause when the alert has no facts."""
    f = facts_of(row)
    if f is None or not _has(f"alert.cause.{f.get('kind')}"):
        return row.get("cause") or ""
    return _cause(f, _fields(f, tr), tr)


def summary(row: Mapping[str, Any], tr: Tr) -> str:
    """The alert's one line in the reader's language: the rule's own template, else its
    condition kind's; the stored (Vietnamese) summary when the alert has no facts."""
    f = facts_of(row)
    rule = row.get("rule") or ""
    if f is None or not _has(f"alert.kind.{f.get('kind')}"):
        return row.get("summary") or ""
    fields = _fields(f, tr)
    fields["cause"] = _cause(f, fields, tr)
    if f.get("kind") == "collector_silent" and f.get("silent_s") is None:
        return fields["cause"]  # never stored anything: no duration to give
    if f.get("kind") == "failed_polls":  # the detail alone, when it has words
        said = poll_detail(f.get("detail"), tr, bool(f.get("confirmed")))
        fields["cause"] = said if _worded(f.get("detail")) else fields["reason"]
    key = f"rule.{rule}.summary"
    return tr(key if _has(key) else f"alert.kind.{f['kind']}", **fields)


# metrics/alerts/actions.py writes a silence's event as "silence <id> until <ms>: <reason>"
# and its audit detail as "<matchers JSON> until <ms>: <reason>"; acknowledgements without
# a note as "role <role>".
_SILENCE_EVENT = re.compile(r"^silence (\d+) until (\d{10,16}): ?(.*)$", re.S)
_SILENCE_AUDIT = re.compile(r"^(\{.*\}) until (\d{10,16}): ?(.*)$", re.S)
_ROLE = re.compile(r"^role (\w+)$")


def _ms(text: str, tz: str) -> str:
    return fmt.date_time(datetime.fromtimestamp(int(text) / 1000, UTC), tz)


def role_name(role: str | None, tr: Tr) -> str:
    key = f"auth.role.{role}"
    return tr(key) if role and _has(key) else (role or "")


def event_detail(kind: str, detail: str | None, tr: Tr, tz: str) -> str:
    """An alert event's stored detail in words: times in the display zone, roles named."""
    text = detail or ""
    if kind == "silenced" and (m := _SILENCE_EVENT.match(text)):
        return tr("alert.event.silenced", until=_ms(m.group(2), tz), reason=m.group(3))
    if m := _ROLE.match(text):
        return role_name(m.group(1), tr)
    return text


def _matchers(raw: str, tr: Tr) -> str:
    try:
        found = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(found, dict):
        return raw
    parts = []
    if found.get("rule"):
        parts.append(rule_name(str(found["rule"]), tr))
    if found.get("centre_id"):
        parts.append(tr("alert.centre_id", id=found["centre_id"]))
    for key, value in (found.get("labels") or {}).items():
        parts.append(f"{key}={value}")
    return " · ".join(parts)


def audit_action(action: str, tr: Tr) -> str:
    key = f"audit.action.{action}"
    return tr(key) if _has(key) else action


# metrics.alerts.assignments_store.assign: "alert 12 → network_carrier, due <ms>: note"
_ASSIGN_AUDIT = re.compile(r"^(?:alert (\d+)|centre (\S+)) → (\S+), due (\d+): (.*)$", re.S)


def audit_detail(action: str, detail: str | None, tr: Tr, tz: str) -> str:
    """An audit row's detail in words (a silence's matchers and end time)."""
    text = detail or ""
    if action == "silence" and (m := _SILENCE_AUDIT.match(text)):
        return tr("alert.audit.silence", what=_matchers(m.group(1), tr),
                  until=_ms(m.group(2), tz), reason=m.group(3))
    if action == "assign" and (m := _ASSIGN_AUDIT.match(text)):
        what = (tr("actions.audit.alert", id=m.group(1)) if m.group(1)
                else tr("actions.audit.centre", id=m.group(2)))
        return tr("actions.audit.assign", what=what, unit=m.group(3), due=_ms(m.group(4), tz),
                  note=m.group(5))
    return text
