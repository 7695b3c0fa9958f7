"""Numbers typed and shown the Vietnamese way; CSV and Excel exports (pure)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import polars as pl
import pytest

from dashboard import i18n
from dashboard.views import finder as finder_view
from dashboard.views import fmt, report, xlsx
from tests.fixtures import briefing_day as day
from tests.unit.test_finder_view import RULES, table

VI, EN = i18n.text("vi"), i18n.text("en")


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("1.234,5", "vi", 1234.5), ("92,5", "vi", 92.5), ("92.5", "vi", 92.5), ("1.234", "vi", 1234),
    (" 30 ", "vi", 30), ("75 %", "vi", 75), ("1,234.5", "en", 1234.5), ("0.35", "en", 0.35),
])
def test_parse_number_reads_numbers_as_people_type_them(text, lang, value):
    assert fmt.parse_number(text, lang) == value


@pytest.mark.parametrize("text", ["", "abc", "1.23.4", "1,2,3", "1.2,3,4", ",", "12.34,5"])
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        fmt.parse_number(text, "vi")


def test_texts_writes_a_frames_numbers_for_the_language_and_dashes_for_none():
    frame = pl.DataFrame({"n": [1234.5, None], "r": [0.951, 1.0], "s": ["a", "b"]})
    shown = fmt.texts(frame, "vi", {"n": 1}, {"r": 1})
    assert shown.rows() == [("1.234,5", "95,1 %", "a"), ("—", "100,0 %", "b")]
    assert fmt.texts(frame, "en", {"n": 1}).row(0) == ("1,234.5", 0.951, "a")


def test_vietnamese_csv_uses_semicolons_and_a_decimal_comma_english_commas_and_dots():
    frame = pl.DataFrame({"Trung tâm": ["Xã Bình Điền", "=cmd"], "Tỉ lệ": [0.9512, None],
                          "Số": [1234, 5]})
    vi = fmt.csv_bytes(frame, "vi").decode("utf-8")
    assert vi.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(vi[1:]), delimiter=";")) == [
        ["Trung tâm", "Tỉ lệ", "Số"], ["Xã Bình Điền", "0,9512", "1234"], ["'=cmd", "", "5"]]
    en = fmt.csv_bytes(frame, "en").decode("utf-8")[1:]
    assert list(csv.reader(io.StringIO(en)))[1] == ["Xã Bình Điền", "0.9512", "1234"]


def cells(data: bytes, sheet: int = 1) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """(cell ref → (type, raw value), shared strings) of one sheet of an .xlsx."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(f"xl/worksheets/sheet{sheet}.xml").decode("utf-8")
        shared = re.findall(r"<t[^>]*>([^<]*)</t>", z.read("xl/sharedStrings.xml").decode())
    found = {ref: (kind or "n", value) for ref, kind, value in re.findall(
        r'<c r="([A-Z]+\d+)"[^>]*?(?: t="(\w+)")?[^>]*><v>([^<]*)</v></c>', xml)}
    return found, shared


def test_finder_xlsx_keeps_numbers_as_numbers_and_diacritics_intact():
    shown = finder_view.display_table(table(), RULES, VI)
    data = finder_view.xlsx_bytes(shown, VI)
    found, shared = cells(data)
    headers = [shared[int(found[f"{c}1"][1])] for c in "ABCDEFGHIJKLM" if f"{c}1" in found]
    # the link column is for the screen only
    assert headers[:4] == ["Mã", "Trung tâm", "Tỉnh/thành phố", "Loại"]
    rate = headers.index("Tỉ lệ đúng hạn hôm nay (%)")
    col = "ABCDEFGHIJKLM"[rate]
    assert found[f"{col}2"] == ("n", "75")  # a numeric cell, not the text "75,0"
    assert "Xã Bình Điền" in shared


def test_briefing_xlsx_has_the_centres_figures_as_numbers_and_the_rate_as_a_percentage():
    data = report.xlsx_bytes(day.briefing(), VI, "Asia/Ho_Chi_Minh")
    found, shared = cells(data)
    assert shared[int(found["A1"][1])] == "Trung tâm" and found["B2"][0] == "n"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        styles = z.read("xl/styles.xml").decode()
    assert names[0] == "Số liệu theo trung tâm" and len(names) == 4
    assert 'formatCode="0.0%"' in styles and 'formatCode="#,##0"' in styles


def test_workbook_writes_text_that_looks_like_a_formula_as_text():
    data = xlsx.workbook({"a": pl.DataFrame({"x": ["=1+1"], "y": [None]}, schema={
        "x": pl.String, "y": pl.Float64})})
    found, shared = cells(data)
    assert found["A2"][0] == "s" and shared[int(found["A2"][1])] == "=1+1"
    assert "B2" not in found  # a missing value is an empty cell, never 0
