"""The words of the Decision 766 rule texts (`metrics.kpi.explain`), Vietnamese and English,
and the few number formats they need (1.283 · 96,6 % in Vietnamese; 1,283 · 96.6% in English).

Kept beside the arithmetic, not in the dashboard: a rule text is part of the
result ("the rule used, so users can check it", docs/domain.md).
"""

from __future__ import annotations

from metrics.numbers import DASH, number, percent


def fnum(value: float | None, lang: str = "vi", digits: int = 0) -> str:
    """A number; whole numbers without decimals, others with `digits` (vi: decimal comma)."""
    if value is None:
        return DASH
    return number(value, lang, 0 if float(value).is_integer() else digits)


def fpct(ratio: float | None, lang: str = "vi", digits: int = 1) -> str:
    """A ratio as a percentage: 96,6 % (vi) or 96.6% (en); 80 % for a round threshold."""
    if ratio is None:
        return DASH
    return percent(ratio, lang, 0 if float(ratio * 100).is_integer() else digits)


def fsec(seconds: float | None, lang: str = "vi") -> str:
    """A resolution time in days or hours: 2,4 ngày / 5,5 giờ (vi), 2.4 days / 5.5 h (en)."""
    if seconds is None:
        return DASH
    day, hour = ("ngày", "giờ") if lang == "vi" else ("days", "h")
    if seconds >= 86_400:
        return f"{fnum(seconds / 86_400, lang, 1)} {day}"
    return f"{fnum(seconds / 3600, lang, 1)} {hour}"


_VI: dict[str, str] = {
    "name.1.4": "Tỉ lệ hồ sơ đồng bộ lên Cổng DVC quốc gia",
    "name.2.1": "Tỉ lệ hồ sơ giải quyết đúng hạn",
    "name.2.2": "Thời gian giải quyết trung bình",
    "name.3.3": "Tỉ lệ hồ sơ nộp trực tuyến",
    "name.3.6": "Tỉ lệ thanh toán trực tuyến",
    "name.4.1": "Tỉ lệ hồ sơ có kết quả điện tử",
    "name.4.2": "Tỉ lệ hồ sơ được số hóa",
    "name.5.4": "Mức độ hài lòng",
    "formula.1.4": "hồ sơ đã đồng bộ ÷ hồ sơ tiếp nhận",
    "formula.2.1": "(giải quyết đúng hạn − hồ sơ yêu cầu bổ sung quá một lần) ÷ hồ sơ đã "
                   "giải quyết",
    "formula.2.2": "tổng thời gian từ tiếp nhận đến có kết quả ÷ hồ sơ đã giải quyết",
    "formula.3.3": "hồ sơ nộp trực tuyến ÷ hồ sơ tiếp nhận",
    "formula.3.6": "hồ sơ thanh toán trực tuyến ÷ hồ sơ có thu phí",
    "formula.4.1": "hồ sơ có kết quả điện tử ÷ hồ sơ đã giải quyết",
    "formula.4.2": "hồ sơ được số hóa ÷ hồ sơ tiếp nhận",
    "formula.5.4": "100 % − (tỉ lệ trễ hạn + tỉ lệ phản ánh, kiến nghị); tỉ lệ trễ hạn = "
                   "100 % − chỉ số 2.1, tỉ lệ phản ánh = phản ánh ÷ hồ sơ đã giải quyết",
    "inputs": "Số liệu trong kỳ",
    "in.dossiers_received_total": "tiếp nhận",
    "in.sync_synced_total": "đã đồng bộ",
    "in.dossiers_resolved_total": "đã giải quyết",
    "in.dossiers_resolved_on_time_total": "đúng hạn",
    "in.dossiers_resolved_late_total": "trễ hạn",
    "in.dossiers_supplement_multi_total": "bổ sung quá một lần",
    "in.dossiers_resolution_seconds_total": "tổng giây giải quyết",
    "in.dossiers_online_total": "nộp trực tuyến",
    "in.dossiers_fee_bearing_total": "có thu phí",
    "in.dossiers_paid_online_total": "thanh toán trực tuyến",
    "in.dossiers_e_result_total": "kết quả điện tử",
    "in.dossiers_digitised_total": "được số hóa",
    "in.dossiers_complaints_total": "phản ánh, kiến nghị",
    "value": "Kết quả = {value}",
    "points": "Đạt điểm tối đa khi ≥ {threshold}, dưới ngưỡng tính tuyến tính: "
              "min(1; {value} ÷ {threshold}) × {weight} = {points}/{weight} điểm "
              "(mất {lost} điểm; nhóm {group}: {group_max} điểm)",
    "no_data": "Không có dữ liệu ({why}): không tính điểm, không coi là 0",
    "why.absent": "chưa thu thập được số \"{name}\" trong kỳ",
    "why.zero": "số \"{name}\" trong kỳ bằng 0",
    "not_scored.2.2": "Không chấm điểm: cần thời hạn giải quyết theo quy định của từng thủ tục, "
                      "dữ liệu trung tâm gửi không có; trung tâm chỉ gửi tổng thời gian của mọi "
                      "thủ tục nên đây là trung bình chung, không theo từng thủ tục",
    "note.2.1": "Theo quy định, mẫu số là hồ sơ tiếp nhận và hồ sơ đang trong hạn được tính "
                "đúng hạn; bộ đếm của trung tâm không theo dõi từng hồ sơ nên ở đây tính trên "
                "hồ sơ đã giải quyết trong kỳ. Điểm cả nhóm 2 thuộc chỉ số này (2.2 không chấm)",
    "note.5.4": "Ước tính: chưa có số liệu khảo sát hài lòng, công thức dùng trễ hạn và "
                "phản ánh",
    "estimated": "(ước tính)",
    "estimate.5.4": "chưa có khảo sát hài lòng nên ước tính bằng 100 % − (tỉ lệ trễ hạn + tỉ "
                    "lệ phản ánh, kiến nghị), từ hồ sơ đã giải quyết trong kỳ",
}

