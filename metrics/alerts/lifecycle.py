"""The alert life cycle, pure: (previous alerts, evaluations, silences, now) → new alerts,
events and the notifications to send.

`advance` moves alert instances pending → firing → resolved (the `for` duration, and
only once the hit is confirmed; a fingerprint with no data keeps its state), groups
centre alerts of one shared cause into province incidents (metrics.alerts.incidents) and
sets inhibition. `plan` decides what to notify: firing notices (unless silenced, in a
maintenance window, inhibited or flapping), resolved notices (only for alerts whose
firing was notified), reminders (firing, unacknowledged, every `repeat_s`), grouped by
routes' channels and the `grouping.by` labels, honouring `wait_s` and `interval_s`.
Everything is a function of its arguments: no clock, no I/O. Times are int ms UTC.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from config.alerts import DAYS, AlertsConfig, Maintenance, Rule
from metrics.alerts.rules import INCIDENT_PREFIX, Evaluation, Hit

if TYPE_CHECKING:
    from metrics.alerts.incidents import Fleet
    from metrics.alerts.notifiers.base import Status

OPEN = ("pending", "firing")
# The label a shared-cause incident carries for routing and receivers.
INCIDENT_LABEL, INCIDENT_KIND = "incident", "shared_cause"


@dataclass(frozen=True)
class AlertState:
    """One alert instance: a row of the `alerts` table (id None until stored)."""

    fingerprint: str
    rule: str
    severity: str
    centre_id: str | None
    province_code: int | None
    labels: Mapping[str, str]
    summary: str
    cause: str
    value: float | None
    state: str
    pending_since: int
    last_eval: int
    firing_since: int | None = None
    resolved_at: int | None = None
    last_notified: int | None = None
    acked_by: str | None = None
    acked_at: int | None = None
    ack_note: str | None = None
    inhibited_by: str | None = None
    id: int | None = None
    facts: Mapping[str, object] = field(default_factory=dict)  # `Hit.facts`, for rewording


@dataclass(frozen=True)
class Silence:
    """An active or past silence: matchers {"rule", "centre_id", "labels": {…}} for a period."""

    id: int
    matchers: Mapping[str, object]
    starts_at: int
    ends_at: int
    created_by: str
    reason: str
    cancelled_at: int | None = None

    def active(self, now: int) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at

    def matches(self, alert: AlertState) -> bool:
        m = self.matchers
        if "rule" in m and m["rule"] != alert.rule:
            return False
        if "centre_id" in m and m["centre_id"] != alert.centre_id:
            return False
        labels = m.get("labels") or {}
        assert isinstance(labels, Mapping)
        return all(alert.labels.get(k) == v for k, v in labels.items())


@dataclass(frozen=True)
class Event:
    index: int  # position of the alert in the returned list
    kind: str
    detail: str


@dataclass(frozen=True)
class Step:
    alerts: list[AlertState]
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Outgoing:
    """One message to enqueue: a channel, a group, a status and its alerts (list indexes)."""

    channel: str
    group_key: str
    status: Status
    indexes: tuple[int, ...]


def is_incident(alert: AlertState) -> bool:
    """Whether the alert is a shared-cause incident (metrics.alerts.incidents)."""
    return alert.fingerprint.startswith(INCIDENT_PREFIX)


def alert_labels(rule: Rule, hit: Hit) -> dict[str, str]:
    """Routing labels: the rule's labels, then rule, severity and the identifying labels."""
    return {**rule.labels, "rule": rule.name, "severity": rule.severity, **hit.labels}


