"""Slack (or Mattermost) incoming webhook: `{"text": ...}` with the text escaped.

Slack: &, < and > become entities, so a centre named `<!channel>` cannot ping a
channel nor forge a link, and `"mrkdwn": false` keeps `*bold*` literal. Mattermost
reads markdown and `@channel` in plain text, so for `flavour: mattermost` every
markdown character is backslash-escaped and `@` is followed by a zero-width space.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from config.channels import SlackChannel
from metrics.alerts.notifiers._transport import post_json, require_env
from metrics.alerts.notifiers.base import Message
from metrics.alerts.notifiers.templates import render

MAX_TEXT = 3_500  # Slack truncates long texts; we cut first, visibly
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")  # <, >, & become entities


def escape_slack(text: str) -> str:
    """Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mattermost(text: str) -> str:
    """Markdown characters backslash-escaped, <, > and & as entities, @mentions defused."""
    return escape_slack(_MD_SPECIAL.sub(r"\\\1", text)).replace("@", "@\u200b")


def cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def payload(message: Message, *, flavour: str = "slack", username: str | None = None
            ) -> dict[str, Any]:
    text = cut(render(message).text)
    body: dict[str, Any]
    if flavour == "mattermost":
        body = {"text": escape_mattermost(text)}
    else:
        body = {"text": escape_slack(text), "mrkdwn": False}
    if username:
        body["username"] = username
    return body


def send(channel: SlackChannel, message: Message, env: Mapping[str, str], name: str) -> None:
    url = require_env(env, channel.url_env, name)
    body = payload(message, flavour=channel.flavour, username=channel.username)
    post_json(url, body, channel=name, timeout_s=channel.timeout_s)
