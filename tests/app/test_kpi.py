"""The Decision 766 KPI page through AppTest, against the seeded Huế store."""

from __future__ import annotations

from datetime import date

from dashboard.views import fmt
from tests.fixtures.personas import PERSONAS, UNREACHABLE

KPI = "app_pages/kpi.py"
BRIEFING_AT = "2025-07-03T10:00"


def total(seeded, metric: str) -> float:
    ts = seeded.end.timestamp()
    return sum(s.value for cid, p in seeded.personas.items() if p != UNREACHABLE
               for s in PERSONAS[p](cid, ts).samples if s.metric == metric)


def test_kpi_page_scores_the_province_with_rules_shown(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), KPI, at=BRIEFING_AT)
    assert not at.exception
    synced = total(seeded, "sync_synced_total")
    received = total(seeded, "dossiers_received_total")
    indicators = at.dataframe[0].value
    row = indicators[indicators["Chỉ số"] == "1.4"].iloc[0]
    assert row["Kết quả"] == fmt.percent(synced / received)
    assert indicators[indicators["Chỉ số"] == "2.2"].iloc[0]["Điểm"] == "không chấm điểm"
    rules = " ".join(t.value for t in at.text)
    assert f"đã đồng bộ = {fmt.number(synced)}; tiếp nhận = {fmt.number(received)}" in rules
    assert "Đạt điểm tối đa khi ≥ 50 %" in rules  # 3.3's threshold
    assert "Tổng điểm" in {m.label for m in at.metric}


def test_kpi_page_shows_no_data_for_unreachable_centres_not_zero(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), KPI, at=BRIEFING_AT)
    communes = at.dataframe[1].value
    names = {c.id: c.name for c in seeded.centres}
    down = communes[communes["Trung tâm"] == names[seeded.ids(UNREACHABLE)[0]]].iloc[0]
    assert down["1.4"] == "không có dữ liệu"
    assert down["Nhóm 1"] == "không có dữ liệu"
    assert down["Tổng điểm"] == "—"  # no data, never 0 (numbers are written as text: "87,5")


def test_kpi_page_explains_a_chosen_centre(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), KPI, at=BRIEFING_AT)
    centre = seeded.ids(UNREACHABLE)[0]
    at.selectbox(key="kpi-centre").set_value(centre).run()
    assert not at.exception
    chosen = at.dataframe[2].value  # the chosen centre's indicators
    assert set(chosen["Kết quả"]) == {"không có dữ liệu"}
    rules = at.text[-1].value
    assert rules.count("Không có dữ liệu (chưa thu thập được số") == 8


def test_kpi_page_custom_and_month_periods(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), KPI, at=BRIEFING_AT)
    at.radio(key="kpi-period").set_value("month").run()
    assert not at.exception
    assert any("Từ 00:00 01/07/2025 đến 10:00 03/07/2025" in c.value for c in at.caption)
    at.radio(key="kpi-period").set_value("custom").run()
    at.date_input(key="kpi-range").set_value((date(2025, 7, 1), date(2025, 7, 2))).run()
    assert not at.exception
    # Nothing was collected on 1–2 July: every indicator says so.
    assert set(at.dataframe[0].value["Kết quả"]) == {"không có dữ liệu"}


def test_kpi_page_speaks_english(seeded_store, page):
    at = page(seeded_store().store.engine.url.render_as_string(), KPI, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert "Total score" in {m.label for m in at.metric}
    assert "Indicator" in at.dataframe[0].value.columns
    assert any("Full marks at ≥ 80%" in t.value for t in at.text)


def test_kpi_page_explains_its_two_on_time_rates_and_marks_the_estimate(seeded_store, page):
    """2.1 and the wall's on-time rate, both for the period, with why they differ; 5.4 is
    named "(ước tính)" with its rule, in the table and on group 5's tile."""
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), KPI, at=BRIEFING_AT)
    assert not at.exception
    resolved = total(seeded, "dossiers_resolved_total")
    late = total(seeded, "dossiers_resolved_late_total")
    on_time = total(seeded, "dossiers_resolved_on_time_total")
    multi = total(seeded, "dossiers_supplement_multi_total")
    captions = [c.value for c in at.caption]
    (note,) = [c for c in captions if c.startswith("Chỉ số 2.1")]
    assert note.startswith(f"Chỉ số 2.1 ({fmt.percent((on_time - multi) / resolved)})")
    assert f"{fmt.number(multi)} hồ sơ bổ sung quá một lần tính là trễ hạn" in note
    assert note.endswith(f"là {fmt.percent((resolved - late) / resolved)}.")
    assert any(c.startswith("(ước tính) 5.4 Mức độ hài lòng: chưa có khảo sát") for c in captions)
    indicators = at.dataframe[0].value
    assert indicators[indicators["Chỉ số"] == "5.4"].iloc[0]["Nội dung"] == (
        "Mức độ hài lòng (ước tính)")
    assert "Nhóm 5 · Mức độ hài lòng (ước tính)" in {m.label for m in at.metric}
    assert "5.4 (ước tính)" in at.dataframe[1].value.columns
