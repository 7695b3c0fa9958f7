"""`ioc alerts test-notify CHANNEL`: send one test message through a configured channel."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from config.alerts import AlertsConfig
from metrics.alerts.notifiers import send
from metrics.alerts.notifiers.base import AlertItem, DeliveryError, Message


def build_test_message(channel: str, now: datetime) -> Message:
    """A single info-level alert that says it is a test, and which channel it went through."""
    item = AlertItem(
        fingerprint=f"test-notify-{channel}-{int(now.timestamp())}",
        rule="test_notify",
        severity="info",
        centre_id=None,
        centre_name=None,
        province_name=None,
        summary=f"Tin nhắn thử kênh “{channel}” (ioc alerts test-notify)",
        cause="kiểm tra cấu hình thông báo; không cần xử lý",
        starts_at=now,
        ends_at=None,
        labels={"test": "true", "phrase": "thử kênh thông báo"},
    )
    return Message(status="firing", group_key=f"test-notify/{channel}", alerts=(item,))


def run_test_notify(
    alerts: AlertsConfig,
    channel: str,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[bool, str]:
    """Send the test message; (True, what was sent) or (False, why not)."""
    if channel not in alerts.channels:
        known = ", ".join(sorted(alerts.channels)) or "none"
        return False, f"no channel named {channel!r} in the alerts file (channels: {known})"
    config = alerts.channels[channel]
    try:
        send(config, build_test_message(channel, now or datetime.now(UTC)),
             os.environ if env is None else env, name=channel)
    except DeliveryError as exc:
        kind = "retryable" if exc.retryable else "not retryable"
        return False, f"delivery failed ({kind}): {exc.reason}"
    return True, f"test message sent through channel {channel!r} ({config.type})"


def cmd_test_notify(channel: str, alerts: AlertsConfig) -> int:
    """The CLI handler: print the result; exit 1 with the reason on failure."""
    ok, text = run_test_notify(alerts, channel)
    print(text, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
