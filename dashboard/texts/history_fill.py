"""Words of the line every page shows while a history backfill is unfinished."""

VI: dict[str, str] = {
    "history_fill.loading": "Đang nạp lịch sử {days} ngày ({pct}): số liệu trước {t} chưa "
                            "đầy đủ — biểu đồ và tỉ lệ nhiều ngày chưa tính đủ",
    "history_fill.stalled": "Nạp lịch sử đã dừng ở {pct} (lần ghi cuối {last}): số liệu trước "
                            "{t} không đầy đủ — biểu đồ và tỉ lệ nhiều ngày chưa tính đủ",
}

EN: dict[str, str] = {
    "history_fill.loading": "Loading {days} days of history ({pct}): the data before {t} is "
                            "incomplete — charts and multi-day rates do not yet count it all",
    "history_fill.stalled": "History loading stopped at {pct} (last write {last}): the data "
                            "before {t} is incomplete — charts and multi-day rates do not "
                            "count it all",
}
