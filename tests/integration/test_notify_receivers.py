"""Every channel against a real local receiver on loopback: an HTTP sink and an SMTP server.

The HTTP sink (http.server in a thread) plays the webhook receiver, Slack's incoming
webhook and the Telegram Bot API; aiosmtpd plays the mail server. Receivers that fail
(500, 429, 400, a hang past the timeout, a refused port, SMTP 451/550) check that
each failure is classified right, and that retrying a retryable one delivers the
message, unchanged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from collectors.simulator.background import free_port
from config.alerts import AlertsConfig
from config.channels import backoff_delay, parse_channel
from metrics.alerts.notifiers import DeliveryError, send, testnotify, webhook
from metrics.alerts.notifiers.base import AlertItem, Message

T0 = datetime(2025, 7, 3, 3, 5, tzinfo=UTC)
HOSTILE = "<!channel> <script>*x*</script> & @channel"
TOKEN = "123456:SECRET-token"


def message(name: str = "Phường Phú Xuân", status: str = "firing") -> Message:
    ends = T0 + timedelta(minutes=12) if status == "resolved" else None
    a = AlertItem("fp-1", "centre_down", "critical", "19753", name, "Thành phố Huế",
                  "Mất kết nối", "timeout", T0, ends, {"team": "tech"})
    return Message(status, "centre_down/46", (a,))  # type: ignore[arg-type]


# --- the HTTP sink ---------------------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Sink:
    """Answers by path: /ok 200, /fail 500, /busy 429, /bad 400, /hang waits until closed,
    /flaky fails `flaky_failures` times then 200, /bot<token>/sendMessage like Telegram."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    flaky_failures: int = 2
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def sink() -> Iterator[Sink]:
    state = Sink()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers), body))
            path = self.path
            if path == "/hang":
                state.release.wait(10)
                return self._answer(200, b"late")
            if path == "/flaky":
                if state.flaky_failures > 0:
                    state.flaky_failures -= 1
                    return self._answer(503, b"busy")
                return self._answer(200, b"ok")
            if path.startswith("/bot") and path.endswith("/sendMessage"):
                if path != f"/bot{TOKEN}/sendMessage":
                    return self._answer(401, b'{"ok":false,"description":"Unauthorized"}')
                return self._answer(200, b'{"ok":true,"result":{"message_id":1}}')
            status = {"/ok": 200, "/fail": 500, "/busy": 429, "/bad": 400}.get(path, 404)
            return self._answer(status, b"answer")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def ch(**data):
    return parse_channel({"timeout_s": 2, **data})


# --- webhook, Slack, Telegram ----------------------------------------------------------------

def test_webhook_receiver_gets_the_alertmanager_document(sink):
    m = message(HOSTILE)
    send(ch(type="webhook", url=sink.url("/ok"), receiver="tech"), m, {}, name="hook")
    [got] = sink.received
    assert got.headers["Content-Type"] == "application/json"
    assert got.json() == json.loads(json.dumps(webhook.payload(m, receiver="tech")))
    assert got.json()["alerts"][0]["labels"]["centre_name"] == HOSTILE


def test_webhook_url_from_the_environment(sink):
    send(ch(type="webhook", url_env="HOOK_URL"), message(), {"HOOK_URL": sink.url("/ok")})
    assert [r.path for r in sink.received] == ["/ok"]


def test_slack_receiver_gets_escaped_text(sink):
    send(ch(type="slack", url_env="SLACK_URL"), message(HOSTILE), {"SLACK_URL": sink.url("/ok")})
    body = sink.received[0].json()
    assert body["mrkdwn"] is False
    assert "&lt;!channel&gt; &lt;script&gt;*x*&lt;/script&gt; &amp; @channel" in body["text"]
    assert "<" not in body["text"]


def test_telegram_receiver_gets_plain_text_at_the_bot_path(sink):
    channel = ch(type="telegram", base_url=sink.url(""), token_env="TG_TOKEN", chat_id="-1001")
    send(channel, message(HOSTILE, "resolved"), {"TG_TOKEN": TOKEN}, name="tg")
    [got] = sink.received
    assert got.path == f"/bot{TOKEN}/sendMessage"
    body = got.json()
    assert body["chat_id"] == "-1001" and "parse_mode" not in body
    assert HOSTILE in body["text"] and "đã khắc phục sau 12 phút".capitalize() in body["text"]


def test_telegram_bad_token_is_not_retryable_and_the_token_is_not_in_the_reason(sink):
    channel = ch(type="telegram", base_url=sink.url(""), token_env="TG_TOKEN", chat_id=1)
    with pytest.raises(DeliveryError) as err:
        send(channel, message(), {"TG_TOKEN": "999:wrong"}, name="tg")
    assert not err.value.retryable and "401" in err.value.reason
    assert "999:wrong" not in err.value.reason


def test_a_missing_secret_fails_before_any_request(sink):
    with pytest.raises(DeliveryError) as err:
        send(ch(type="slack", url_env="SLACK_URL"), message(), {}, name="tech-slack")
    assert not err.value.retryable
    assert "SLACK_URL" in err.value.reason and "tech-slack" in err.value.reason
    assert sink.received == []


