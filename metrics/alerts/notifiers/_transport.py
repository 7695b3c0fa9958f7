"""Shared by the channel modules: secrets from the environment and HTTP with failure classes.

Classification (what the alert engine's retry loop relies on): a timeout, a refused or
broken connection, HTTP 5xx and HTTP 429 are retryable; any other 4xx is not (the
request itself is wrong: a bad token, a deleted webhook), nor is a missing secret.
Reasons name the channel and host but never a URL path or token: those are secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from metrics.alerts.notifiers.base import DeliveryError

USER_AGENT = "ioc-pvhcc-notifier/0.1"
_DETAIL_CHARS = 200


def require_env(env: Mapping[str, str], var: str, channel: str) -> str:
    """The value of environment variable `var`, or a non-retryable DeliveryError naming it."""
    value = env.get(var, "")
    if not value.strip():
        raise DeliveryError(
            f"channel {channel!r}: environment variable {var} is not set", retryable=False
        )
    return value.strip()


def retryable_status(status: int) -> bool:
    """True when an HTTP status means 'try again later' (5xx, 429)."""
    return status >= 500 or status == 429


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or "?"


def post_json(
    url: str,
    payload: Any,
    *,
    channel: str,
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """POST `payload` as JSON; return the 2xx response or raise a classified DeliveryError."""
    host = host_of(url)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = requests.post(
            url, json=payload, headers=all_headers, timeout=timeout_s, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise DeliveryError(
            f"channel {channel!r}: no answer from {host} within {timeout_s:g} s", retryable=True
        ) from exc
    except requests.ConnectionError as exc:
        raise DeliveryError(
            f"channel {channel!r}: cannot connect to {host} ({type(exc).__name__})",
            retryable=True,
        ) from exc
    except requests.RequestException as exc:
        raise DeliveryError(
            f"channel {channel!r}: request to {host} failed ({type(exc).__name__})",
            retryable=False,
        ) from exc
    if 200 <= response.status_code < 300:
        return response
    detail = response.text[:_DETAIL_CHARS].replace("\n", " ").strip()
    raise DeliveryError(
        f"channel {channel!r}: {host} answered HTTP {response.status_code}"
        + (f": {detail}" if detail else ""),
        retryable=retryable_status(response.status_code),
    )
