"""Words of the service-quality (Decision 766) page. Rule texts are in metrics/kpi_text.py."""

VI: dict[str, str] = {
    "nav.kpi": "Chỉ số phục vụ (QĐ 766)",
    "kpi.title": "Chỉ số chất lượng phục vụ người dân, doanh nghiệp",
    "kpi.intro": "Theo Quyết định 766/QĐ-TTg, tính từ số liệu hồ sơ thu thập được. Mỗi số đều "
                 "có cách tính: mở mục của chỉ số hoặc chọn một trung tâm.",
    "kpi.period": "Kỳ",
    "kpi.period.today": "Hôm nay",
    "kpi.period.month": "Tháng này",
    "kpi.period.custom": "Tùy chọn",
    "kpi.range": "Từ ngày – đến ngày",
    "kpi.range_caption": "Từ {start} đến {end}",
    "kpi.pick_both": "Chọn cả ngày bắt đầu và ngày kết thúc.",
    "kpi.bad_at": "Thời điểm không hợp lệ: {value!r} (dạng 2025-07-03T10:00)",
    "kpi.replay": "Đang xem số liệu tính đến {t}",
    "kpi.no_db": "Không mở được cơ sở dữ liệu: {error}",
    "kpi.no_centres": "Chưa có dữ liệu: chưa có trung tâm nào trong cơ sở dữ liệu.",
    "kpi.problem": "Số liệu bị loại: {text}",
    "kpi.total": "Tổng điểm",
    "kpi.total_of": "trên {assessed} điểm có dữ liệu (tối đa {max})",
    "kpi.group": "Nhóm {n}",
    "kpi.group.1": "Công khai, minh bạch",
    "kpi.group.2": "Tiến độ, kết quả giải quyết",
    "kpi.group.3": "Cung cấp dịch vụ trực tuyến",
    "kpi.group.4": "Số hóa hồ sơ",
    "kpi.group.5": "Mức độ hài lòng",
    "kpi.group_of": "/{max} điểm",
    "kpi.group_partial": "chỉ {assessed}/{max} điểm có dữ liệu",
    "kpi.no_data": "không có dữ liệu",
    "kpi.not_scored": "không chấm điểm",
    "kpi.col.code": "Chỉ số",
    "kpi.col.name": "Nội dung",
    "kpi.col.value": "Kết quả",
    "kpi.col.points": "Điểm",
    "kpi.col.max": "Tối đa",
    "kpi.col.lost": "Điểm mất",
    "kpi.col.centre": "Trung tâm",
    "kpi.col.total": "Tổng điểm",
    "kpi.col.received": "Tiếp nhận",
    "kpi.communes": "Theo trung tâm",
    "kpi.pick_centre": "Xem cách tính của trung tâm",
    "kpi.rules": "Cách tính",
    "kpi.on_time_vs_wall": "Chỉ số 2.1 ({v21}) theo QĐ 766 = (đúng hạn − hồ sơ yêu cầu bổ "
                           "sung quá một lần) ÷ đã giải quyết: {multi} hồ sơ bổ sung quá một "
                           "lần tính là trễ hạn. «Tỉ lệ đúng hạn» trên Màn hình tổng quan = "
                           "(đã giải quyết − trễ hạn) ÷ đã giải quyết, không trừ các hồ sơ đó; "
                           "với số liệu của kỳ này là {wall}.",
    "kpi.not_measured": "Chưa đo được",
    "kpi.not_measured_text": "Các chỉ số khác của từng nhóm (công khai thủ tục, khảo sát hài "
                             "lòng, …) không tính được từ số liệu trung tâm gửi về nên không "
                             "có ở đây; điểm của nhóm chia đều cho các chỉ số tính được. Chi "
                             "tiết: docs/kpi.md.",
}

EN: dict[str, str] = {
    "nav.kpi": "Service index (766)",
    "kpi.title": "Service quality for citizens and businesses",
    "kpi.intro": "Per Decision 766/QĐ-TTg, from the collected dossier figures. Every number "
                 "has its rule: open an indicator or pick a centre.",
    "kpi.period": "Period",
    "kpi.period.today": "Today",
    "kpi.period.month": "This month",
    "kpi.period.custom": "Custom",
    "kpi.range": "From – to",
    "kpi.range_caption": "From {start} to {end}",
    "kpi.pick_both": "Pick both a start and an end date.",
    "kpi.bad_at": "Not a valid moment: {value!r} (use 2025-07-03T10:00)",
    "kpi.replay": "Showing the figures as of {t}",
    "kpi.no_db": "Cannot open the database: {error}",
    "kpi.no_centres": "No data yet: no centre is in the database.",
    "kpi.problem": "Figures dropped: {text}",
    "kpi.total": "Total score",
    "kpi.total_of": "of {assessed} points with data (max {max})",
    "kpi.group": "Group {n}",
    "kpi.group.1": "Transparency",
    "kpi.group.2": "Progress and results",
    "kpi.group.3": "Online services",
    "kpi.group.4": "Digitisation",
    "kpi.group.5": "Satisfaction",
    "kpi.group_of": "/{max} points",
    "kpi.group_partial": "only {assessed}/{max} points have data",
    "kpi.no_data": "no data",
    "kpi.not_scored": "not scored",
    "kpi.col.code": "Indicator",
    "kpi.col.name": "What",
    "kpi.col.value": "Result",
    "kpi.col.points": "Points",
    "kpi.col.max": "Max",
    "kpi.col.lost": "Lost",
    "kpi.col.centre": "Centre",
    "kpi.col.total": "Total",
    "kpi.col.received": "Received",
    "kpi.communes": "Per centre",
    "kpi.pick_centre": "Show the rules for centre",
    "kpi.rules": "How it is computed",
    "kpi.on_time_vs_wall": "Indicator 2.1 ({v21}) per Decision 766 = (on time − dossiers "
                           "asked for supplements more than once) ÷ resolved: those {multi} "
                           "dossiers count as late. The wall's \"On-time rate\" = (resolved − "
                           "late) ÷ resolved and does not count them; over this period's "
                           "figures it is {wall}.",
    "kpi.not_measured": "Not measured",
    "kpi.not_measured_text": "Each group's other indicators (publishing procedures, "
                             "satisfaction surveys, …) cannot be computed from what centres "
                             "send, so they are not shown; a group's points are shared equally "
                             "by the indicators computed. Details: docs/kpi.md.",
}