@pytest.mark.parametrize(("path", "retryable", "words"), [
    ("/fail", True, "HTTP 500"),
    ("/busy", True, "HTTP 429"),
    ("/bad", False, "HTTP 400"),
    ("/hang", True, "no answer"),
])
def test_failing_receivers_are_classified(sink, path, retryable, words):
    channel = ch(type="webhook", url=sink.url(path), timeout_s=0.3)
    with pytest.raises(DeliveryError) as err:
        send(channel, message(), {}, name="hook")
    assert err.value.retryable is retryable
    assert words in err.value.reason and "'hook'" in err.value.reason


def test_a_refused_connection_is_retryable():
    port = free_port()  # nothing listens there
    with pytest.raises(DeliveryError) as err:
        send(ch(type="webhook", url=f"http://127.0.0.1:{port}/x"), message(), {})
    assert err.value.retryable and "cannot connect" in err.value.reason


def test_retrying_a_flaky_receiver_delivers_the_same_message_once(sink):
    channel = ch(type="webhook", url=sink.url("/flaky"), max_attempts=5, backoff_s=0.01,
                 backoff_max_s=0.05)
    stored = message().to_json()  # as the outbox keeps it between attempts
    attempts = 0
    for attempt in range(1, channel.max_attempts + 1):
        attempts = attempt
        try:
            send(channel, Message.from_json(stored), {})
            break
        except DeliveryError as exc:
            assert exc.retryable
            threading.Event().wait(backoff_delay(channel, attempt))
    assert attempts == 3
    bodies = [r.json() for r in sink.received]
    assert len(bodies) == 3 and all(b == bodies[0] for b in bodies)


# --- e-mail over SMTP (aiosmtpd) --------------------------------------------------------------

class MailHandler:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []
        self.data_reply = "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply.startswith("250"):
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ioc", b"mail-secret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[MailHandler, int]]:
    handler = MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_channel(port: int, **extra):
    return ch(**{"type": "email", "host": "127.0.0.1", "port": port, "security": "none",
                 "from": "ioc@hue.gov.vn", "to": ["tech@hue.gov.vn", "oncall@hue.gov.vn"],
                 **extra})


def test_email_arrives_with_vietnamese_subject_plain_text_and_escaped_html(smtp):
    handler, port = smtp
    send(mail_channel(port, username="ioc", password_env="SMTP_PASSWORD"), message(HOSTILE),
         {"SMTP_PASSWORD": "mail-secret"}, name="mail")
    [(sender, rcpts, raw)] = handler.mails
    assert sender == "ioc@hue.gov.vn" and rcpts == ["tech@hue.gov.vn", "oncall@hue.gov.vn"]
    mail = message_from_bytes(raw, policy=default_policy)
    assert mail["Subject"].startswith("[IOC] 🔴 CẢNH BÁO (nghiêm trọng):")
    assert HOSTILE in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_email_wrong_password_is_not_retryable(smtp):
    _, port = smtp
    with pytest.raises(DeliveryError) as err:
        send(mail_channel(port, username="ioc", password_env="SMTP_PASSWORD"), message(),
             {"SMTP_PASSWORD": "wrong"}, name="mail")
    assert not err.value.retryable and "535" in err.value.reason
    assert "wrong" not in err.value.reason


@pytest.mark.parametrize(("reply", "retryable"), [
    ("451 4.3.0 try again later", True),
    ("554 5.7.1 rejected", False),
])
def test_smtp_refusals_are_classified(smtp, reply, retryable):
    handler, port = smtp
    handler.data_reply = reply
    with pytest.raises(DeliveryError) as err:
        send(mail_channel(port), message(), {}, name="mail")
    assert err.value.retryable is retryable and reply[:3] in err.value.reason


def test_starttls_against_a_server_without_it_is_not_retryable(smtp):
    _, port = smtp
    with pytest.raises(DeliveryError) as err:
        send(mail_channel(port, security="starttls"), message(), {}, name="mail")
    assert not err.value.retryable and "starttls" in err.value.reason


def test_an_smtp_server_that_is_not_there_is_retryable():
    with pytest.raises(DeliveryError) as err:
        send(mail_channel(free_port()), message(), {}, name="mail")
    assert err.value.retryable


# --- ioc alerts test-notify ------------------------------------------------------------------

def _alerts_with(channels: dict) -> AlertsConfig:
    rule = {"name": "r", "condition": {"kind": "stale", "after_s": 60}, "severity": "info",
            "summary": "{centre_name}"}
    return AlertsConfig.model_validate({"rules": [rule], "channels": channels})


def test_test_notify_sends_through_the_named_channel(sink):
    alerts = _alerts_with({"tech": {"type": "webhook", "url": sink.url("/ok")},
                           "broken": {"type": "webhook", "url": sink.url("/fail")}})
    ok, text = testnotify.run_test_notify(alerts, "tech", env={})
    assert ok and "'tech'" in text
    assert sink.received[0].json()["alerts"][0]["labels"]["alertname"] == "test_notify"
    ok, text = testnotify.run_test_notify(alerts, "broken", env={})
    assert not ok and "retryable" in text and "HTTP 500" in text
    ok, text = testnotify.run_test_notify(alerts, "nope", env={})
    assert not ok and "no channel named 'nope'" in text and "broken, tech" in text
