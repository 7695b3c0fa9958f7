"""Decision 766 indicators (metrics.kpi) against hand-computed examples."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from dashboard import i18n
from dashboard.loaders import kpi as data_kpi
from dashboard.views import kpi_tables
from metrics import kpi
from metrics import queries as q
from metrics.store.records import CENTRE_SCHEMA, SAMPLE_SCHEMA, frame

A_DAY = {
    "dossiers_received_total": 100, "sync_synced_total": 90, "dossiers_resolved_total": 40,
    "dossiers_resolved_on_time_total": 38, "dossiers_resolved_late_total": 2,
    "dossiers_supplement_multi_total": 1, "dossiers_resolution_seconds_total": 40 * 2 * 86_400,
    "dossiers_online_total": 30, "dossiers_fee_bearing_total": 0,
    "dossiers_paid_online_total": 0, "dossiers_e_result_total": 30,
    "dossiers_digitised_total": 85, "dossiers_complaints_total": 1,
}


def test_kpi_scores_match_a_hand_computed_day():
    card = kpi.scorecard(A_DAY)
    s = card.scores
    # 1.4: 90 ÷ 100 = 90 %, threshold 100 %: 0.9 × 18 = 16.2
    assert s["1.4"].value == pytest.approx(0.9) and s["1.4"].points == pytest.approx(16.2)
    assert s["1.4"].lost == pytest.approx(1.8)
    # 2.1: (38 − 1) ÷ 40 = 92.5 %: 0.925 × 20 = 18.5 (2.2 is not scored, 2.1 carries 20)
    assert s["2.1"].value == pytest.approx(0.925) and s["2.1"].points == pytest.approx(18.5)
    # 2.2: 40 × 2 days ÷ 40 = 2 days; shown, not scored
    assert s["2.2"].value == pytest.approx(2 * 86_400)
    assert (s["2.2"].status, s["2.2"].points, s["2.2"].max_points) == (kpi.NOT_SCORED, None, 0)
    # 3.3: 30 % of a 50 % threshold: 0.6 × 11 = 6.6
    assert s["3.3"].points == pytest.approx(6.6) and s["3.3"].max_points == 11
    # 3.6: no fee-bearing dossier: no data, not 0 and not 11
    assert (s["3.6"].status, s["3.6"].value, s["3.6"].points) == (kpi.NO_DATA, None, None)
    # 4.1: 30 ÷ 40 = 75 % × 11 = 8.25; 4.2: 85 % ≥ 80 %: full 11
    assert s["4.1"].points == pytest.approx(8.25)
    assert s["4.2"].points == pytest.approx(11) and s["4.2"].lost == 0
    # 5.4: 100 % − (7.5 % late + 2.5 % complaints) = 90 % ≥ 90 %: full 18
    assert s["5.4"].value == pytest.approx(0.9) and s["5.4"].points == pytest.approx(18)
    g = card.groups
    assert g[1].points == pytest.approx(16.2) and g[2].points == pytest.approx(18.5)
    assert (g[3].points, g[3].assessed, g[3].max_points) == (pytest.approx(6.6), 11, 22)
    assert g[4].points == pytest.approx(19.25) and g[5].points == pytest.approx(18)
    assert card.total == pytest.approx(78.55) and card.assessed == 89


@pytest.mark.parametrize(("on_time", "multi", "rate", "points"), [
    (10, 0, 1.0, 20.0),
    (10, 3, 0.7, 14.0),  # more than one supplement request counts as late
    (2, 5, 0.0, 0.0),  # never below 0
])
def test_kpi_on_time_counts_multiple_supplement_requests_as_late(on_time, multi, rate, points):
    x = {"dossiers_resolved_total": 10, "dossiers_resolved_on_time_total": on_time,
         "dossiers_supplement_multi_total": multi, "dossiers_complaints_total": 0}
    s = kpi.scorecard(x).scores
    assert s["2.1"].value == pytest.approx(rate) and s["2.1"].points == pytest.approx(points)
    assert s["5.4"].value == pytest.approx(rate)  # late rate = 1 − 2.1, no complaint


@pytest.mark.parametrize(("online", "points"), [(0, 0.0), (25, 5.5), (50, 11.0), (80, 11.0)])
def test_kpi_online_submission_is_linear_below_fifty_percent(online, points):
    x = {"dossiers_received_total": 100, "dossiers_online_total": online}
    assert kpi.scorecard(x).scores["3.3"].points == pytest.approx(points)


def test_kpi_sync_rate_never_exceeds_full_marks():
    s = kpi.scorecard({"dossiers_received_total": 100, "sync_synced_total": 110}).scores["1.4"]
    assert s.value == 1.0 and s.points == 18


def test_kpi_says_no_data_when_no_dossiers_not_zero_or_full_marks():
    card = kpi.scorecard(dict.fromkeys(kpi.INPUTS, 0.0))
    assert all(s.status == kpi.NO_DATA and s.points is None for s in card.scores.values())
    assert all(g.points is None for g in card.groups.values())
    assert card.total is None and card.assessed == 0
    assert "bằng 0" in card.scores["1.4"].rule("vi")
    assert "is 0 in the period" in card.scores["1.4"].rule("en")


def test_kpi_says_no_data_when_nothing_was_collected():
    card = kpi.scorecard({})
    assert card.total is None
    assert card.scores["4.2"].missing == "dossiers_digitised_total"
    assert "chưa thu thập được" in card.scores["4.2"].rule("vi")


def test_kpi_rule_text_names_formula_inputs_threshold_and_points():
    s = kpi.scorecard(A_DAY).scores
    assert s["3.3"].rule("vi") == (
        "3.3 Tỉ lệ hồ sơ nộp trực tuyến: hồ sơ nộp trực tuyến ÷ hồ sơ tiếp nhận. Số liệu trong "
        "kỳ: nộp trực tuyến = 30; tiếp nhận = 100. Kết quả = 30 %. Đạt điểm tối đa khi ≥ 50 %, "
        "dưới ngưỡng tính tuyến tính: min(1; 30 % ÷ 50 %) × 11 = 6,60/11 điểm (mất 4,40 điểm; "
        "nhóm 3: 22 điểm).")
    assert "1,80 lost" not in s["1.4"].rule("en") and "1.80 lost" in s["1.4"].rule("en")
    assert "Not scored" in s["2.2"].rule("en") and "2 days" in s["2.2"].rule("en")


def _centres(*rows: tuple[str, str, int]) -> pl.DataFrame:
    return frame([(cid, name, "xã", prov, f"P{prov}", None, None, False)
                  for cid, name, prov in rows], CENTRE_SCHEMA)


def test_kpi_inputs_count_resets_and_sum_per_province():
    t0 = datetime(2025, 7, 2, 17, 0, tzinfo=UTC)  # local midnight of 3 July
    ms = int(t0.timestamp() * 1000)
    step = 3_600_000
    rows = [("a", "dossiers_received_total", "", ms + i * step, v)
            for i, v in enumerate([5, 10, 2, 4], start=1)]  # a reset after 10
    rows += [("a", "sync_synced_total", "", ms + step, 3.0),
             ("b", "dossiers_received_total", "", ms + step, 6.0)]
    samples = frame(rows, SAMPLE_SCHEMA)
    inc = q.increase(samples, t0, zero_start=True)
    centres = _centres(("a", "Xã A", 46), ("b", "Xã B", 46), ("c", "Xã C", 38))
    wide = kpi.inputs_wide(inc, centres)
    assert wide.filter(pl.col("id") == "a")["dossiers_received_total"][0] == 14
    assert wide.filter(pl.col("id") == "c")["dossiers_received_total"][0] is None
    prov = kpi.province_inputs(wide)
    hue = prov.filter(pl.col("province_code") == 46).row(0, named=True)
    assert (hue["dossiers_received_total"], hue["sync_synced_total"], hue["centres"]) == (20, 3, 2)
    other = prov.filter(pl.col("province_code") == 38).row(0, named=True)
    assert other["dossiers_received_total"] is None  # no centre sent it: no data, not 0
    cards, problems = kpi.scorecards(prov, "province_code")
    assert cards["46"].scores["1.4"].value == pytest.approx(3 / 20)
    assert cards["38"].total is None and problems == []


def test_kpi_drops_a_negative_increase_and_names_the_centre():
    wide = pl.DataFrame([{"id": "19753", **dict.fromkeys(kpi.INPUTS, 5.0)},
                         {"id": "19754", **dict.fromkeys(kpi.INPUTS, 5.0),
                          "dossiers_received_total": -3.0}])
    cards, problems = kpi.scorecards(wide, "id")
    assert cards["19753"].scores["1.4"].value == 1.0
    assert cards["19754"].scores["1.4"].status == kpi.NO_DATA
    assert problems == ["id 19754: dossiers_received_total = -3.0 over the period "
                        "(negative or NaN), ignored"]


def test_kpi_weights_share_each_group_among_scored_indicators():
    assert kpi.WEIGHTS == {"1.4": 18, "2.1": 20, "3.3": 11, "3.6": 11, "4.1": 11, "4.2": 11,
                           "5.4": 18}
    assert sum(kpi.WEIGHTS.values()) == 100


def test_kpi_periods_start_at_local_midnight():
    now = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # 10:00 in Huế
    tz = "Asia/Ho_Chi_Minh"
    start, end = data_kpi.period_bounds("today", now, tz)
    assert (start.isoformat(), end) == ("2025-07-03T00:00:00+07:00", now)
    start, _ = data_kpi.period_bounds("month", now, tz)
    assert start.isoformat() == "2025-07-01T00:00:00+07:00"
    start, end = data_kpi.period_bounds("custom", now, tz, (date(2025, 7, 2), date(2025, 6, 30)))
    assert (start.isoformat(), end.isoformat()) == ("2025-06-30T00:00:00+07:00",
                                                    "2025-07-03T00:00:00+07:00")
    with pytest.raises(ValueError, match="period: unknown kind 'year'"):
        data_kpi.period_bounds("year", now, tz)


def test_kpi_centre_table_sorts_lowest_total_first_and_keeps_no_data_apart():
    wide = pl.DataFrame([{"id": "a", "name": "Xã A", **A_DAY},
                         {"id": "b", "name": "<b>Xã B</b>", **dict.fromkeys(kpi.INPUTS)}],
                        schema_overrides=dict.fromkeys(kpi.INPUTS, pl.Float64))
    cards, _ = kpi.scorecards(wide, "id")
    table = kpi_tables.centre_table(wide, cards, i18n.text("vi"))
    assert table["Trung tâm"].to_list() == ["Xã A", "<b>Xã B</b>"]
    assert table["Tổng điểm"].to_list() == [round(kpi.scorecard(A_DAY).total, 1), None]
    assert table["Nhóm 3"].to_list() == ["6,6/22", "không có dữ liệu"]
    assert table["2.2"].to_list() == ["2 ngày", "không có dữ liệu"]


# --- figures say what they are ---------------------------------------------------------------

def test_an_estimated_indicator_says_so_in_its_name_rule_and_column_in_both_languages():
    s = kpi.scorecard(A_DAY).scores["5.4"]
    assert s.rule("vi").startswith("5.4 Mức độ hài lòng (ước tính): 100 % − (tỉ lệ trễ hạn")
    assert s.rule("en").startswith("5.4 Satisfaction (estimated): 100% − (late rate")
    assert kpi.estimate_rule("5.4", "vi") == (
        "(ước tính) 5.4 Mức độ hài lòng: chưa có khảo sát hài lòng nên ước tính bằng 100 % − "
        "(tỉ lệ trễ hạn + tỉ lệ phản ánh, kiến nghị), từ hồ sơ đã giải quyết trong kỳ")
    assert kpi.estimate_rule("2.1") is None  # measured, not estimated
    vi, en = i18n.text("vi"), i18n.text("en")
    assert kpi_tables.name("5.4", "vi") == "Mức độ hài lòng (ước tính)"
    assert kpi_tables.name("2.1", "vi") == "Tỉ lệ hồ sơ giải quyết đúng hạn"
    assert kpi_tables.code_label("5.4", "en") == "5.4 (estimated)"
    assert kpi_tables.group_label(5, vi) == "Nhóm 5 · Mức độ hài lòng (ước tính)"
    assert kpi_tables.group_label(2, en) == "Group 2 · Progress and results"


def test_the_on_time_note_gives_2_1_and_the_walls_rate_for_the_same_counters():
    # 2.1 = (38 − 1) ÷ 40 = 92,5 %; the wall's = (40 − 2) ÷ 40 = 95 %; 1 counted late by 2.1
    note = kpi_tables.on_time_note(A_DAY, kpi.scorecard(A_DAY), i18n.text("vi"))
    assert note.startswith("Chỉ số 2.1 (92,5 %) theo QĐ 766")
    assert "1 hồ sơ bổ sung quá một lần tính là trễ hạn" in note
    assert note.endswith("với số liệu của kỳ này là 95,0 %.")
    none = {**A_DAY, "dossiers_resolved_total": 0}
    assert "kỳ này là —" in kpi_tables.on_time_note(none, kpi.scorecard(none), i18n.text("vi"))


def test_the_walls_on_time_rate_is_plain_on_time_of_todays_counters():
    assert kpi.plain_on_time(40, 2) == pytest.approx(0.95)
    assert kpi.plain_on_time(0, 0) is None and kpi.plain_on_time(40, None) is None
