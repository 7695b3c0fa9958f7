"""The dashboard's words, Vietnamese first, English second.

`text(lang)` gives a `Tr`: `tr("tile.centres_up")` or `tr("why.down_since", t="09:15")`.
A key missing in English falls back to Vietnamese; a key missing everywhere
raises KeyError (a typo must fail the tests, not show a blank).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

VI: dict[str, str] = {
    "app.title": "Giám sát Trung tâm Phục vụ hành chính công",
    "nav.wall": "Màn hình tổng quan",
    "sidebar.language": "Ngôn ngữ",
    "wall.subtitle": "Trung tâm Phục vụ hành chính công cấp xã · {date}",
    "wall.replay": "Đang xem lại dữ liệu lúc {t}",
    "wall.bad_at": "Thời điểm không hợp lệ: {value!r} (dạng 2025-07-03T10:00)",
    "wall.no_db": "Không mở được cơ sở dữ liệu: {error}",
    "fresh.updated": "Cập nhật {ago} · lúc {t}",
    "fresh.stale": "DỮ LIỆU CŨ — lần cập nhật cuối {ago} (lúc {t}). Trình thu thập có "
                   "đang chạy không?",
    "fresh.none": "Chưa có dữ liệu: chưa có lần thu thập nào được ghi nhận.",
    "fresh.no_centres": "Chưa có dữ liệu: chưa có trung tâm nào trong cơ sở dữ liệu.",
    "tile.centres_up": "Trung tâm hoạt động",
    "tile.detail.down": "{n} ngừng",
    "tile.detail.degraded": "{n} suy giảm",
    "tile.detail.stale": "{n} không có dữ liệu mới",
    "tile.detail.all_ok": "tất cả bình thường",
    "tile.received": "Hồ sơ tiếp nhận",
    "tile.resolved": "Hồ sơ đã giải quyết",
    "tile.late": "Giải quyết trễ hạn",
    "tile.on_time": "Tỉ lệ đúng hạn",
    "tile.on_time_detail": "trên hồ sơ đã giải quyết hôm nay",
    "tile.on_time_help": "(Đã giải quyết − trễ hạn) ÷ đã giải quyết, từ 00:00 hôm nay. Khác "
                         "chỉ số 2.1 (QĐ 766) trên trang Chỉ số phục vụ: 2.1 tính hồ sơ yêu "
                         "cầu bổ sung quá một lần là trễ hạn.",
    "tile.overdue_detail": "{overdue} hồ sơ đang quá hạn",
    "tile.since": "hôm nay, 00:00–{t}",
    "tile.otp": "OTP p95 (trung vị)",
    "tile.otp_worst": "chậm nhất {value} · {centre}",
    "tile.sync": "Trễ đồng bộ lớn nhất",
    "tile.no_data_today": "chưa có dữ liệu hôm nay",
    "map.title": "Bản đồ trạng thái",
    "map.unmapped": "Chưa có toạ độ (không hiện trên bản đồ): {names}",
    "map.approx": "Toạ độ gần đúng",
    "lag.title": "Cần chú ý",
    "lag.none": "Tất cả trung tâm hoạt động bình thường.",
    "lag.more": "và {n} trung tâm khác",
    "lag.commune": "Trung tâm",
    "lag.status": "Trạng thái",
    "lag.why": "Lý do",
    "lag.sync": "Trễ đồng bộ",
    "lag.otp": "OTP p95",
    "lag.overdue": "Quá hạn",
    "status.ok": "Bình thường",
    "status.degraded": "Suy giảm",
    "status.down": "Ngừng hoạt động",
    "status.stale": "Dữ liệu cũ",
    "status.no_data": "Chưa có dữ liệu",
    "why.down_since": "ngừng từ {t} ({reason})",
    "why.down_at_least": "ngừng từ trước {t} ({reason})",
    "why.stale": "không có dữ liệu mới từ {t}",
    "why.no_data": "chưa từng thu thập được",
    "why.sync_lag": "trễ đồng bộ {value}",
    "why.otp": "OTP chậm {value}",
    "why.components": "{names} có sự cố",
    "why.system": "hệ thống báo suy giảm",
    "reason.timeout": "không phản hồi",
    "reason.refused": "từ chối kết nối",
    "reason.http_status": "lỗi HTTP",
    "reason.bad_payload": "dữ liệu lỗi",
    "reason.too_large": "dữ liệu quá lớn",
    "reason.skipped": "không kịp thu thập",
    "reason.soft_down": "hệ thống báo ngừng",
    "component.portal_link": "kết nối Cổng DVC",
    "component.esign": "ký số",
    "component.payment": "thanh toán",
    "component.results_return": "trả kết quả",
    "component.power": "điện",
    "component.network": "mạng",
}

EN: dict[str, str] = {
    "app.title": "Public Administration Service Centre monitoring",
    "nav.wall": "Overview wall",
    "sidebar.language": "Language",
    "wall.subtitle": "Commune Public Administration Service Centres · {date}",
    "wall.replay": "Replaying the data as of {t}",
    "wall.bad_at": "Not a valid moment: {value!r} (use 2025-07-03T10:00)",
    "wall.no_db": "Cannot open the database: {error}",
    "fresh.updated": "Updated {ago} · at {t}",
    "fresh.stale": "STALE DATA — last update {ago} (at {t}). Is the collector running?",
    "fresh.none": "No data yet: no collection has been recorded.",
    "fresh.no_centres": "No data yet: no centre is in the database.",
    "tile.centres_up": "Centres up",
    "tile.detail.down": "{n} down",
    "tile.detail.degraded": "{n} degraded",
    "tile.detail.stale": "{n} without fresh data",
    "tile.detail.all_ok": "all normal",
    "tile.received": "Dossiers received",
    "tile.resolved": "Dossiers resolved",
    "tile.late": "Resolved late",
    "tile.on_time": "On-time rate",
    "tile.on_time_detail": "of dossiers resolved today",
    "tile.on_time_help": "(Resolved − late) ÷ resolved, since 00:00 today. Not indicator 2.1 "
                         "(Decision 766) of the service index page: 2.1 counts dossiers asked "
                         "for supplements more than once as late.",
    "tile.overdue_detail": "{overdue} dossiers overdue",
    "tile.since": "today, 00:00–{t}",
    "tile.otp": "OTP p95 (median)",
    "tile.otp_worst": "slowest {value} · {centre}",
    "tile.sync": "Worst portal sync lag",
    "tile.no_data_today": "no data today",
    "map.title": "Status map",
    "map.unmapped": "No coordinates (not on the map): {names}",
    "map.approx": "Approximate coordinates",
    "lag.title": "Needs attention",
    "lag.none": "Every centre is working normally.",
    "lag.more": "and {n} more centres",
    "lag.commune": "Centre",
    "lag.status": "Status",
    "lag.why": "Why",
    "lag.sync": "Sync lag",
    "lag.otp": "OTP p95",
    "lag.overdue": "Overdue",
    "status.ok": "OK",
    "status.degraded": "Degraded",
    "status.down": "Down",
    "status.stale": "Stale",
    "status.no_data": "No data",
    "why.down_since": "down since {t} ({reason})",
    "why.down_at_least": "down since before {t} ({reason})",
    "why.stale": "no new data since {t}",
    "why.no_data": "never collected",
    "why.sync_lag": "sync {value} behind",
    "why.otp": "slow OTP {value}",
    "why.components": "{names} failing",
    "why.system": "system reports degraded",
    "reason.timeout": "no answer",
    "reason.refused": "connection refused",
    "reason.http_status": "HTTP error",
    "reason.bad_payload": "bad data",
    "reason.too_large": "answer too large",
    "reason.skipped": "not polled in time",
    "reason.soft_down": "system reports down",
    "component.portal_link": "portal link",
    "component.esign": "e-signature",
    "component.payment": "payment",
    "component.results_return": "results return",
    "component.power": "power",
    "component.network": "network",
}


def _merge_page_texts() -> None:
    """Add each page's words from `dashboard/texts/<page>.py` (its own VI and EN dicts).

    A key defined twice is a programming error and fails at import.
    """
    import importlib
    import pkgutil

    from dashboard import texts

    for info in sorted(pkgutil.iter_modules(texts.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"dashboard.texts.{info.name}")
        for target, extra in ((VI, module.VI), (EN, module.EN)):
            clash = target.keys() & extra.keys()
            if clash:
                raise RuntimeError(f"dashboard/texts/{info.name}.py redefines {sorted(clash)}")
            target.update(extra)


_merge_page_texts()
TEXTS: Mapping[str, Mapping[str, str]] = {"vi": VI, "en": EN}


class Tr:
    """Text in one language; call with a key and the values its template names."""

    def __init__(self, lang: str):
        self.lang = lang if lang in TEXTS else DEFAULT_LANG

    def __call__(self, key: str, **values: object) -> str:
        template = TEXTS[self.lang].get(key)
        if template is None:
            template = VI[key]  # KeyError for an unknown key, on purpose
        return template.format(**values) if values else template


def text(lang: str) -> Tr:
    return Tr(lang)


def pick_language(requested: str | None, default: str) -> str:
    """`requested` (e.g. ?lang=en) when it is a known language, else `default`."""
    if requested in LANGS:
        return requested
    return default if default in LANGS else DEFAULT_LANG
