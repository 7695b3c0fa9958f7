"""Words of the wall's maps over the province outlines (dashboard/views/geo.py)."""

VI: dict[str, str] = {
    "geomap.communes_note": "Chưa có dữ liệu mở về ranh giới xã, phường sau sắp xếp 2025: "
                            "mỗi chấm là một trung tâm",
    "geomap.unwatched": "{name}: chưa có trung tâm nào được giám sát",
    "geomap.more": "và {n} trung tâm khác",
    "geomap.hoang_sa": "QĐ. Hoàng Sa<br>(Đà Nẵng)",
    "geomap.truong_sa": "QĐ. Trường Sa<br>(Khánh Hòa)",
}

EN: dict[str, str] = {
    "geomap.communes_note": "No open data on commune and ward boundaries since the 2025 "
                            "reorganisation: each dot is a centre",
    "geomap.unwatched": "{name}: no centre monitored",
    "geomap.more": "and {n} more",
    "geomap.hoang_sa": "Hoàng Sa Islands<br>(Đà Nẵng)",
    "geomap.truong_sa": "Trường Sa Islands<br>(Khánh Hòa)",
}
