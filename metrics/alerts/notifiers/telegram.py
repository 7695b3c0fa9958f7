"""Telegram Bot API `sendMessage`, as plain text: no `parse_mode`, so nothing is markup.

The base URL is configurable (a local Bot API server, a proxy, or a test sink);
the token comes from the environment and never appears in an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config.channels import TelegramChannel
from metrics.alerts.notifiers._transport import host_of, post_json, require_env
from metrics.alerts.notifiers.base import DeliveryError, Message
from metrics.alerts.notifiers.templates import render

MAX_TEXT = 4_096  # Telegram's limit for one message


def payload(message: Message, chat_id: int | str) -> dict[str, Any]:
    text = render(message).text
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {
        "chat_id": chat_id,
        "text": text,
        "link_preview_options": {"is_disabled": True},
    }


def send(channel: TelegramChannel, message: Message, env: Mapping[str, str], name: str) -> None:
    token = require_env(env, channel.token_env, name)
    url = f"{channel.base_url.rstrip('/')}/bot{token}/sendMessage"
    response = post_json(url, payload(message, channel.chat_id), channel=name,
                         timeout_s=channel.timeout_s)
    try:
        ok = response.json().get("ok") is True
    except (ValueError, AttributeError):
        ok = False
    if not ok:  # a 2xx without {"ok": true} is not Telegram, or not a delivery
        raise DeliveryError(
            f"channel {name!r}: {host_of(url)} answered without \"ok\": true", retryable=True
        )
