"""E-mail over SMTP: text/plain UTF-8, plus an HTML part in which every value is escaped.

`security`: `starttls` (port 587), `ssl` (implicit TLS, port 465) or `none` (a local
relay). SMTP 4xx replies and network failures are retryable; 5xx replies are not.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from config.channels import EmailChannel
from metrics.alerts.notifiers._transport import require_env
from metrics.alerts.notifiers.base import DeliveryError, Message
from metrics.alerts.notifiers.templates import Rendered, one_line, render


def html_body(rendered: Rendered) -> str:
    """The HTML alternative: escaped text in a <pre>; no value can become a tag."""
    title = html.escape(rendered.title)
    body = html.escape("\n".join(rendered.lines))
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>'
        f"<h3>{title}</h3><pre style=\"font-family:sans-serif;white-space:pre-wrap\">"
        f"{body}</pre></body></html>"
    )


def build(channel: EmailChannel, message: Message) -> EmailMessage:
    rendered = render(message)
    mail = EmailMessage()
    mail["Subject"] = one_line(f"{channel.subject_prefix} {rendered.title}", 250)
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail["Date"] = formatdate(localtime=False)
    domain = channel.sender.rsplit("@", 1)[-1]
    # A retried delivery keeps its Message-ID (from the idempotency key): mail clients and
    # archives fold the duplicate a timed-out attempt can make.
    mail["Message-ID"] = f"<{message.key}@{domain}>" if message.key else make_msgid(
        domain=domain)
    mail.set_content(rendered.text, subtype="plain", charset="utf-8")
    if channel.html:
        mail.add_alternative(html_body(rendered), subtype="html", charset="utf-8")
    return mail


def send(channel: EmailChannel, message: Message, env: Mapping[str, str], name: str) -> None:
    password = require_env(env, channel.password_env, name) if channel.password_env else None
    mail = build(channel, message)
    where = f"{channel.host}:{channel.port}"
    try:
        smtp_cls = smtplib.SMTP_SSL if channel.security == "ssl" else smtplib.SMTP
        kwargs: dict[str, Any] = (
            {"context": ssl.create_default_context()} if channel.security == "ssl" else {})
        with smtp_cls(channel.host, channel.port, timeout=channel.timeout_s, **kwargs) as smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username and password is not None:
                smtp.login(channel.username, password)
            refused = smtp.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"channel {name!r}: SMTP {where} answered {exc.smtp_code}",
            retryable=400 <= exc.smtp_code < 500,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryError(
            f"channel {name!r}: SMTP {where} refused every recipient ({codes})",
            retryable=all(400 <= c < 500 for c in codes),
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            f"channel {name!r}: SMTP {where} does not support {channel.security}",
            retryable=False,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:  # timeouts, refused, TLS, dropped
        raise DeliveryError(
            f"channel {name!r}: SMTP {where} failed ({type(exc).__name__}: {exc})"[:300],
            retryable=True,
        ) from exc
    if refused:
        raise DeliveryError(
            f"channel {name!r}: SMTP {where} refused {sorted(refused)}", retryable=False
        )
