"""Words of the data-age line and the stale-data banner on every page."""

VI: dict[str, str] = {
    "banner.fresh": "Cập nhật dữ liệu lúc {t} ({ago})",
    "banner.stale": "Dữ liệu không cập nhật từ {t} ({age}) — số liệu dưới đây đã cũ",
    "banner.unreachable": "Cơ sở dữ liệu không truy cập được từ {t} ({age}) — số liệu dưới "
                          "đây có thể đã cũ",
}

EN: dict[str, str] = {
    "banner.fresh": "Data updated at {t} ({ago})",
    "banner.stale": "Data not updated since {t} ({age}) — the figures below are old",
    "banner.unreachable": "The database has been unreachable since {t} ({age}) — the figures "
                          "below may be old",
}
