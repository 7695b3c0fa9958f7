"""Vietnamese notification text, as plain text: a title and lines per alert.

The text mixes fixed words with values from centres (names, summaries, causes), which
are untrusted. The output here is plain text with no markup of its own; each channel
escapes the whole of it for its medium (Slack mrkdwn, Mattermost markdown, HTML), or
sends it as plain text (Telegram without parse_mode, e-mail text/plain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from metrics.alerts.notifiers.base import AlertItem, Message

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LISTED = 20  # alerts detailed in one message; the rest are counted
MAX_NAMES_IN_TITLE = 8

SEVERITY_VI = {
    "critical": "nghiêm trọng",
    "page": "nghiêm trọng",
    "warning": "cảnh báo",
    "info": "thông tin",
}
# Short Vietnamese predicate per rule kind, used for grouped titles ("5 trung tâm ngừng hoạt động").
# A rule may instead give its own in the `phrase` label.
RULE_PHRASES = {
    "centre_down": "ngừng hoạt động",
    "province_down": "mất kết nối trên diện rộng",
    "portal_link_down": "mất kết nối Cổng Dịch vụ công quốc gia",
    "esign_down": "lỗi chữ ký số",
    "payment_down": "lỗi thanh toán trực tuyến",
    "results_return_down": "lỗi hệ thống trả kết quả",
    "power_on_battery": "đang chạy bằng UPS",
    "power_cut": "mất điện",
    "otp_p95_high": "nhận mã OTP chậm",
    "otp_failure_high": "gửi OTP thất bại nhiều",
    "sync_lag_high": "đồng bộ Cổng DVC chậm",
    "unsynced_growing": "tồn hồ sơ chưa đồng bộ tăng",
    "overdue_growing": "hồ sơ quá hạn tăng",
    "centre_silent": "không có dữ liệu mới",
    "system_degraded": "báo hệ thống hoạt động kém",
    "overdue_high": "có nhiều hồ sơ quá hạn",
}
_MARKS = {"firing": "🔴", "reminder": "🔁", "resolved": "✅", "acknowledged": "👤",
          "silenced": "🔕", "overdue": "⏰", "closed": "☑️"}
_HEADS = {"firing": "", "reminder": "NHẮC LẠI: ", "resolved": "ĐÃ KHẮC PHỤC: ",
          "acknowledged": "ĐÃ XÁC NHẬN: ", "silenced": "ĐÃ TẮT TIẾNG: ",
          "overdue": "QUÁ HẠN XỬ LÝ: ", "closed": "ĐÃ HOÀN THÀNH: "}
ASSIGNMENT_RULE = "assignment_overdue"  # metrics.alerts.assignments_store.RULE
_ONE_LINE = str.maketrans({"\r": " ", "\n": " ", "\t": " ", "\x0b": " ", "\x0c": " "})


@dataclass(frozen=True)
class Rendered:
    """A message as plain text: a one-line title and the body lines."""

    title: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join((self.title, "", *self.lines))


def one_line(value: str | None, limit: int = 300) -> str:
    """Untrusted text squeezed to one line: control characters removed, length capped."""
    if not value:
        return ""
    text = value.translate(_ONE_LINE)
    text = "".join(ch for ch in text if ch.isprintable())
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(when: datetime) -> str:
    """HH:MM dd/mm/yyyy in Asia/Ho_Chi_Minh."""
    return when.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def duration_vi(seconds: float) -> str:
    """45 giây · 12 phút · 1 giờ 5 phút · 2 ngày 3 giờ (rounded down)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} giây"
    minutes, hours, days = s // 60, s // 3600, s // 86_400
    if hours == 0:
        return f"{minutes} phút"
    if days == 0:
        rest = minutes % 60
        return f"{hours} giờ {rest} phút" if rest else f"{hours} giờ"
    rest = hours % 24
    return f"{days} ngày {rest} giờ" if rest else f"{days} ngày"


def severity_vi(severity: str) -> str:
    return SEVERITY_VI.get(severity, one_line(severity, 40))


def phrase(item: AlertItem) -> str:
    return one_line(item.labels.get("phrase") or RULE_PHRASES.get(item.rule) or "", 80) or (
        f"có cảnh báo {one_line(item.rule, 60)}"
    )


def place(item: AlertItem) -> str:
    """'Phường Thuận Hóa (Huế)', or the centre id, or '' for a fleet-wide alert."""
    name = one_line(item.centre_name, 120) or one_line(item.centre_id, 60)
    province = one_line(item.province_name, 80)
    if name and province:
        return f"{name} ({province})"
    return name or province


def render(message: Message, now: datetime | None = None) -> Rendered:
    """The Vietnamese text of a message; `now` (aware) dates reminders, default: the clock."""
    now = now or datetime.now(UTC)
    alerts = message.alerts
    mark = _MARKS[message.status]
    if alerts[0].rule == ASSIGNMENT_RULE:
        return _assignment(message.status, alerts[0], mark)
    if len(alerts) == 1:
        title = _single_title(message.status, alerts[0])
    else:
        title = _group_title(message.status, alerts)
    lines: list[str] = []
    for item in alerts[:MAX_LISTED]:
        lines.extend(_alert_lines(item, now, detailed=len(alerts) == 1))
    if len(alerts) > MAX_LISTED:
        lines.append(f"… và {len(alerts) - MAX_LISTED} cảnh báo khác")
    return Rendered(title=f"{mark} {title}", lines=tuple(lines))


