"""Words of shared-cause incidents in the alert lists (wall, alerts page)."""

VI: dict[str, str] = {
    "incident.where": "Sự cố chung · {n} trung tâm",
    "incident.summary": "Nguyên nhân chung có thể: {cause} — {centres}",
    "incident.cause": "Nguyên nhân chung có thể: {cause}",
    "incident.grouped": "gộp vào sự cố chung",
}

EN: dict[str, str] = {
    "incident.where": "Shared incident · {n} centres",
    "incident.summary": "Likely shared cause: {cause} — {centres}",
    "incident.cause": "Likely shared cause: {cause}",
    "incident.grouped": "grouped into a shared incident",
}
