"""The finder's display table and CSV export (pure)."""

from __future__ import annotations

import csv
import io

import polars as pl

from dashboard import i18n
from dashboard.views import finder as finder_view
from metrics import queries as q
from metrics.lagging import Rule, evaluate

RULES = [Rule("sync_lag_s", "above", 1800), Rule("on_time_rate_today", "below", 0.9)]


def table() -> pl.DataFrame:
    rows = pl.DataFrame({
        "id": ["20035"], "name": ["Xã Bình Điền"], "province_code": [46],
        "province_name": ["Thành phố Huế"], "kind": ["xã"], "status": [q.DEGRADED],
        "on_time_rate_today": [0.75], "availability_24h": [1.0], "unknown_24h_s": [720.0],
        "sync_lag_s": [10_800.0], "otp_p95_s": [140.0], "overdue": [2.0], "unsynced": [30.0]})
    return evaluate(rows, RULES)


def test_display_table_states_broken_rules_with_values_in_vietnamese():
    tr = i18n.text("vi")
    shown = finder_view.display_table(table(), RULES, tr)
    assert shown["Vi phạm quy tắc"][0] == ("Trễ đồng bộ 180 phút (trên 30 phút); "
                                           "Tỉ lệ đúng hạn hôm nay 75,0 % (dưới 90,0 %)")
    assert shown["Tỉ lệ đúng hạn hôm nay (%)"][0] == 75.0  # a number: the column sorts right
    assert shown["Trạng thái"][0] == "Suy giảm"
    assert shown["Không có dữ liệu 24 giờ (phút)"][0] == 12.0  # 720 s, apart from the 100 %
    assert shown["Chi tiết"][0] == "commune?centre=20035&lang=vi"


def test_csv_starts_with_a_bom_and_keeps_vietnamese_when_exported():
    tr = i18n.text("vi")
    data = finder_view.csv_bytes(finder_view.display_table(table(), RULES, tr), tr)
    assert data.startswith(b"\xef\xbb\xbf")
    reader = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert reader[0]["Trung tâm"] == "Xã Bình Điền"
    assert reader[0]["Tỉ lệ đúng hạn hôm nay (%)"] == "75,0"  # a decimal comma
    assert "Chi tiết" not in reader[0]  # the link column is for the screen only


def test_rule_text_uses_the_configured_label_when_given():
    tr = i18n.text("en")
    assert finder_view.rule_text(Rule("overdue", "above", 5, "Quá hạn nhiều"), tr) == (
        "Quá hạn nhiều above 5 dossiers")
    assert finder_view.rule_text(Rule("availability_24h", "below", 0.95), tr) == (
        "Availability 24 h below 95.0%")
