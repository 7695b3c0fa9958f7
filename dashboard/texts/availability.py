"""Words of "availability 24 h" (metrics/availability.py): finder, commune, briefing, KPI."""

VI: dict[str, str] = {
    "avail.title": "Khả dụng 24 giờ",
    "avail.col.pct": "Khả dụng 24 giờ (%)",
    "avail.col.unknown": "Không có dữ liệu 24 giờ (phút)",
    "avail.unknown": "không có dữ liệu {d}",
    "avail.all_known": "đủ dữ liệu",
    "avail.none": "không có dữ liệu trong 24 giờ",
    "avail.help": "Thời gian hoạt động ÷ thời gian có dữ liệu, trong 24 giờ tới {t}. Mỗi "
                  "lượt thu thập đại diện cho đến lượt sau, tối đa {hold}; ngừng là không "
                  "trả lời hoặc hệ thống tự báo ngừng; thời gian không có lượt nào là "
                  "không có dữ liệu, không tính là hoạt động hay ngừng.",
}

EN: dict[str, str] = {
    "avail.title": "Availability 24 h",
    "avail.col.pct": "Availability 24 h (%)",
    "avail.col.unknown": "No data in 24 h (min)",
    "avail.unknown": "no data for {d}",
    "avail.all_known": "no gaps",
    "avail.none": "no data in 24 h",
    "avail.help": "Time up ÷ time with data, over the 24 h to {t}. Each poll stands until "
                  "the next one, for at most {hold}; down means no answer or the centre's "
                  "own system reporting down; time without any poll is no data, counted "
                  "neither up nor down.",
}
