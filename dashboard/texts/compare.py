"""Words of the week-on-week comparison (briefing and wall), Vietnamese first."""

VI: dict[str, str] = {
    "week.title": "So với cùng thời điểm tuần trước",
    "week.when": "{weekday} {date}, đến {t}",
    "week.col.metric": "Chỉ tiêu",
    "week.col.now": "Hôm nay ({when})",
    "week.col.then": "Tuần trước ({when})",
    "week.col.change": "Chênh lệch",
    "week.received": "Hồ sơ tiếp nhận",
    "week.resolved": "Hồ sơ đã giải quyết",
    "week.line": "{label}: {now} · tuần trước {then} ({change})",
    "week.line_no_change": "{label}: {now} · tuần trước {then}",
    "week.tile": "tuần trước {then} ({change})",
    "week.tile_no_change": "tuần trước {then}",
    "week.tile_missing": "tuần trước: không có số liệu",
    "week.sentence": "So với cùng thời điểm {weekday} tuần trước ({date}): tiếp nhận "
                     "{received_then}{received_change}, giải quyết {resolved_then}"
                     "{resolved_change}.",
    "week.dossiers": "{n} hồ sơ",
    "week.no_figure": "không có số liệu",
    "week.sentence_missing": "Không có số liệu cùng thời điểm tuần trước ({date}) để so sánh.",
    "week.note.missing": "Không có số liệu tuần trước ({date}): chưa thu thập hoặc không còn "
                         "lưu. Không phải 0.",
    "week.note.no_today": "Chưa có số liệu hôm nay để so sánh.",
    "week.note.missing_then": "Tuần trước thiếu số liệu của {n} trung tâm ({names}): số tuần "
                              "trước chưa đủ, không tính chênh lệch.",
    "week.note.missing_now": "Hôm nay chưa có số liệu của {n} trung tâm ({names}), tuần trước "
                             "có: không tính chênh lệch.",
    "week.note.gap": "Tuần trước mất dữ liệu thu thập từ {start} đến {end}, đúng thời điểm so "
                     "sánh: số tuần trước chưa đủ, không tính chênh lệch.",
    "week.note.rollup.5m": "Tuần trước chỉ còn số liệu gộp 5 phút: tính đến {t}.",
    "week.note.rollup.1h": "Tuần trước chỉ còn số liệu gộp theo giờ: tính đến {t}.",
    "week.more": "và {n} trung tâm khác",
    "weekday.0": "thứ Hai",
    "weekday.1": "thứ Ba",
    "weekday.2": "thứ Tư",
    "weekday.3": "thứ Năm",
    "weekday.4": "thứ Sáu",
    "weekday.5": "thứ Bảy",
    "weekday.6": "Chủ nhật",
}

EN: dict[str, str] = {
    "week.title": "Compared with the same time last week",
    "week.when": "{weekday} {date}, to {t}",
    "week.col.metric": "Figure",
    "week.col.now": "Today ({when})",
    "week.col.then": "Last week ({when})",
    "week.col.change": "Change",
    "week.received": "Dossiers received",
    "week.resolved": "Dossiers resolved",
    "week.line": "{label}: {now} · last week {then} ({change})",
    "week.line_no_change": "{label}: {now} · last week {then}",
    "week.tile": "last week {then} ({change})",
    "week.tile_no_change": "last week {then}",
    "week.tile_missing": "last week: no figure",
    "week.sentence": "At the same time last {weekday} ({date}): received {received_then}"
                     "{received_change}, resolved {resolved_then}{resolved_change}.",
    "week.dossiers": "{n} dossiers",
    "week.no_figure": "no figure",
    "week.sentence_missing": "No figures for the same time last week ({date}) to compare with.",
    "week.note.missing": "No figures for last week ({date}): not collected or no longer kept. "
                         "Not zero.",
    "week.note.no_today": "No figures today yet to compare.",
    "week.note.missing_then": "Last week lacks the figures of {n} centres ({names}): last "
                              "week's total is incomplete, no change stated.",
    "week.note.missing_now": "Today has no figures yet from {n} centres ({names}) that had them "
                             "last week: no change stated.",
    "week.note.gap": "Last week the collector lost its polls from {start} to {end}, at the "
                     "moment compared: last week's total is incomplete, no change stated.",
    "week.note.rollup.5m": "Only 5-minute roll-ups are kept for last week: counted up to {t}.",
    "week.note.rollup.1h": "Only hourly roll-ups are kept for last week: counted up to {t}.",
    "week.more": "and {n} more centres",
    "weekday.0": "Monday",
    "weekday.1": "Tuesday",
    "weekday.2": "Wednesday",
    "weekday.3": "Thursday",
    "weekday.4": "Friday",
    "weekday.5": "Saturday",
    "weekday.6": "Sunday",
}
