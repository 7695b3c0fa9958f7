"""Generic JSON webhook with the Alertmanager (version 4) payload.

Receivers written for Alertmanager (PagerDuty bridges, ticketing, ChatOps bots)
read it unchanged. Values from centres are JSON strings: data, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from config.channels import WebhookChannel
from metrics.alerts.notifiers._transport import post_json, require_env
from metrics.alerts.notifiers.base import IDEMPOTENCY_HEADER, AlertItem, Message
from metrics.alerts.notifiers.templates import place, render

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt for an alert still firing
GROUP_LABEL_KEYS = ("alertname", "province")


def rfc3339(when: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix (as Alertmanager writes times)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_labels(item: AlertItem) -> dict[str, str]:
    """The rule's labels plus the canonical ones (alertname, severity, centre, province)."""
    labels = dict(item.labels)
    labels["alertname"] = item.rule
    labels["severity"] = item.severity
    if item.centre_id is not None:
        labels["centre"] = item.centre_id
    if item.centre_name is not None:
        labels["centre_name"] = item.centre_name
    if item.province_name is not None:
        labels["province"] = item.province_name
    return labels


def alert_annotations(item: AlertItem) -> dict[str, str]:
    where = place(item)
    description = item.cause if not where else f"{where}: {item.cause}" if item.cause else where
    out = {"summary": item.summary, "description": description}
    if item.acked_by:  # who took it on, as Alertmanager receivers read annotations
        out |= {"acknowledged_by": item.acked_by, "ack_note": item.ack_note or ""}
    if item.silenced_until is not None:
        out |= {"silenced_until": rfc3339(item.silenced_until),
                "silenced_by": item.silenced_by or ""}
    if item.centres:  # an incident: the centres it groups, one per line
        out["centres"] = "\n".join(item.centres)
    return out


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    first, *rest = dicts
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in rest)}


def payload(message: Message, *, receiver: str, external_url: str = "") -> dict[str, Any]:
    """The Alertmanager webhook document for `message` (a reminder, an acknowledgement or a
    silence of open alerts is sent as 'firing', with the action in the annotations)."""
    labels = [alert_labels(a) for a in message.alerts]
    annotations = [alert_annotations(a) for a in message.alerts]
    common = _common(labels)
    alerts = [
        {
            "status": "resolved" if item.ends_at is not None else "firing",
            "labels": lab,
            "annotations": ann,
            "startsAt": rfc3339(item.starts_at),
            "endsAt": ZERO_TIME if item.ends_at is None else rfc3339(item.ends_at),
            "fingerprint": item.fingerprint,
            "generatorURL": external_url,
        }
        for item, lab, ann in zip(message.alerts, labels, annotations, strict=True)
    ]
    return {
        "version": "4",
        "groupKey": message.group_key,
        "truncatedAlerts": 0,
        "status": "resolved" if message.status in ("resolved", "closed") else "firing",
        "receiver": receiver,
        "groupLabels": {k: common[k] for k in GROUP_LABEL_KEYS if k in common},
        "commonLabels": common,
        "commonAnnotations": _common(annotations),
        "externalURL": external_url,
        "alerts": alerts,
        # Not in Alertmanager's schema; receivers ignore unknown keys. Plain text, Vietnamese.
        "title": render(message).title,
        # The same on every attempt of this notification (also the X-Idempotency-Key
        # header): a receiver drops a second one, the duplicate a timed-out retry makes.
        **({"notificationId": message.key} if message.key else {}),
    }


def send(channel: WebhookChannel, message: Message, env: Mapping[str, str], name: str) -> None:
    url = channel.url if channel.url is not None else require_env(env, channel.url_env or "", name)
    body = payload(message, receiver=channel.receiver, external_url=channel.external_url)
    headers = {**channel.headers, **({IDEMPOTENCY_HEADER: message.key} if message.key else {})}
    post_json(url, body, channel=name, timeout_s=channel.timeout_s, headers=headers)
