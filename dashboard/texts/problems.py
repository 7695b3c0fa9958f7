"""Words of a centre's problems: the alert rules of config/alerts.yaml, as the pages name them.

`problem.<rule>` names a shipped rule's condition in a few words (the wall's "why", the
finder, the briefing); a deployment's own rule without words here is named by its rule
name (`problem.other`).
"""

VI: dict[str, str] = {
    "problem.centre_down": "ngừng hoạt động",
    "problem.portal_link_down": "mất kết nối Cổng DVC quốc gia",
    "problem.esign_down": "ký số không hoạt động",
    "problem.payment_down": "thanh toán trực tuyến không hoạt động",
    "problem.results_return_down": "trả kết quả không hoạt động",
    "problem.system_degraded": "hệ thống báo hoạt động kém",
    "problem.power_on_battery": "mất điện lưới, chạy UPS",
    "problem.power_cut": "mất điện",
    "problem.otp_p95_high": "OTP chậm",
    "problem.otp_failure_high": "OTP thất bại nhiều",
    "problem.sync_lag_high": "trễ đồng bộ Cổng DVC",
    "problem.unsynced_growing": "hồ sơ chưa đồng bộ tăng",
    "problem.overdue_high": "nhiều hồ sơ quá hạn",
    "problem.overdue_growing": "hồ sơ quá hạn tăng",
    "problem.centre_silent": "không có dữ liệu mới",
    "problem.other": "cảnh báo {rule}",
    "problem.with_value": "{name} ({value})",
    "reason.system_down": "hệ thống của trung tâm tự báo ngừng hoạt động",
    "wall2.phase.pending": "chờ xác nhận",
    "wall2.phase.inhibited": "gộp theo sự cố chung",
    "wall2.phase.maintenance": "trong giờ bảo trì",
}

EN: dict[str, str] = {
    "problem.centre_down": "down",
    "problem.portal_link_down": "National Portal link down",
    "problem.esign_down": "e-signature down",
    "problem.payment_down": "online payment down",
    "problem.results_return_down": "results return down",
    "problem.system_degraded": "system reports degraded",
    "problem.power_on_battery": "mains power lost, on UPS",
    "problem.power_cut": "power cut",
    "problem.otp_p95_high": "slow OTP",
    "problem.otp_failure_high": "many OTP failures",
    "problem.sync_lag_high": "portal sync behind",
    "problem.unsynced_growing": "unsynced dossiers growing",
    "problem.overdue_high": "many overdue dossiers",
    "problem.overdue_growing": "overdue dossiers growing",
    "problem.centre_silent": "no new data",
    "problem.other": "alert {rule}",
    "problem.with_value": "{name} ({value})",
    "reason.system_down": "the centre's own system reports down",
    "wall2.phase.pending": "awaiting confirmation",
    "wall2.phase.inhibited": "muted by a shared cause",
    "wall2.phase.maintenance": "in a maintenance window",
}
