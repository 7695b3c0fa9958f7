"""Deliver alert messages to notification channels (webhook, Slack/Mattermost, Telegram, e-mail).

`send(channel, message, env)` renders and sends one `Message` in one attempt and
raises `DeliveryError` (with `.retryable`) when it did not arrive; retrying with
backoff (`config.channels.backoff_delay`) and recording failures belong to the
alert engine, which keeps undelivered messages in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from config.channels import Channel
from metrics.alerts.notifiers import email, slack, telegram, webhook
from metrics.alerts.notifiers.base import AlertItem, DeliveryError, Message

# A sender takes its own channel class (WebhookChannel, …): SENDERS is keyed by that
# class's `type`, which a callable's parameter type cannot express.
Sender = Callable[[Any, Message, Mapping[str, str], str], None]

# Channel type → the module function that delivers to it; one module per channel kind.
SENDERS: Mapping[str, Sender] = MappingProxyType(
    {
        "webhook": webhook.send,
        "slack": slack.send,
        "telegram": telegram.send,
        "email": email.send,
    }
)

__all__ = ["SENDERS", "AlertItem", "DeliveryError", "Message", "send"]


def send(
    channel: Channel, message: Message, env: Mapping[str, str], *, name: str | None = None
) -> None:
    """Deliver `message` through `channel` once; `name` (the channel's key) labels errors.

    Raises DeliveryError: retryable for timeouts, connection failures, HTTP 5xx and 429.
    """
    sender = SENDERS.get(channel.type)
    if sender is None:  # only reachable with a Channel type added without a module
        raise DeliveryError(f"no sender for channel type {channel.type!r}", retryable=False)
    sender(channel, message, env, name or channel.type)
