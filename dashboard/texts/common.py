"""Words shared by several pages (filters, navigation)."""

VI: dict[str, str] = {
    "common.all": "Tất cả",
    "common.none_to_pick": "Không có lựa chọn",
    "detail.answer_too_slow": "trả lời quá chậm",
    "today.basis.5m": "Số hồ sơ hôm nay tính theo số liệu tổng hợp 5 phút, đến {t}: số liệu "
                      "gốc lúc {at} không còn lưu",
    "today.basis.1h": "Số hồ sơ hôm nay tính theo số liệu tổng hợp theo giờ, đến {t}: số liệu "
                      "gốc và tổng hợp 5 phút lúc {at} không còn lưu",
}

EN: dict[str, str] = {
    "common.all": "All",
    "common.none_to_pick": "Nothing to choose",
    "detail.answer_too_slow": "answer too slow",
    "today.basis.5m": "Today's dossier counts are from the 5-minute roll-ups, up to {t}: the "
                      "raw samples of {at} are no longer kept",
    "today.basis.1h": "Today's dossier counts are from the hourly roll-ups, up to {t}: the raw "
                      "samples and 5-minute roll-ups of {at} are no longer kept",
}
