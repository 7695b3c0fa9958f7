"""Notification messages: Vietnamese text, per-channel escaping, payloads, JSON, channel config."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from pydantic import ValidationError

from config.channels import EmailChannel, backoff_delay, parse_channel
from metrics.alerts.notifiers import DeliveryError, email, slack, telegram, templates, webhook
from metrics.alerts.notifiers._transport import require_env, retryable_status
from metrics.alerts.notifiers.base import AlertItem, Message

T0 = datetime(2025, 7, 3, 3, 5, tzinfo=UTC)  # 10:05 in Huế
HOSTILE = ("<script>alert(1)</script>", "*bold* _it_ `code`", "<!channel> <@U123> @channel",
           "[click](http://evil.example)", "a & b > c")


def item(i: int = 0, *, name: str = "Phường Phú Xuân", summary: str = "Mất kết nối",
         cause: str = "timeout", ends: datetime | None = None, rule: str = "centre_down",
         **labels: str) -> AlertItem:
    return AlertItem(
        fingerprint=f"fp{i}", rule=rule, severity="critical", centre_id=f"1975{i}",
        centre_name=name, province_name="Thành phố Huế", summary=summary, cause=cause,
        starts_at=T0, ends_at=ends, labels=dict(labels),
    )


def msg(*alerts: AlertItem, status: str = "firing") -> Message:
    return Message(status=status, group_key="centre_down/46", alerts=alerts)  # type: ignore[arg-type]


# --- Vietnamese text -------------------------------------------------------------------------

def test_firing_text_names_severity_centre_cause_and_local_start_time():
    text = templates.render(msg(item()), now=T0 + timedelta(minutes=7)).text
    assert text.splitlines()[0] == ("🔴 CẢNH BÁO (nghiêm trọng): Phường Phú Xuân (Thành phố Huế)"
                                    " — Mất kết nối")
    assert "• Nguyên nhân: timeout" in text
    assert "• Từ: 10:05 03/07/2025" in text  # Asia/Ho_Chi_Minh, HH:MM dd/mm/yyyy
    assert "• Đang diễn ra: 7 phút" in text


def test_resolved_text_says_how_long_it_took_to_fix():
    text = templates.render(msg(item(ends=T0 + timedelta(minutes=12)), status="resolved")).text
    assert text.startswith("✅ ĐÃ KHẮC PHỤC: Phường Phú Xuân")
    assert "Đã khắc phục sau 12 phút (lúc 10:17 03/07/2025)" in text


def test_many_alerts_of_one_rule_become_one_grouped_message():
    alerts = [item(i, name=f"Xã {i}") for i in range(5)]
    rendered = templates.render(msg(*alerts), now=T0 + timedelta(minutes=3))
    assert rendered.title == "🔴 5 trung tâm ngừng hoạt động: Xã 0, Xã 1, Xã 2, Xã 3, Xã 4"
    assert len(rendered.lines) == 5
    assert all("đang diễn ra: 3 phút" in line for line in rendered.lines)


def test_a_large_group_lists_some_and_counts_the_rest():
    alerts = [item(i, name=f"Xã {i}") for i in range(templates.MAX_LISTED + 7)]
    rendered = templates.render(msg(*alerts))
    assert rendered.lines[-1] == "… và 7 cảnh báo khác"
    assert "và 19 nơi khác" in rendered.title


def test_reminder_and_mixed_rules_titles():
    mixed = templates.render(msg(item(0), item(1, rule="power_cut"), status="reminder"))
    assert mixed.title.startswith("🔁 NHẮC LẠI: 2 cảnh báo: ")


@pytest.mark.parametrize(("seconds", "text"), [
    (45, "45 giây"), (720, "12 phút"), (3900, "1 giờ 5 phút"), (7200, "2 giờ"),
    (2 * 86_400 + 3 * 3600 + 59, "2 ngày 3 giờ"), (-5, "0 giây"),
])
def test_durations_in_vietnamese(seconds, text):
    assert templates.duration_vi(seconds) == text


def test_untrusted_text_cannot_break_lines_or_smuggle_control_characters():
    rendered = templates.render(msg(item(name="A\nB\r\n• Mức độ: giả\x1b[31m", cause="x\ty")))
    assert "A B • Mức độ: giả[31m" in rendered.title
    assert all("\x1b" not in line for line in rendered.lines)
    assert "• Nguyên nhân: x y" in rendered.lines


# --- escaping per channel --------------------------------------------------------------------

@pytest.mark.parametrize("hostile", HOSTILE)
def test_slack_text_escapes_control_characters_and_disables_mrkdwn(hostile):
    body = slack.payload(msg(item(name=hostile, summary=hostile, cause=hostile)))
    assert body["mrkdwn"] is False
    assert "<" not in body["text"] and ">" not in body["text"]
    assert "&lt;!channel&gt;" in body["text"] or "<!channel>" not in hostile
    # every & in the output starts an entity we wrote
    assert body["text"].replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count(
        "&") == 0


def test_mattermost_text_escapes_markdown_and_defuses_mentions():
    text = slack.payload(msg(item(name="*bold* @channel [x](http://e)")),
                         flavour="mattermost")["text"]
    assert "\\*bold\\*" in text
    assert "@channel" not in text and "@\u200bchannel" in text
    assert "\\[x\\]\\(http://e\\)" in text.replace("\\:", ":")
    assert "mrkdwn" not in slack.payload(msg(item()), flavour="mattermost")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_telegram_sends_plain_text_without_parse_mode(hostile):
    body = telegram.payload(msg(item(name=hostile)), chat_id=-100123)
    assert "parse_mode" not in body
    assert hostile.split()[0] in body["text"]  # verbatim: plain text cannot be markup
    assert body["chat_id"] == -100123


def test_telegram_text_is_cut_to_its_limit():
    alerts = [item(i, name="X" * 200, summary="Y" * 300) for i in range(20)]
    assert len(telegram.payload(msg(*alerts), chat_id=1)["text"]) == telegram.MAX_TEXT


@pytest.mark.parametrize("hostile", HOSTILE)
def test_email_html_part_escapes_everything_and_text_part_is_verbatim(hostile):
    channel = EmailChannel.model_validate(
        {"type": "email", "host": "h", "from": "ioc@example.vn", "to": ["tech@example.vn"]})
    mail = message_from_bytes(email.build(channel, msg(item(name=hostile))).as_bytes(),
                              policy=default_policy)
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert hostile in plain
    assert "<script>" not in html and "<!channel>" not in html
    if "<" in hostile:
        assert "&lt;" in html
    assert "\n" not in mail["Subject"]


def test_webhook_payload_is_alertmanager_shaped_and_keeps_values_as_data():
    hostile = "<script>x</script>"
    m = msg(item(0, name=hostile, team="tech"), item(1, ends=T0 + timedelta(minutes=2),
                                                      team="tech"))
    body = webhook.payload(m, receiver="ioc-webhook", external_url="http://ioc.local")
    assert set(body) >= {"version", "groupKey", "status", "receiver", "groupLabels",
                         "commonLabels", "commonAnnotations", "externalURL", "alerts"}
    assert (body["version"], body["groupKey"], body["status"]) == ("4", "centre_down/46",
                                                                    "firing")
    assert body["groupLabels"] == {"alertname": "centre_down", "province": "Thành phố Huế"}
    assert body["commonLabels"]["team"] == "tech"
    first, second = body["alerts"]
    assert first["labels"]["centre_name"] == hostile  # data, not markup
    assert first["endsAt"] == "0001-01-01T00:00:00Z" and first["status"] == "firing"
    assert second["status"] == "resolved" and second["endsAt"] == "2025-07-03T03:07:00.000Z"
    assert first["startsAt"] == "2025-07-03T03:05:00.000Z"
    assert set(first) == {"status", "labels", "annotations", "startsAt", "endsAt",
                          "fingerprint", "generatorURL"}
    assert set(first["annotations"]) == {"summary", "description"}
    json.dumps(body)  # serialisable as is


def test_a_delivery_key_is_the_webhook_notification_id_and_the_email_message_id():
    from dataclasses import replace

    keyed = replace(msg(item()), key="ioc-7-1751511600000")
    assert webhook.payload(keyed, receiver="r")["notificationId"] == "ioc-7-1751511600000"
    assert "notificationId" not in webhook.payload(msg(item()), receiver="r")
    channel = EmailChannel.model_validate(
        {"type": "email", "host": "h", "from": "ioc@example.vn", "to": ["tech@example.vn"]})
    assert email.build(channel, keyed)["Message-ID"] == "<ioc-7-1751511600000@example.vn>"
    assert email.build(channel, keyed)["Message-ID"] == email.build(channel, keyed)["Message-ID"]
    assert Message.from_json(keyed.to_json()).key == ""  # a delivery's, never stored


def test_a_reminder_is_sent_to_webhooks_as_firing():
    assert webhook.payload(msg(item(), status="reminder"), receiver="r")["status"] == "firing"


# --- message JSON ----------------------------------------------------------------------------

def test_message_json_round_trip_is_exact_with_aware_times():
    plus7 = timezone(timedelta(hours=7))
    a = AlertItem("fp", "r", "warning", None, None, None, "s <b>", "c", T0.astimezone(plus7)
                  + timedelta(microseconds=123), T0 + timedelta(hours=1), {"k": "v"})
    m = Message("resolved", "g", (a, item(2)))
    back = Message.from_json(m.to_json())
    assert back == m
    assert back.alerts[0].starts_at.tzinfo is not None
    assert back.to_json() == m.to_json()


def test_message_refuses_naive_times_bad_status_and_no_alerts():
    with pytest.raises(ValueError, match="timezone-aware"):
        AlertItem("f", "r", "s", None, None, None, "s", "c", datetime(2025, 1, 1), None, {})
    with pytest.raises(ValueError, match="status"):
        Message("open", "g", (item(),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no alerts"):
        Message("firing", "g", ())
    with pytest.raises(ValueError, match="labels"):
        Message.from_json(json.dumps({"status": "firing", "group_key": "g", "alerts": [
            {**item().to_dict(), "labels": {"a": 1}}]}))


# --- channel configuration and failure classes -----------------------------------------------

@pytest.mark.parametrize(("data", "error"), [
    ({"type": "webhook"}, "exactly one of 'url' and 'url_env'"),
    ({"type": "webhook", "url": "http://x", "url_env": "X"}, "exactly one"),
    ({"type": "webhook", "url": "ftp://x"}, "should match pattern"),
    ({"type": "slack", "url": "https://hooks.slack.com/x"}, "Extra inputs are not permitted"),
    ({"type": "telegram", "token_env": "T"}, "chat_id"),
    ({"type": "telegram", "token_env": "bad name", "chat_id": 1}, "should match pattern"),
    ({"type": "email", "host": "h", "from": "a@b", "to": []}, "at least 1 item"),
    ({"type": "email", "host": "h", "from": "a@b", "to": ["c@d"], "username": "u"},
     "both 'username' and 'password_env'"),
    ({"type": "email", "host": "h", "from": "a@b", "to": ["c@d"], "password": "x"},
     "Extra inputs"),
    ({"type": "sms", "to": "x"}, "does not match any of the expected tags"),
    ({"type": "webhook", "url": "http://x", "backoff_s": 10, "backoff_max_s": 5},
     "backoff_max_s"),
])
def test_bad_channel_config_is_refused_with_the_reason(data, error):
    with pytest.raises(ValidationError, match=error):
        parse_channel(data)


def test_backoff_doubles_up_to_its_cap():
    ch = parse_channel({"type": "webhook", "url": "http://x", "backoff_s": 2,
                        "backoff_max_s": 30})
    assert [backoff_delay(ch, n) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert backoff_delay(ch, 10_000) == 30


def test_a_missing_secret_is_not_retryable_and_names_variable_and_channel():
    with pytest.raises(DeliveryError) as err:
        require_env({}, "IOC_SLACK_URL", "tech-slack")
    assert not err.value.retryable
    assert "IOC_SLACK_URL" in err.value.reason and "tech-slack" in err.value.reason


@pytest.mark.parametrize(("status", "retryable"), [
    (500, True), (502, True), (503, True), (429, True), (400, False), (401, False),
    (403, False), (404, False),
])
def test_http_status_classes(status, retryable):
    assert retryable_status(status) is retryable


# --- who acted on an alert -------------------------------------------------------------------

def acted(i: int = 0, name: str = "Phường Phú Xuân", **fields) -> AlertItem:
    return dataclasses.replace(item(i, name=name), **fields)


def test_an_acknowledgement_notice_names_who_acknowledged_and_the_note():
    one = acted(acked_by="Minh", ack_note="đã gọi VNPT\nsẽ xử lý")
    text = templates.render(msg(one, status="acknowledged"), now=T0 + timedelta(minutes=7)).text
    assert text.splitlines()[0] == ("👤 ĐÃ XÁC NHẬN (nghiêm trọng): Phường Phú Xuân "
                                    "(Thành phố Huế) — Mất kết nối")
    assert "• Đã xác nhận bởi Minh: đã gọi VNPT sẽ xử lý" in text  # one line, no break


def test_a_grouped_notice_says_who_acknowledged_and_until_when_each_is_silenced():
    until = T0 + timedelta(hours=1)
    alerts = [acted(0, name="Xã 0", acked_by="Minh"),
              acted(1, name="Xã 1", silenced_until=until, silenced_by="Lan")]
    rendered = templates.render(msg(*alerts, status="silenced"), now=T0)
    assert rendered.title.startswith("🔕 ĐÃ TẮT TIẾNG: 2 trung tâm ngừng hoạt động")
    assert rendered.lines[0].endswith("; đã xác nhận bởi Minh")
    assert rendered.lines[1].endswith("; tắt tiếng đến 11:05 03/07/2025 bởi Lan")


def test_who_acted_survives_the_outbox_json_and_old_payloads_still_load():
    until = T0 + timedelta(hours=4)
    one = acted(acked_by="Minh", ack_note="ghi chú", silenced_until=until, silenced_by="Lan")
    back = Message.from_json(msg(one, status="reminder").to_json())
    assert back.alerts[0] == one
    old = json.loads(msg(item()).to_json())
    for a in old["alerts"]:
        for key in ("acked_by", "ack_note", "silenced_until", "silenced_by"):
            del a[key]
    assert Message.from_json(json.dumps(old)).alerts[0].acked_by is None
