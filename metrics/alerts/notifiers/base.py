"""What a notifier sends and how it fails: `AlertItem`, `Message`, `DeliveryError`.

The alert engine builds a `Message` (one group of alerts with one status); a channel
module renders and sends it. Messages are persisted as JSON (`to_json`/`from_json`)
so a delivery that failed can be retried after a restart, unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

# acknowledged / silenced: a person acted on alerts the channel was told about (actions.py).
# overdue / closed: work assigned to a unit is past its due time, or was closed after that
# (metrics/alerts/assignments_store.py); the one item is the assignment.
Status = Literal["firing", "resolved", "reminder", "acknowledged", "silenced", "overdue",
                 "closed"]
STATUSES: tuple[str, ...] = get_args(Status)


class DeliveryError(Exception):
    """A message did not reach the channel. `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"DeliveryError({self.reason!r}, retryable={self.retryable})"


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class AlertItem:
    """One alert in a message. Every text field may come from a centre: untrusted."""

    fingerprint: str
    rule: str
    severity: str
    centre_id: str | None
    centre_name: str | None
    province_name: str | None
    summary: str
    cause: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str] = field(default_factory=dict)
    centres: tuple[str, ...] = ()  # an incident's affected centres (names), else empty
    acked_by: str | None = None  # who acknowledged it, and their note
    ack_note: str | None = None
    silenced_until: datetime | None = None  # a silence in force when the message was queued
    silenced_by: str | None = None

    def __post_init__(self) -> None:
        _aware(self.starts_at, "starts_at")
        if self.ends_at is not None:
            _aware(self.ends_at, "ends_at")
        if self.silenced_until is not None:
            _aware(self.silenced_until, "silenced_until")

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "severity": self.severity,
            "centre_id": self.centre_id,
            "centre_name": self.centre_name,
            "province_name": self.province_name,
            "summary": self.summary,
            "cause": self.cause,
            "starts_at": _iso(self.starts_at),
            "ends_at": None if self.ends_at is None else _iso(self.ends_at),
            "labels": dict(self.labels),
            "acked_by": self.acked_by,
            "ack_note": self.ack_note,
            "silenced_until": None if self.silenced_until is None
            else _iso(self.silenced_until),
            "silenced_by": self.silenced_by,
            **({"centres": list(self.centres)} if self.centres else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlertItem:
        labels = d.get("labels") or {}
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ValueError(f"alert {d.get('fingerprint')!r}: labels must map text to text")
        ends, until = d.get("ends_at"), d.get("silenced_until")
        centres = d.get("centres") or []
        if not isinstance(centres, list) or not all(isinstance(c, str) for c in centres):
            raise ValueError(f"alert {d.get('fingerprint')!r}: centres must be a list of text")
        return cls(
            fingerprint=str(d["fingerprint"]),
            rule=str(d["rule"]),
            severity=str(d["severity"]),
            centre_id=d.get("centre_id"),
            centre_name=d.get("centre_name"),
            province_name=d.get("province_name"),
            summary=str(d["summary"]),
            cause=str(d["cause"]),
            starts_at=datetime.fromisoformat(d["starts_at"]),
            ends_at=None if ends is None else datetime.fromisoformat(ends),
            labels=dict(labels),
            acked_by=_text_or_none(d.get("acked_by")),
            ack_note=_text_or_none(d.get("ack_note")),
            silenced_until=None if until is None else datetime.fromisoformat(until),
            silenced_by=_text_or_none(d.get("silenced_by")),
            centres=tuple(centres),
        )


IDEMPOTENCY_HEADER = "X-Idempotency-Key"


@dataclass(frozen=True)
class Message:
    """One notification: a group of alerts sharing a status and a group key.

    `key` is the delivery's idempotency key, the same on every attempt of one outbox row
    (set by the alert engine when it sends; not part of the stored JSON): a receiver that
    sees a key twice got a retry of something it already has (a timed-out attempt that
    did arrive) and may drop it.
    """

    status: Status
    group_key: str
    alerts: tuple[AlertItem, ...]
    key: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not self.alerts:
            raise ValueError(f"message {self.group_key!r} has no alerts")

    def to_json(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "group_key": self.group_key,
                "alerts": [a.to_dict() for a in self.alerts],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, s: str) -> Message:
        d = json.loads(s)
        if not isinstance(d, dict) or not isinstance(d.get("alerts"), list):
            raise ValueError("a message is a JSON object with an 'alerts' list")
        return cls(
            status=d["status"],
            group_key=str(d["group_key"]),
            alerts=tuple(AlertItem.from_dict(a) for a in d["alerts"]),
        )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds kept: the JSON form of every instant."""
    return value.astimezone(UTC).isoformat()