def _single_title(status: str, item: AlertItem) -> str:
    where = place(item)
    summary = one_line(item.summary, 200)
    head = {
        "firing": f"CẢNH BÁO ({severity_vi(item.severity)})",
        "reminder": "NHẮC LẠI: chưa khắc phục",
        "resolved": "ĐÃ KHẮC PHỤC",
        "acknowledged": f"ĐÃ XÁC NHẬN ({severity_vi(item.severity)})",
        "silenced": f"ĐÃ TẮT TIẾNG ({severity_vi(item.severity)})",
    }[status]
    if item.centres:  # an incident: its summary names the province and the centres
        return f"{head}: SỰ CỐ CHUNG — {summary}"
    return f"{head}: {where} — {summary}" if where else f"{head}: {summary}"


def _assignment(status: str, item: AlertItem, mark: str) -> Rendered:
    """An assignment past its due time ("overdue") or closed after that ("closed"): the
    unit, the place, the subject, the note, who assigned it and when it was due."""
    labels = item.labels
    unit = one_line(labels.get("unit_name") or item.summary, 120)
    where = place(item) or "toàn tỉnh"
    due = labels.get("due_at")
    try:
        due_text = local_time(datetime.fromisoformat(due)) if due else "?"
    except ValueError:
        due_text = "?"
    subject = RULE_PHRASES.get(labels.get("subject_rule", ""), "") or "cần chú ý"
    title = f"{_HEADS[status]}việc giao {unit} — {where}"
    lines = [f"• Đơn vị: {unit}", f"• Nơi: {where} ({one_line(subject, 80)})",
             f"• Giao lúc: {local_time(item.starts_at)} bởi "
             f"{one_line(labels.get('assigned_by'), 80) or '?'}",
             f"• Hạn xử lý: {due_text}"]
    if note := one_line(item.cause, 300):
        lines.append(f"• Ghi chú: {note}")
    if status == "closed" and item.ends_at is not None:
        who = one_line(labels.get("closed_by"), 80) or "?"
        lines.append(f"• Đã hoàn thành lúc {local_time(item.ends_at)} bởi {who}")
        if done := one_line(item.ack_note, 300):
            lines.append(f"• Kết quả: {done}")
    return Rendered(title=f"{mark} {title}", lines=tuple(lines))


def _group_title(status: str, alerts: tuple[AlertItem, ...]) -> str:
    rules = {a.rule for a in alerts}
    names = [one_line(a.centre_name, 60) or one_line(a.centre_id, 40) for a in alerts]
    names = [n for n in names if n]
    listed = ", ".join(names[:MAX_NAMES_IN_TITLE])
    if len(names) > MAX_NAMES_IN_TITLE:
        listed += f" và {len(names) - MAX_NAMES_IN_TITLE} nơi khác"
    n = len(alerts)
    if len(rules) == 1 and len(names) == n:
        what = f"{n} trung tâm {phrase(alerts[0])}"
    else:
        what = f"{n} cảnh báo"
    prefix = _HEADS[status]
    return f"{prefix}{what}: {listed}" if listed else f"{prefix}{what}"


def _alert_lines(item: AlertItem, now: datetime, *, detailed: bool) -> list[str]:
    where = place(item) or "toàn hệ thống"
    summary = one_line(item.summary, 300)
    cause = one_line(item.cause, 300)
    since = local_time(item.starts_at)
    centres = ", ".join(one_line(c, 80) for c in item.centres[:MAX_LISTED])
    if len(item.centres) > MAX_LISTED:
        centres += f" và {len(item.centres) - MAX_LISTED} nơi khác"
    if detailed:
        lines = [f"• Mức độ: {severity_vi(item.severity)}"]
        if item.centres:
            lines += [f"• Tỉnh: {where}",
                      f"• {len(item.centres)} trung tâm bị ảnh hưởng: {centres}"]
            if cause:
                lines.append(f"• Nguyên nhân chung có thể: {cause}")
        else:
            lines += [f"• Trung tâm: {where}", f"• Nội dung: {summary}"]
            if cause:
                lines.append(f"• Nguyên nhân: {cause}")
        lines.append(f"• Từ: {since}")
        state = _state(item, now)
        lines.append(f"• {state[0].upper()}{state[1:]}")
        lines.extend(f"• {h[0].upper()}{h[1:]}" for h in handling(item))
        return lines
    line = f"• [{severity_vi(item.severity)}] {where}: {summary}"
    if item.centres:
        line += f" — nguyên nhân chung có thể: {cause}" if cause else ""
    elif cause:
        line += f" — nguyên nhân: {cause}"
    line = f"{line} — từ {since}; {_state(item, now)}"
    return [f"{line}; {'; '.join(handling(item))}" if handling(item) else line]


def handling(item: AlertItem) -> list[str]:
    """What people did about the alert: 'đã xác nhận bởi Lan: đã gọi VNPT', 'tắt tiếng đến
    15:30 07/12/2026 bởi Minh' (none: an empty list)."""
    out = []
    if item.acked_by:
        who = one_line(item.acked_by, 80)
        note = one_line(item.ack_note, 200)
        out.append(f"đã xác nhận bởi {who}: {note}" if note else f"đã xác nhận bởi {who}")
    if item.silenced_until is not None:
        who = one_line(item.silenced_by, 80) or "?"
        out.append(f"tắt tiếng đến {local_time(item.silenced_until)} bởi {who}")
    return out


def _state(item: AlertItem, now: datetime) -> str:
    """'đã khắc phục sau 12 phút (lúc …)' or 'đang diễn ra: 7 phút'."""
    if item.ends_at is not None:
        took = duration_vi((item.ends_at - item.starts_at).total_seconds())
        return f"đã khắc phục sau {took} (lúc {local_time(item.ends_at)})"
    return f"đang diễn ra: {duration_vi((now - item.starts_at).total_seconds())}"
