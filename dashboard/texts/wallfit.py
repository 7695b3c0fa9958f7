"""Words of the kiosk wall's count badge and the playlist's stop notice."""

VI: dict[str, str] = {
    "wallfit.badge.ok": "Tất cả hoạt động · 0 cảnh báo",
    "wallfit.badge.down": "{n} ngừng",
    "wallfit.badge.alerts": "{n} cảnh báo",
    "wallfit.held.title": "DỪNG TRÌNH CHIẾU",
    "wallfit.held.why": "{who}: cảnh báo nghiêm trọng mới, chưa ai xác nhận · "
                        "chạy lại khi xác nhận, muộn nhất {t}",
}

EN: dict[str, str] = {
    "wallfit.badge.ok": "All up · 0 alerts",
    "wallfit.badge.down": "{n} down",
    "wallfit.badge.alerts": "{n} alerts",
    "wallfit.held.title": "PLAYLIST STOPPED",
    "wallfit.held.why": "{who}: new critical alert, not acknowledged · "
                        "resumes once acknowledged, at the latest {t}",
}
