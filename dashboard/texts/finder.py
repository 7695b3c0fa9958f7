"""Words of the lagging-commune finder (dashboard/app_pages/finder.py)."""

from __future__ import annotations

VI: dict[str, str] = {
    "nav.finder": "Tìm xã chậm",
    "finder.title": "Tìm trung tâm chậm",
    "finder.no_db": "Không mở được cơ sở dữ liệu: {error}",
    "finder.bad_at": "Thời điểm không hợp lệ: {value!r} (dạng 2025-07-03T10:00)",
    "finder.replay": "Đang xem dữ liệu lúc {t}",
    "finder.no_centres": "Chưa có dữ liệu: chưa có trung tâm nào trong cơ sở dữ liệu.",
    "finder.rules": "Quy tắc xác định trung tâm chậm",
    "finder.problems_help": "Trung tâm có sự cố (ngừng, không có dữ liệu mới, suy giảm) được "
                            "coi là chậm, theo đúng ngưỡng của quy tắc cảnh báo "
                            "(config/alerts.yaml), như màn hình tổng quan và cảnh báo: "
                            "{conditions}.",
    "finder.rules_help": "Ngoài ra, trung tâm vi phạm quy tắc dịch vụ nào đang bật dưới đây "
                         "cũng được coi là chậm. Ngưỡng thay đổi ở đây chỉ áp dụng cho phiên "
                         "này; ngưỡng mặc định nằm trong cấu hình (dashboard.lagging). Trung "
                         "tâm không có số liệu không bị tính là vi phạm.",
    "finder.rule_on": "Bật",
    "finder.below": "dưới",
    "finder.above": "trên",
    "finder.province": "Tỉnh/thành phố",
    "finder.kind": "Loại",
    "finder.search": "Tên trung tâm (có hoặc không dấu)",
    "finder.only_lagging": "Chỉ hiện trung tâm chậm",
    "finder.count": "{lagging}/{total} trung tâm có sự cố hoặc vi phạm quy tắc · đang hiện "
                    "{shown} (nặng nhất trước)",
    "finder.none": "Không có trung tâm nào khớp bộ lọc.",
    "finder.export": "Tải CSV",
    "finder.file": "trung-tam-cham-{date}.csv",
    "finder.col.link": "Chi tiết",
    "finder.col.open": "Xem",
    "finder.col.id": "Mã",
    "finder.col.name": "Trung tâm",
    "finder.col.province": "Tỉnh/thành phố",
    "finder.col.kind": "Loại",
    "finder.col.status": "Trạng thái",
    "finder.col.broken": "Vi phạm quy tắc",
    "finder.col.problems": "Sự cố",
    "finder.metric.on_time_rate_today": "Tỉ lệ đúng hạn hôm nay",
    "finder.metric.availability_24h": "Khả dụng 24 giờ",
    "finder.metric.sync_lag_s": "Trễ đồng bộ",
    "finder.metric.otp_p95_s": "OTP p95",
    "finder.metric.overdue": "Hồ sơ quá hạn",
    "finder.metric.unsynced": "Hồ sơ chưa đồng bộ",
    "finder.unit.on_time_rate_today": "%",
    "finder.unit.availability_24h": "%",
    "finder.unit.sync_lag_s": "phút",
    "finder.unit.otp_p95_s": "giây",
    "finder.unit.overdue": "hồ sơ",
    "finder.unit.unsynced": "hồ sơ",
}

EN: dict[str, str] = {
    "nav.finder": "Lagging communes",
    "finder.title": "Find lagging centres",
    "finder.no_db": "Cannot open the database: {error}",
    "finder.bad_at": "Not a valid moment: {value!r} (use 2025-07-03T10:00)",
    "finder.replay": "Showing the data as of {t}",
    "finder.no_centres": "No data yet: no centre is in the database.",
    "finder.rules": "Rules for a lagging centre",
    "finder.problems_help": "A centre with a problem (down, no new data, degraded) counts as "
                            "lagging, by the alert rules' own thresholds (config/alerts.yaml), "
                            "as on the wall and in the alerts: {conditions}.",
    "finder.rules_help": "A centre breaking any enabled service rule below counts as lagging "
                         "too. Thresholds changed here apply to this session only; the "
                         "defaults are in the configuration (dashboard.lagging). A centre "
                         "without a figure does not break the rule.",
    "finder.rule_on": "On",
    "finder.below": "below",
    "finder.above": "above",
    "finder.province": "Province",
    "finder.kind": "Type",
    "finder.search": "Centre name (with or without diacritics)",
    "finder.only_lagging": "Only lagging centres",
    "finder.count": "{lagging}/{total} centres have a problem or break a rule · showing "
                    "{shown} (worst first)",
    "finder.none": "No centre matches the filters.",
    "finder.export": "Download CSV",
    "finder.file": "lagging-centres-{date}.csv",
    "finder.col.link": "Details",
    "finder.col.open": "Open",
    "finder.col.id": "Code",
    "finder.col.name": "Centre",
    "finder.col.province": "Province",
    "finder.col.kind": "Type",
    "finder.col.status": "Status",
    "finder.col.broken": "Rules broken",
    "finder.col.problems": "Problems",
    "finder.metric.on_time_rate_today": "On-time rate today",
    "finder.metric.availability_24h": "Availability 24 h",
    "finder.metric.sync_lag_s": "Sync lag",
    "finder.metric.otp_p95_s": "OTP p95",
    "finder.metric.overdue": "Overdue dossiers",
    "finder.metric.unsynced": "Unsynced dossiers",
    "finder.unit.on_time_rate_today": "%",
    "finder.unit.availability_24h": "%",
    "finder.unit.sync_lag_s": "min",
    "finder.unit.otp_p95_s": "s",
    "finder.unit.overdue": "dossiers",
    "finder.unit.unsynced": "dossiers",
}
