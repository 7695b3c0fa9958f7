"""One incident for one cause, pure: centre alerts of one rule that start together across a
province are grouped into one province incident.

When a rule named in `shared_cause.causes` (config/alerts.yaml) starts at `needed` of a
province's centres — at least `min_centres` and `min_fraction` of the province's centres —
within `within_s` of one another, `group` opens an incident: an alert of the same rule
for the province (centre_id None, fingerprint `incident:<rule>/p<code>`, the label
`incident: shared_cause`), whose cause is the rule's likely shared cause and whose summary
names every centre affected while it lasts. It is pending while they all are, fires when
the first of them fires, takes in every later alert of that rule in the province, and
resolves when none is open. The centres' own alerts stay open; `lifecycle._inhibit` mutes
them by the firing incident ("grouped into"), so the incident is the one notification.
No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from config.alerts import AlertsConfig, SharedCause
from metrics.alerts.lifecycle import (
    INCIDENT_KIND,
    INCIDENT_LABEL,
    OPEN,
    AlertState,
    Event,
    is_incident,
)
from metrics.alerts.notifiers.templates import RULE_PHRASES
from metrics.alerts.rules import incident_fingerprint

MAX_NAMED = 12  # centres named in a summary; the rest are counted


@dataclass(frozen=True)
class Fleet:
    """What grouping needs to know of the centres: id → (name, province code), and each
    province's name and number of centres."""

    centres: Mapping[str, tuple[str, int]]
    provinces: Mapping[int, tuple[str, int]]

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> Fleet:
        """From centre rows with id, name, province_code and province_name."""
        centres: dict[str, tuple[str, int]] = {}
        provinces: dict[int, tuple[str, int]] = {}
        for r in rows:
            if r["province_code"] is None:
                continue
            code = int(r["province_code"])
            centres[str(r["id"])] = (str(r["name"]), code)
            name, n = provinces.get(code, (str(r["province_name"]), 0))
            provinces[code] = (name, n + 1)
        return cls(centres, provinces)


def clustered(starts: Sequence[int], needed: int, within_ms: int) -> bool:
    """Whether `needed` of the start times fall within `within_ms` of one another."""
    times = sorted(starts)
    first = 0
    for last, t in enumerate(times):
        while t - times[first] > within_ms:
            first += 1
        if last - first + 1 >= needed:
            return True
    return False


def members(incident: AlertState, alerts: Sequence[AlertState]) -> list[AlertState]:
    """The centre alerts an incident groups, one per centre (its newest), by centre id: its
    rule's alerts in the province alive at some moment while the incident was (open ones,
    and those resolved since it started)."""
    end = incident.resolved_at if incident.state not in OPEN else None
    found: dict[str, AlertState] = {}
    for a in alerts:
        if (a.centre_id is None or is_incident(a) or a.rule != incident.rule
                or a.province_code != incident.province_code):
            continue
        alive = (a.state in OPEN or (a.resolved_at is not None
                                     and a.resolved_at >= incident.pending_since))
        if end is not None:
            alive = alive and a.pending_since <= end
        if alive and (a.centre_id not in found
                      or found[a.centre_id].pending_since <= a.pending_since):
            found[a.centre_id] = a
    return [found[c] for c in sorted(found)]


def names_text(names: Sequence[str], limit: int = MAX_NAMED) -> str:
    """'A, B, C' or 'A, B, … và 3 nơi khác'."""
    shown = ", ".join(names[:limit])
    return shown + (f" và {len(names) - limit} nơi khác" if len(names) > limit else "")


def summary(cfg: AlertsConfig, rule: str, province: str, names: Sequence[str]) -> str:
    """The incident's Vietnamese summary: where, how many, what, the likely cause, which."""
    labels = cfg.rule(rule).labels
    what = labels.get("phrase") or RULE_PHRASES.get(rule) or f"có cảnh báo {rule}"
    cause = cfg.shared_cause.causes[rule].vi
    return (f"{province}: {len(names)} trung tâm {what} cùng lúc, nguyên nhân chung có thể là "
            f"{cause} — {names_text(names)}")


def _open(cfg: AlertsConfig, rule: str, code: int, now: int) -> AlertState:
    r = cfg.rule(rule)
    labels = {**r.labels, "rule": rule, "severity": r.severity, "province_code": str(code),
              INCIDENT_LABEL: INCIDENT_KIND}
    return AlertState(incident_fingerprint(rule, code), rule, r.severity, None, code, labels,
                      "", cfg.shared_cause.causes[rule].vi, 0.0, "pending", now, now)


def group(cfg: AlertsConfig, alerts: list[AlertState], fleet: Fleet, now: int) -> list[Event]:
    """Open, update and resolve incidents in `alerts` (in place: new ones appended); the
    events of each change."""
    sc: SharedCause = cfg.shared_cause
    events: list[Event] = []
    if not sc.causes and not any(is_incident(a) and a.state in OPEN for a in alerts):
        return events
    incident_at = {(a.rule, a.province_code): i for i, a in enumerate(alerts)
                   if is_incident(a) and a.state in OPEN and a.province_code is not None}
    starting: dict[tuple[str, int], list[int]] = {}
    for a in alerts:
        if (a.state in OPEN and a.centre_id is not None and not is_incident(a)
                and a.rule in sc.causes and a.province_code is not None):
            starting.setdefault((a.rule, a.province_code), []).append(a.pending_since)
    for key in sorted(starting.keys() | incident_at.keys()):
        rule, code = key
        i = incident_at.get(key)
        if i is None:
            total = fleet.provinces.get(code, ("", 0))[1]
            if not clustered(starting[key], sc.needed(total), int(sc.within_s * 1000)):
                continue
            alerts.append(_open(cfg, rule, code, now))
            i = len(alerts) - 1
            events.append(Event(i, "pending", f"{len(starting[key])} centres of province "
                                              f"{code} started {rule} together"))
        incident = alerts[i]
        grouped = members(incident, alerts) if rule in sc.causes else []
        if not any(a.state in OPEN for a in grouped):
            alerts[i] = replace(incident, state="resolved", resolved_at=now, last_eval=now)
            events.append(Event(i, "resolved", "no grouped centre has the condition any more"))
            continue
        names = [fleet.centres.get(a.centre_id or "", (a.centre_id or "", 0))[0]
                 for a in grouped]
        province = fleet.provinces.get(code, (str(code), 0))[0]
        incident = replace(incident, summary=summary(cfg, rule, province, names),
                           value=float(len(grouped)), last_eval=now)
        if incident.state == "pending" and any(a.state == "firing" for a in grouped):
            incident = replace(incident, state="firing", firing_since=now)
            events.append(Event(i, "firing", f"{len(grouped)} centres: "
                                             + ", ".join(a.centre_id or "" for a in grouped)))
        alerts[i] = incident
    return events