_EN: dict[str, str] = {
    "name.1.4": "Dossiers synchronised to the National Portal",
    "name.2.1": "On-time rate",
    "name.2.2": "Average resolution time",
    "name.3.3": "Online submission rate",
    "name.3.6": "Online payment rate",
    "name.4.1": "Dossiers with an electronic result",
    "name.4.2": "Dossiers digitised",
    "name.5.4": "Satisfaction",
    "formula.1.4": "dossiers synced ÷ dossiers received",
    "formula.2.1": "(resolved on time − dossiers with more than one supplement request) ÷ "
                   "dossiers resolved",
    "formula.2.2": "total time from reception to result ÷ dossiers resolved",
    "formula.3.3": "dossiers submitted online ÷ dossiers received",
    "formula.3.6": "dossiers paid online ÷ fee-bearing dossiers",
    "formula.4.1": "dossiers with an electronic result ÷ dossiers resolved",
    "formula.4.2": "dossiers digitised ÷ dossiers received",
    "formula.5.4": "100% − (late rate + complaint rate); late rate = 100% − indicator 2.1, "
                   "complaint rate = complaints ÷ dossiers resolved",
    "inputs": "Period figures",
    "in.dossiers_received_total": "received",
    "in.sync_synced_total": "synced",
    "in.dossiers_resolved_total": "resolved",
    "in.dossiers_resolved_on_time_total": "on time",
    "in.dossiers_resolved_late_total": "late",
    "in.dossiers_supplement_multi_total": "more than one supplement request",
    "in.dossiers_resolution_seconds_total": "total resolution seconds",
    "in.dossiers_online_total": "online",
    "in.dossiers_fee_bearing_total": "fee-bearing",
    "in.dossiers_paid_online_total": "paid online",
    "in.dossiers_e_result_total": "electronic result",
    "in.dossiers_digitised_total": "digitised",
    "in.dossiers_complaints_total": "complaints",
    "value": "Result = {value}",
    "points": "Full marks at ≥ {threshold}, linear below: "
              "min(1, {value} ÷ {threshold}) × {weight} = {points}/{weight} points "
              "({lost} lost; group {group}: {group_max} points)",
    "no_data": "No data ({why}): not scored, never counted as 0",
    "why.absent": "no \"{name}\" figure was collected in the period",
    "why.zero": "\"{name}\" is 0 in the period",
    "not_scored.2.2": "Not scored: it needs each procedure's legal deadline, which centres do "
                      "not send; centres send one total over all procedures, so this is an "
                      "overall average, not per procedure",
    "note.2.1": "The official note divides by dossiers received and counts open dossiers "
                "within their deadline as on time; centres' counters do not follow single "
                "dossiers, so this uses the dossiers resolved in the period. Group 2's points "
                "all go to this indicator (2.2 is not scored)",
    "note.5.4": "Estimated: no satisfaction survey is collected, the formula uses lateness "
                "and complaints",
    "estimated": "(estimated)",
    "estimate.5.4": "no satisfaction survey is collected, so it is estimated as 100% − (late "
                    "rate + complaint rate), over the dossiers resolved in the period",
}

WORDS: dict[str, dict[str, str]] = {"vi": _VI, "en": _EN}
