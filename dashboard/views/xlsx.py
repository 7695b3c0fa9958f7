"""Tables as Excel workbooks (pure: a polars frame in, .xlsx bytes out), next to every CSV.

Numbers stay numbers (numeric cells with a number format from `fmt.XLSX_FORMATS`), text
stays text (written as strings, never read as a formula, diacritics intact), missing
values are empty cells, headers are the page's own words.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import polars as pl
import xlsxwriter

from dashboard.views import fmt

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_WIDTH = 60  # characters: a long cause wraps in Excel rather than pushing columns away


def workbook(sheets: Mapping[str, pl.DataFrame],
             formats: Mapping[str, str] | None = None) -> bytes:
    """One sheet per (name, frame), in order. `formats` names a column's kind in
    `fmt.XLSX_FORMATS` ("count", "decimal", "percent"); other numeric columns are counts
    when integer-typed, decimals otherwise."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    head = book.add_format({"bold": True, "bg_color": "#E8E8E8", "text_wrap": True})
    styles = {kind: book.add_format({"num_format": code})
              for kind, code in fmt.XLSX_FORMATS.items()}
    for title, frame in sheets.items():
        sheet = book.add_worksheet(_sheet_name(title))
        for col, name in enumerate(frame.columns):
            sheet.write_string(0, col, name, head)
            dtype = frame.schema[name]
            kind = (formats or {}).get(name) or (
                "count" if dtype.is_integer() else "decimal" if dtype.is_numeric() else None)
            width = len(name)
            for row, value in enumerate(frame[name].to_list(), start=1):
                if value is None:
                    continue
                if kind is not None and isinstance(value, int | float):
                    sheet.write_number(row, col, value, styles[kind])
                    width = max(width, 10)
                else:
                    text = str(value)
                    sheet.write_string(row, col, text)
                    width = max(width, len(text))
            sheet.set_column(col, col, min(MAX_WIDTH, width + 2))
        sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def _sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Sheet"
