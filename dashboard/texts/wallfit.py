"""Words of the kiosk wall's count badge and the playlist's stop notice."""

VI: dict[str, str] = {
    "wallfit.badge.ok": "Tất cả hoạt động · 0 cảnh báo",
    "wallfit.badge.down": "{n} ngừng",
    "wallfit.badge.alerts": "{n} cảnh báo",
    "wallfit.held.title": "DỪNG TRÌNH CHIẾU",
    "wallfit.held.why": "Cảnh báo nghiêm trọng mới chưa ai xác nhận: {who} · "
                        "chạy lại khi được xác nhận, chậm nhất {t}",
}

EN: dict[str, str] = {
    "wallfit.badge.ok": "All up · 0 alerts",
    "wallfit.badge.down": "{n} down",
    "wallfit.badge.alerts": "{n} alerts",
    "wallfit.held.title": "PLAYLIST STOPPED",
    "wallfit.held.why": "New critical alert nobody has acknowledged: {who} · "
                        "resumes once acknowledged, at the latest {t}",
}
