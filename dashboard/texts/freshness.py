"""Words of the data-age line and the stale-data banner on every page."""

VI: dict[str, str] = {
    "banner.fresh": "Cập nhật dữ liệu lúc {t} ({ago})",
    "banner.stale": "Dữ liệu không cập nhật từ {t} ({age}) — số liệu dưới đây đã cũ",
    "banner.unreachable": "Cơ sở dữ liệu không truy cập được từ {t} ({age}) — số liệu dưới "
                          "đây có thể đã cũ",
    "banner.behind": "Thu thập đang chậm: lúc {t} bỏ lỡ {missed} chu kỳ {interval} giây "
                     "(tổng {total} từ khi khởi động) — một số trung tâm được cập nhật thưa hơn",
}

EN: dict[str, str] = {
    "banner.fresh": "Data updated at {t} ({ago})",
    "banner.stale": "Data not updated since {t} ({age}) — the figures below are old",
    "banner.unreachable": "The database has been unreachable since {t} ({age}) — the figures "
                          "below may be old",
    "banner.behind": "Collection is falling behind: {missed} cycle(s) of {interval} s missed at "
                     "{t} ({total} since start-up) — some centres are updated less often",
}
