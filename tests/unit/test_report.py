"""The briefing in words and files (dashboard.views.report): the paragraph, HTML, CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from dashboard import i18n
from dashboard.views import report
from metrics import briefing as br
from tests.fixtures import briefing_day as day

TZ = "Asia/Ho_Chi_Minh"
VI, EN = i18n.text("vi"), i18n.text("en")
HOSTILE = '<script>alert("x")</script> & Xã "Ác"'


def test_report_summary_states_the_huế_10_00_briefing_like_the_news():
    text = report.summary(day.briefing(), VI, TZ)
    assert text.startswith(
        "Tính đến 10:00 ngày 03/07/2025, 40 Trung tâm Phục vụ hành chính công cấp xã đã tiếp "
        "nhận 1.283 hồ sơ, trong đó đã giải quyết 382 hồ sơ.")
    assert "Tiếp nhận nhiều nhất: phường Phú Xuân (151) và xã Quảng Điền (151)." in text
    assert "Giải quyết nhiều nhất: xã Quảng Điền (61) và phường Hương An (36)." in text
    assert ("Chủ yếu là các thủ tục: chứng thực bản sao, đăng ký kinh doanh, chấm dứt hoạt động "
            "hộ kinh doanh, đăng ký khai tử, cấp giấy chứng nhận quyền sử dụng đất.") in text
    assert ("Từ cuộc giao ban lúc 08:00 có 2 sự cố mất kết nối tại 2 trung tâm, 1 trung tâm "
            "chưa khắc phục.") in text


def test_report_summary_in_english():
    text = report.summary(day.briefing(), EN, TZ)
    assert text.startswith("As of 10:00 on 03/07/2025, the 40 commune Public Administration "
                           "Service Centres had received 1,283 dossiers, of which 382 were "
                           "resolved.")
    assert "Most received: Phường Phú Xuân (151) and Xã Quảng Điền (151)." in text


def test_report_summary_says_no_data_rather_than_zero():
    b = day.briefing()
    empty = b.counts.with_columns(*(b.counts[c].clear(b.counts.height).alias(c)
                                    for c in report.COUNT_COLUMNS))
    silent = replace(b, counts=empty, totals=br.totals(empty), procedures=[],
                     top_received=b.top_received.clear(), top_resolved=b.top_resolved.clear())
    text = report.summary(silent, VI, TZ)
    assert "chưa thu thập được số liệu hồ sơ" in text and " 0 hồ sơ" not in text


def test_report_html_escapes_a_hostile_centre_name_and_prints_cleanly():
    page = report.html_report(day.briefing(HOSTILE), VI, TZ, "IOC <Huế>")
    assert "<script>" not in page and "alert(\"x\")" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Xã &quot;Ác&quot;" in page
    assert "IOC &lt;Huế&gt;" in page
    assert "@media print" in page and '<html lang="vi">' in page
    assert "http" not in page  # self-contained: no font, stylesheet or script to fetch
    assert "1.283" in page and "Tổng cộng" in page
    assert "Xã Số 37" in page and "chưa khắc phục" in page  # the ongoing incident


def test_report_csv_is_utf8_with_bom_and_defuses_formulas():
    data = report.csv_bytes(day.briefing("=HYPERLINK(\"http://x\")"), VI)
    assert data.startswith("\ufeff".encode())
    # Vietnamese: ";" between fields, a decimal comma (Excel in a Vietnamese locale).
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Trung tâm", "Tiếp nhận", "Đã giải quyết", "Đúng hạn", "Trễ hạn",
                       "Trả lại", "Tỉ lệ đúng hạn"]
    assert rows[-1][:3] == ["Tổng cộng", "1283", "382"]
    assert all("." not in r[-1] for r in rows[1:]) and any("," in r[-1] for r in rows[1:])
    names = [r[0] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert "Phường Phú Xuân" not in names


def test_report_incident_table_says_when_it_began_before_the_window():
    table = report.incident_table(day.briefing(), VI, TZ)
    assert table.columns == ["Trung tâm", "Bắt đầu", "Kết thúc", "Thời gian", "Nguyên nhân"]
    rows = {r[0]: r for r in table.rows()}
    assert rows["Phường Hương An"][1:4] == ("09:00", "09:20", "20 phút")
    assert rows["Xã Số 37"][2] == "chưa khắc phục"
    assert rows["Xã Số 37"][4] == "không phản hồi — no answer within 3.0 s"
