"""The briefing as a Word document (dashboard.views.briefing_docx), from the hand-made Huế morning:
opened back with python-docx, its letterhead, numbering, tables and figures."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import polars as pl
from docx import Document

from config.settings import Settings
from dashboard import i18n
from dashboard.views import briefing_docx as bd
from dashboard.views import report
from metrics import compare as cmp
from tests.fixtures import briefing_day as day

TZ = "Asia/Ho_Chi_Minh"
VI, EN = i18n.text("vi"), i18n.text("en")
HEAD = bd.Letterhead("UBND Thành phố Huế", "IOC Thành phố Huế", "Huế")
HOSTILE = '<w:p>"x"</w:p> & Xã </w:t>'


def with_week(b):
    """The morning with last week's figures: every centre then, 33 of them with one dossier
    fewer received (1,250), the same resolved (382)."""
    now = b.counts.select("id", "received", "resolved").unpivot(index="id")
    now_inc = now.select(pl.col("id").alias("centre_id"),
                         pl.col("variable").replace(cmp.COMPARED).alias("metric"),
                         pl.lit("").alias("label"), pl.col("value").cast(pl.Float64)
                         .alias("increase"))
    fewer = pl.int_range(pl.len()).over("metric") < 33
    then_inc = now_inc.sort("centre_id").with_columns(
        pl.when(fewer & (pl.col("metric") == cmp.COMPARED["received"]))
        .then(pl.col("increase") - 1).otherwise(pl.col("increase")).alias("increase"))
    week = cmp.compare(cmp.side(now_inc, b.at), cmp.side(then_inc, b.at - timedelta(days=7)),
                       b.centres)
    return replace(b, week=week)


def opened(b, tr=VI, head=HEAD, builders=None):
    return Document(io.BytesIO(bd.docx_bytes(b, tr, TZ, head, builders)))


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs] + [p.text for t in doc.tables for r in t.rows
                                               for c in r.cells for p in c.paragraphs]


def headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def test_docx_is_a_vietnamese_administrative_report():
    doc = opened(with_week(day.briefing()))
    head = rows(doc.tables[0])[0]
    assert head[0].split("\n") == ["UBND THÀNH PHỐ HUẾ", "IOC THÀNH PHỐ HUẾ", "Số:       /BC-IOC"]
    assert head[1].split("\n") == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                   "Độc lập - Tự do - Hạnh phúc"]
    paras = [p.text for p in doc.paragraphs]
    assert paras[:3] == ["Huế, ngày 03 tháng 7 năm 2025", "BÁO CÁO",
                         "Tình hình hoạt động các Trung tâm Phục vụ hành chính công\n"
                         "(giao ban lúc 10:00 ngày 03/07/2025)"]
    assert headings(doc) == [
        "I. TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ", "1. Số liệu chung",
        "2. Trung tâm dẫn đầu", "3. So với cùng thời điểm tuần trước",
        "4. Số liệu theo trung tâm", "II. TÌNH HÌNH VẬN HÀNH HỆ THỐNG",
        "1. Trung tâm cần chú ý", "2. Sự cố mất kết nối từ 08:00 03/07/2025",
        "3. Cảnh báo từ 08:00 03/07/2025"]
    assert report.summary(with_week(day.briefing()), VI, TZ) in paras
    sign = rows(doc.tables[-1])[0]
    assert sign[0].split("\n") == ["Nơi nhận:", "- Lãnh đạo UBND Thành phố Huế;", "- Lưu: VT."]
    assert sign[1].split("\n")[:2] == ["NGƯỜI LẬP BÁO CÁO", "(Ký, ghi rõ họ tên)"]
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30
    for name in ("Normal", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.rFonts
        assert doc.styles[name].font.name == "Times New Roman", name
        assert not [a for a in fonts.attrib if "Theme" in a or "theme" in a], name


def test_docx_tables_carry_the_briefings_figures_written_vietnamese_style():
    b = with_week(day.briefing())
    tables = [rows(t) for t in opened(b).tables]
    assert ["Chỉ tiêu", "Số hồ sơ"] in [t[0] for t in tables]
    totals = next(t for t in tables if t[0] == ["Chỉ tiêu", "Số hồ sơ"])
    assert totals[1:3] == [["Hồ sơ tiếp nhận", "1.283"], ["Đã giải quyết", "382"]]
    screen = report.centre_screen(b, VI)
    centre_rows = [list(screen.columns)] + [["—" if v is None else v for v in r]
                                            for r in screen.iter_rows()]
    assert centre_rows in tables
    assert centre_rows[-1][:3] == ["Tổng cộng", "1.283", "382"]
    week = next(t for t in tables if t[0][0] == "Chỉ tiêu" and len(t[0]) == 4)
    assert week[1:] == [["Hồ sơ tiếp nhận", "1.283", "1.250", "+33 (+2,6 %)"],
                        ["Hồ sơ đã giải quyết", "382", "382", "0 (0,0 %)"]]
    leaders = next(t for t in tables if t[0] == ["Trung tâm", "Tiếp nhận"])
    assert leaders[1:] == [["Phường Phú Xuân", "151"], ["Xã Quảng Điền", "151"]]


def test_docx_in_english_has_no_vietnamese_fixed_words():
    doc = opened(with_week(day.briefing()), EN,
                 bd.Letterhead("People's Committee of Huế", "Huế IOC", "Huế"))
    words = "\n".join(texts(doc))
    for line in ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness",
                 "Huế, 3 July 2025", "REPORT", "I. DOSSIERS RECEIVED AND RESOLVED",
                 "II. SYSTEMS IN OPERATION", "Recipients:", "PREPARED BY", "1,283",
                 "1,250", "+33 (+2.6%)"):
        assert line in words, line
    for word in ("CỘNG HÒA", "ngày", "tháng", "Tổng cộng", "Nơi nhận", "Chỉ tiêu", "1.283"):
        assert word not in words, word


def test_docx_keeps_an_untrusted_centre_name_as_text():
    doc = opened(day.briefing(HOSTILE))
    assert any(HOSTILE in t for t in texts(doc))  # read back verbatim, no markup made


def test_an_added_section_is_numbered_after_the_others():
    def actions(b, tr, tz):
        return bd.Section("Theo dõi xử lý", ("Mở 2, đóng 1, quá hạn 0.",
                                             bd.Table(pl.DataFrame({"Việc": ["Thay modem"]}))))

    doc = opened(day.briefing(), builders=[*bd.SECTIONS, actions, lambda b, tr, tz: None])
    assert headings(doc)[-1] == "III. THEO DÕI XỬ LÝ"
    assert "Mở 2, đóng 1, quá hạn 0." in [p.text for p in doc.paragraphs]
    assert [["Việc"], ["Thay modem"]] in [rows(t) for t in doc.tables]
    assert [s.title for s in bd.outline(day.briefing(), VI, TZ)] == [
        "Tình hình tiếp nhận, giải quyết hồ sơ", "Tình hình vận hành hệ thống"]


def test_place_and_date_follow_the_decree():
    jan = datetime(2026, 1, 4, 3, tzinfo=UTC)
    assert bd.place_date(jan, "Huế", VI, TZ) == "Huế, ngày 04 tháng 01 năm 2026"
    assert bd.place_date(jan.replace(month=12), "Huế", VI, TZ) == "Huế, ngày 04 tháng 12 năm 2026"
    assert bd.place_date(jan, None, VI, TZ) == "……………, ngày 04 tháng 01 năm 2026"
    assert bd.place_date(jan, "Huế", EN, TZ) == "Huế, 4 January 2026"


def test_letterhead_from_the_deployment():
    hue = Settings.model_validate({"deployment": {"name": "IOC Huế", "province": 46}})
    assert bd.letterhead(hue, VI) == bd.Letterhead("UBND Thành phố Huế", "IOC Huế", "Huế")
    named = Settings.model_validate({"deployment": {
        "name": "IOC Huế", "province": 46, "organisation": "Sở KH&CN Huế", "place": "TP. Huế"}})
    assert bd.letterhead(named, VI) == bd.Letterhead("Sở KH&CN Huế", "IOC Huế", "TP. Huế")
    whole = Settings.model_validate({"deployment": {"name": "IOC", "scope": "national"}})
    assert bd.letterhead(whole, VI) == bd.Letterhead(None, "IOC", None)
    doc = opened(day.briefing(), head=bd.letterhead(whole, VI))
    assert rows(doc.tables[0])[0][0].split("\n") == ["IOC", "Số:       /BC-IOC"]


def test_html_report_shows_the_week_and_what_it_lacks():
    b = with_week(day.briefing())
    page = report.html_report(b, VI, TZ, "IOC Huế")
    assert "<h2>So với cùng thời điểm tuần trước</h2>" in page
    assert "<td>+33 (+2,6 %)</td>" in page
    lacking = replace(b, week=cmp.compare(b.week.now, replace(b.week.then, centres=frozenset(),
                                                              totals={"received": None,
                                                                      "resolved": None}),
                                          b.centres))
    page = report.html_report(lacking, VI, TZ, "IOC Huế")
    assert "Không có số liệu tuần trước (26/06/2025)" in page
    assert "<td>—</td><td>—</td></tr>" in page


def test_docx_of_a_period_says_from_which_day():
    b = replace(day.briefing(), day_start=day.DAY_START - timedelta(days=2))
    paras = [p.text for p in opened(b).paragraphs]
    assert ("Số liệu hồ sơ tính từ 00:00 ngày 01/07/2025 đến 10:00 ngày 03/07/2025; sự cố và "
            "cảnh báo tính từ cuộc giao ban lúc 08:00 03/07/2025.") in paras
