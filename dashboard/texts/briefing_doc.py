"""Words of the briefing as a Word document (a Vietnamese administrative report)."""

VI: dict[str, str] = {
    "doc.export": "Tải báo cáo Word (.docx)",
    "doc.nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "doc.motto": "Độc lập - Tự do - Hạnh phúc",
    "doc.number": "Số:       /BC-IOC",
    "doc.place_date": "{place}, ngày {day} tháng {month} năm {year}",
    "doc.no_place": "……………",
    "doc.title": "BÁO CÁO",
    "doc.subtitle": "Tình hình hoạt động các Trung tâm Phục vụ hành chính công\n"
                    "(giao ban lúc {t} ngày {date})",
    "doc.basis": "Số liệu hồ sơ tính từ 00:00 đến {t} ngày {date}; sự cố và cảnh báo tính từ "
                 "cuộc giao ban lúc {prev}.",
    "doc.basis_period": "Số liệu hồ sơ tính từ 00:00 ngày {since} đến {t} ngày {date}; sự cố và "
                        "cảnh báo tính từ cuộc giao ban lúc {prev}.",
    "doc.sec.dossiers": "Tình hình tiếp nhận, giải quyết hồ sơ",
    "doc.sec.totals": "Số liệu chung",
    "doc.sec.operations": "Tình hình vận hành hệ thống",
    "doc.col.figure": "Chỉ tiêu",
    "doc.col.count": "Số hồ sơ",
    "doc.recipients": "Nơi nhận:",
    "doc.recipient.leaders": "- Lãnh đạo {org};",
    "doc.recipient.archive": "- Lưu: VT.",
    "doc.signer": "NGƯỜI LẬP BÁO CÁO",
    "doc.sign_hint": "(Ký, ghi rõ họ tên)",
    "doc.default_org": "UBND {province}",
}

EN: dict[str, str] = {
    "doc.export": "Download Word report (.docx)",
    "doc.nation": "SOCIALIST REPUBLIC OF VIET NAM",
    "doc.motto": "Independence - Freedom - Happiness",
    "doc.number": "No.:       /BC-IOC",
    "doc.place_date": "{place}, {day} {month_name} {year}",
    "doc.no_place": "……………",
    "doc.title": "REPORT",
    "doc.subtitle": "Operations of the Public Administration Service Centres\n"
                    "(conference at {t} on {date})",
    "doc.basis": "Dossier figures from 00:00 to {t} on {date}; incidents and alerts since the "
                 "{prev} conference.",
    "doc.basis_period": "Dossier figures from 00:00 on {since} to {t} on {date}; incidents and "
                        "alerts since the {prev} conference.",
    "doc.sec.dossiers": "Dossiers received and resolved",
    "doc.sec.totals": "Overall figures",
    "doc.sec.operations": "Systems in operation",
    "doc.col.figure": "Figure",
    "doc.col.count": "Dossiers",
    "doc.recipients": "Recipients:",
    "doc.recipient.leaders": "- Leaders of {org};",
    "doc.recipient.archive": "- Archive.",
    "doc.signer": "PREPARED BY",
    "doc.sign_hint": "(Signature, full name)",
    "doc.default_org": "People's Committee of {province}",
}