def advance(cfg: AlertsConfig, alerts: Sequence[AlertState], evaluations: Iterable[Evaluation],
            now: int, fleet: Fleet | None = None) -> Step:
    """Apply evaluations to the alerts (open ones and recently resolved ones); with the
    `fleet`, group shared causes into incidents (`incidents.group`)."""
    out = list(alerts)
    events: list[Event] = []
    open_by_fp = {a.fingerprint: i for i, a in enumerate(out) if a.state in OPEN}
    for ev in evaluations:
        rule = cfg.rule(ev.rule)
        hit_fps = set()
        for hit in ev.hits:
            hit_fps.add(hit.fingerprint)
            i = open_by_fp.get(hit.fingerprint)
            if i is None:
                a = AlertState(hit.fingerprint, rule.name, rule.severity, hit.centre_id,
                               hit.province_code, alert_labels(rule, hit), hit.summary,
                               hit.cause, hit.value, "pending", now, now, facts=hit.facts)
                out.append(a)
                i = open_by_fp[hit.fingerprint] = len(out) - 1
                events.append(Event(i, "pending", hit.cause))
            else:
                out[i] = replace(out[i], summary=hit.summary, cause=hit.cause, value=hit.value,
                                 facts=hit.facts, last_eval=now)
            a = out[i]
            if (a.state == "pending" and hit.confirmed
                    and now - a.pending_since >= rule.for_s * 1000):
                out[i] = replace(a, state="firing", firing_since=now)
                events.append(Event(i, "firing", hit.cause))
        for fp in ev.observed - hit_fps:
            i = open_by_fp.pop(fp, None)
            if i is not None:
                out[i] = replace(out[i], state="resolved", resolved_at=now, last_eval=now)
                events.append(Event(i, "resolved", "condition no longer holds"))
    if fleet is not None:
        from metrics.alerts import incidents  # it builds on this module's types

        events += incidents.group(cfg, out, fleet, now)
    _inhibit(cfg, out, events)
    return Step(out, events)


def _inhibit(cfg: AlertsConfig, alerts: list[AlertState], events: list[Event]) -> None:
    """Set `inhibited_by` on open alerts muted by a firing source alert (never by itself):
    a centre alert grouped into a firing incident by the incident, else by `cfg.inhibit`."""
    sources = [a for a in alerts if a.state == "firing"]
    incident_of = {(s.rule, s.province_code): s.fingerprint for s in sources if is_incident(s)}
    for i, a in enumerate(alerts):
        if a.state not in OPEN:
            continue
        by = None
        if a.centre_id is not None and not is_incident(a):
            by = incident_of.get((a.rule, a.province_code))
        if by is None:
            by = _muted_by(cfg, a, sources)
        if by != a.inhibited_by:
            alerts[i] = replace(a, inhibited_by=by)
            if by:
                how = "grouped into incident" if by in incident_of.values() else "muted by"
                events.append(Event(i, "inhibited", f"{how} {by}"))


def _muted_by(cfg: AlertsConfig, alert: AlertState, sources: Sequence[AlertState]
              ) -> str | None:
    """The first firing source an `inhibit` rule lets mute `alert`, or None."""
    for rule in cfg.inhibit:
        if not rule.target.matches(dict(alert.labels)):
            continue
        for s in sources:
            if (s.fingerprint != alert.fingerprint and rule.source.matches(dict(s.labels))
                    and all(s.labels.get(k) == alert.labels.get(k) for k in rule.equal)):
                return s.fingerprint
    return None


def in_maintenance(window: Maintenance, now: int, tz: str) -> bool:
    """Whether `now` falls in the recurring local-time window (which may cross midnight)."""
    local = datetime.fromtimestamp(now / 1000, UTC).astimezone(ZoneInfo(tz))
    start = int(window.start[:2]) * 60 + int(window.start[3:])
    end = int(window.end[:2]) * 60 + int(window.end[3:])
    minute = local.hour * 60 + local.minute
    day = DAYS[local.weekday()]
    if start < end:
        return day in window.days and start <= minute < end
    yesterday = DAYS[(local - timedelta(days=1)).weekday()]
    return (day in window.days and minute >= start) or (yesterday in window.days
                                                         and minute < end)


def muted(cfg: AlertsConfig, alert: AlertState, silences: Sequence[Silence], now: int
          ) -> str | None:
    """Why the alert must not notify now (silence, maintenance, inhibition), or None."""
    if alert.inhibited_by:
        return f"inhibited by {alert.inhibited_by}"
    for s in silences:
        if s.active(now) and s.matches(alert):
            return f"silence {s.id} by {s.created_by}: {s.reason}"
    for w in cfg.maintenance:
        if w.match.matches(dict(alert.labels)) and in_maintenance(w, now, cfg.timezone):
            return f"maintenance window {w.name}"
    return None


