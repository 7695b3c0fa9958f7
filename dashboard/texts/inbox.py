"""Words of the demo's notification inbox page (dashboard/inbox.py)."""

VI: dict[str, str] = {
    "inbox.title": "Hộp thư cảnh báo (bản chạy thử)",
    "inbox.intro": "Các thông báo cảnh báo mà hệ thống gửi tới kênh webhook trong bản chạy "
                   "thử (ioc demo). Trên hệ thống thật, chúng đi tới kênh đã cấu hình trong "
                   "config/alerts.yaml. Trang tự làm mới mỗi {refresh} giây.",
    "inbox.count": "{n} thông báo, mới nhất trước",
    "inbox.none": "Chưa có thông báo nào.",
    "inbox.received": "Nhận lúc {t}",
    "inbox.firing": "Đang cảnh báo",
    "inbox.resolved": "Đã khắc phục",
    "inbox.since": "từ {t}",
    "inbox.ended": "kết thúc {t}",
    "inbox.acked": "đã nhận xử lý: {who}",
    "inbox.switch": "English",
    "inbox.severity.critical": "Nghiêm trọng",
    "inbox.severity.warning": "Cảnh báo",
    "inbox.severity.info": "Thông tin",
}

EN: dict[str, str] = {
    "inbox.title": "Alert inbox (demo)",
    "inbox.intro": "The alert notices the product sent to its webhook channel in the demo "
                   "(ioc demo). On a real site they go to the channel configured in "
                   "config/alerts.yaml. The page refreshes every {refresh} seconds.",
    "inbox.count": "{n} notices, newest first",
    "inbox.none": "No notice yet.",
    "inbox.received": "Received at {t}",
    "inbox.firing": "Firing",
    "inbox.resolved": "Resolved",
    "inbox.since": "since {t}",
    "inbox.ended": "ended {t}",
    "inbox.acked": "taken on by: {who}",
    "inbox.switch": "Tiếng Việt",
    "inbox.severity.critical": "Critical",
    "inbox.severity.warning": "Warning",
    "inbox.severity.info": "Info",
}
