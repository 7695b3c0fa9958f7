"""Words shared by several pages (filters, navigation)."""

VI: dict[str, str] = {
    "common.all": "Tất cả",
    "common.none_to_pick": "Không có lựa chọn",
    "detail.answer_too_slow": "trả lời quá chậm",
}

EN: dict[str, str] = {
    "common.all": "All",
    "common.none_to_pick": "Nothing to choose",
    "detail.answer_too_slow": "answer too slow",
}