def silence_of(alert: AlertState, silences: Sequence[Silence], now: int) -> Silence | None:
    """The silence in force at `now` that mutes `alert` (the one ending last), or None."""
    found = [s for s in silences if s.active(now) and s.matches(alert)]
    return max(found, key=lambda s: (s.ends_at, s.id)) if found else None


def flapping(cfg: AlertsConfig, alert: AlertState, starts: Mapping[str, Sequence[int]],
             now: int) -> bool:
    """Started `max_starts` times within the flap window and not yet firing steadily."""
    f = cfg.flapping
    window = int(f.window_s * 1000)
    recent = [t for t in starts.get(alert.fingerprint, ()) if now - t <= window]
    steady = alert.firing_since is not None and now - alert.firing_since >= window
    return len(recent) >= f.max_starts and not steady


def route(cfg: AlertsConfig, labels: Mapping[str, str]) -> list[str]:
    """Channels for an alert: the first matching route's, plus later ones after `continue`."""
    channels: list[str] = []
    for r in cfg.routes:
        if r.match.matches(dict(labels)):
            channels += [c for c in r.channels if c not in channels]
            if not r.continue_:
                break
    return channels


def group_key(cfg: AlertsConfig, labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={labels.get(k, '')}" for k in cfg.grouping.by)


def plan(cfg: AlertsConfig, alerts: Sequence[AlertState], silences: Sequence[Silence],
         starts: Mapping[str, Sequence[int]], now: int) -> tuple[Step, list[Outgoing]]:
    """What to notify now; the alerts with `last_notified` set for those included.

    `starts`: fingerprint → the pending_since of its recent instances (flap damping).
    """
    g = cfg.grouping
    out = list(alerts)
    events: list[Event] = []
    wanted: dict[tuple[str, str, Status], list[int]] = defaultdict(list)
    last_group: dict[tuple[str, str], int] = {}
    for a in out:
        if a.state == "firing" and a.last_notified is not None:
            for ch in route(cfg, a.labels):
                k = (ch, group_key(cfg, a.labels))
                last_group[k] = max(last_group.get(k, 0), a.last_notified)
    for i, a in enumerate(out):
        status: Status | None = None
        if a.state == "firing":
            why = muted(cfg, a, silences, now)
            if why is None and flapping(cfg, a, starts, now):
                why = "flapping"
            if why is not None:
                continue
            if a.last_notified is None:
                status = "firing"
            elif a.acked_by is None and now - a.last_notified >= g.repeat_s * 1000:
                status = "reminder"
        elif (a.state == "resolved" and a.last_notified is not None
              and a.resolved_at is not None and a.last_notified < a.resolved_at):
            status = "resolved"
        if status is None:
            continue
        for ch in route(cfg, a.labels):
            wanted[(ch, group_key(cfg, a.labels), status)].append(i)
    outgoing: list[Outgoing] = []
    sent: set[int] = set()
    for (ch, key, status), idx in sorted(wanted.items()):
        if status == "firing":
            oldest = min(out[i].firing_since or now for i in idx)
            if now - oldest < g.wait_s * 1000:
                continue
            last = last_group.get((ch, key))
            if last is not None and now - last < g.interval_s * 1000:
                continue
        outgoing.append(Outgoing(ch, key, status, tuple(idx)))
        sent.update(idx)
        if status == "reminder":
            events += [Event(i, "reminded", f"reminder queued for channel {ch}") for i in idx]
    for i in sent:
        out[i] = replace(out[i], last_notified=now)
    return Step(out, events), outgoing


def silenced_events(cfg: AlertsConfig, step: Step, silences: Sequence[Silence],
                    now: int) -> list[Event]:
    """A `silenced` event for each alert that started firing now while muted by a silence or
    a maintenance window (inhibition has its own event)."""
    out = []
    for e in step.events:
        a = step.alerts[e.index]
        if e.kind == "firing" and not a.inhibited_by:
            why = muted(cfg, a, silences, now)
            if why:
                out.append(Event(e.index, "silenced", why))
    return out


def labels_json(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(labels.items())), ensure_ascii=False)
