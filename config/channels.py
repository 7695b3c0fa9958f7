"""Notification channels: where alerts go (`channels:` in config/alerts.yaml).

Four kinds, told apart by `type`: a generic JSON `webhook` (Alertmanager-compatible
payload), a `slack` incoming webhook (Mattermost accepts the same), the `telegram` Bot
API and `email` over SMTP. Secrets never live in YAML: a field ending in `_env` names
the environment variable that holds the URL, token or password, read at send time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, TypeAdapter, model_validator

from config.settings import Strict

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EnvName = Annotated[str, Field(pattern=ENV_NAME)]


class ChannelBase(Strict):
    """Settings every channel has: one attempt's timeout and the retry schedule."""

    timeout_s: float = Field(default=5.0, gt=0, le=120)
    max_attempts: int = Field(default=8, ge=1, le=100)  # then the delivery is marked failed
    backoff_s: float = Field(default=2.0, gt=0, le=3600)  # wait after the first failure
    backoff_max_s: float = Field(default=300.0, gt=0, le=86_400)  # the wait doubles up to this

    @model_validator(mode="after")
    def _backoff_order(self) -> ChannelBase:
        if self.backoff_max_s < self.backoff_s:
            raise ValueError(
                f"backoff_max_s ({self.backoff_max_s}) must not be below "
                f"backoff_s ({self.backoff_s})"
            )
        return self


class WebhookChannel(ChannelBase):
    """POST an Alertmanager-compatible JSON document to a URL (given or from the environment)."""

    type: Literal["webhook"]
    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: EnvName | None = None  # use this when the URL carries a secret
    receiver: str = "ioc"  # the payload's `receiver`
    external_url: str = ""  # the payload's `externalURL` (e.g. the dashboard's address)
    headers: dict[str, str] = Field(default_factory=dict)  # extra, non-secret headers

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' and 'url_env'")
        return self


class SlackChannel(ChannelBase):
    """A Slack or Mattermost incoming webhook; its URL is a secret, so only `url_env`."""

    type: Literal["slack"]
    url_env: EnvName
    flavour: Literal["slack", "mattermost"] = "slack"  # how text is escaped
    username: str | None = None  # display name override (Mattermost honours it)


class TelegramChannel(ChannelBase):
    """The Telegram Bot API `sendMessage` call, as plain text (no parse mode)."""

    type: Literal["telegram"]
    base_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    token_env: EnvName
    chat_id: int | Annotated[str, Field(pattern=r"^(-?\d+|@[A-Za-z0-9_]{5,})$")]


class EmailChannel(ChannelBase):
    """E-mail over SMTP: text/plain, with an optional fully escaped HTML part."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: EnvName | None = None
    sender: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = Field(min_length=1)
    subject_prefix: str = "[IOC]"
    html: bool = True  # add an HTML alternative part (every value escaped)

    @model_validator(mode="after")
    def _login_pair(self) -> EmailChannel:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("give both 'username' and 'password_env', or neither")
        return self


Channel = Annotated[
    WebhookChannel | SlackChannel | TelegramChannel | EmailChannel,
    Field(discriminator="type"),
]

CHANNEL_ADAPTER: TypeAdapter[Channel] = TypeAdapter(Channel)


def parse_channel(data: object) -> Channel:
    """Validate one channel's mapping (raises pydantic.ValidationError)."""
    return CHANNEL_ADAPTER.validate_python(data)


def backoff_delay(channel: ChannelBase, attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): doubling, capped."""
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, got {attempt}")
    return min(channel.backoff_max_s, channel.backoff_s * 2 ** min(attempt - 1, 40))
