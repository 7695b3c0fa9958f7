"""Words of collection gaps: cycles a collector polled but could not keep (wall, commune)."""

VI: dict[str, str] = {
    "gaps.line": "Thiếu dữ liệu {start}–{end} ({cycles}): {reason}",
    "gaps.line_at": "Thiếu dữ liệu lúc {t} ({cycles}): {reason}",
    "gaps.cycle": "1 chu kỳ",
    "gaps.cycles": "{n} chu kỳ",
    "gaps.more": "và {n} khoảng thiếu dữ liệu khác trong 24 giờ qua",
    "gaps.reason.spool_full": "bộ đệm đĩa của bộ thu thập đầy khi mất kết nối cơ sở dữ liệu",
    "gaps.reason.spool_unwritable": "thư mục bộ đệm đĩa của bộ thu thập không ghi được "
                                    "(thiếu hoặc chỉ đọc) khi mất kết nối cơ sở dữ liệu",
    "gaps.reason.other": "lý do khác ({code})",
    "gaps.detail.polls": "{n} lượt thu thập bị bỏ",
    "gaps.detail.spool": "bộ đệm {used} / giới hạn {bound}",
    "gaps.detail.collector": "bộ thu thập {name}",
    "commune.kind.gap": "Thiếu dữ liệu",
}

EN: dict[str, str] = {
    "gaps.line": "Data missing {start}–{end} ({cycles}): {reason}",
    "gaps.line_at": "Data missing at {t} ({cycles}): {reason}",
    "gaps.cycle": "1 cycle",
    "gaps.cycles": "{n} cycles",
    "gaps.more": "and {n} more gaps in the last 24 hours",
    "gaps.reason.spool_full": "the collector's disk spool was full while the database "
                              "was unreachable",
    "gaps.reason.spool_unwritable": "the collector's spool folder could not be written "
                                    "(missing or read-only) while the database was "
                                    "unreachable",
    "gaps.reason.other": "another reason ({code})",
    "gaps.detail.polls": "{n} polls dropped",
    "gaps.detail.spool": "spool {used} of {bound}",
    "gaps.detail.collector": "collector {name}",
    "commune.kind.gap": "Data missing",
}
