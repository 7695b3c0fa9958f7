"""Words of the briefing's counting period (`?since=`): dossiers counted from an earlier day."""

VI: dict[str, str] = {
    "briefing.since": "Tính từ ngày",
    "briefing.since_help": "Hồ sơ được cộng dồn từ 00:00 ngày này đến thời điểm báo cáo "
                           "(mặc định: chỉ trong ngày báo cáo).",
    "briefing.since_after": "Ngày bắt đầu ({since}) sau ngày báo cáo: chỉ tính hồ sơ trong ngày "
                            "báo cáo.",
    "briefing.bad_since": "Ngày bắt đầu không hợp lệ: {value!r} (dạng 2025-07-01)",
    "briefing.caption_period": "Hồ sơ: từ 00:00 ngày {since} đến {t} ngày {date} · Sự cố: từ "
                               "cuộc giao ban lúc {prev}",
    "briefing.p.head_period": "Tính đến {t} ngày {date} (từ ngày {since}), {n} Trung tâm Phục vụ "
                              "hành chính công{scope} đã tiếp nhận {received} hồ sơ, trong đó đã "
                              "giải quyết {resolved} hồ sơ.",
}

EN: dict[str, str] = {
    "briefing.since": "Counting from",
    "briefing.since_help": "Dossiers are added up from 00:00 on this day to the moment of the "
                           "briefing (default: the briefing's own day only).",
    "briefing.since_after": "The start day ({since}) is after the briefing's day: only that "
                            "day's dossiers are counted.",
    "briefing.bad_since": "Not a valid start day: {value!r} (use 2025-07-01)",
    "briefing.caption_period": "Dossiers: 00:00 on {since} to {t} on {date} · Incidents: since "
                               "the {prev} conference",
    "briefing.p.head_period": "As of {t} on {date} (counting from {since}), the {n}{scope} "
                              "Public Administration Service Centres had received {received} "
                              "dossiers, of which {resolved} were resolved.",
}
