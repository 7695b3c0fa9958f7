"""The lagging-commune finder through Streamlit's AppTest, against a seeded SQLite store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.personas import LAGGING, UNREACHABLE

PAGE = "app_pages/finder.py"
BRIEFING_AT = "2025-07-03T10:00"
BROKEN = "Vi phạm quy tắc"
PROBLEMS = "Sự cố"
ON_TIME_RULE, AVAILABILITY_RULE = 0, 1  # config/ioc.yaml's service-level rules, in order


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """One seeded store for the module (every test here only reads it): its URL, personas."""
    from metrics.store import Store
    from tests.conftest import hue_centres
    from tests.fixtures.personas import seed

    url = f"sqlite:///{tmp_path_factory.mktemp('finder') / 'finder.db'}"
    with Store.open(url) as db:
        seeded = seed(db, hue_centres(), hours=6)
    return url, seeded.personas


def rows(at: AppTest):
    return at.dataframe[0].value


def by_id(at: AppTest, column: str = BROKEN) -> dict[str, str]:
    table = rows(at)
    return dict(zip(table["Mã"], table[column], strict=True))


def test_finder_lists_problems_worst_first_with_the_alert_rules_thresholds(seeded_url, page):
    url, personas = seeded_url
    at = page(url, PAGE, at=BRIEFING_AT)
    assert not at.exception and not at.error
    broken, problems = by_id(at), by_id(at, PROBLEMS)
    assert len(broken) == 40
    for cid, persona in personas.items():
        if persona == UNREACHABLE:
            assert broken[cid].startswith("Khả dụng 24 giờ 0,0 % (dưới 95,0 %)")
            assert problems[cid].startswith("ngừng từ")
        elif persona == LAGGING:  # sync 3 h behind, OTP p95 140 s: the alert rules' problems
            assert "trễ đồng bộ Cổng DVC (3 giờ)" in problems[cid]
            assert "OTP chậm (2 phút 20 giây)" in problems[cid]
        else:
            assert problems[cid] == "" and "Khả dụng" not in broken[cid]
    table = rows(at)
    down = [cid for cid, p in personas.items() if p == UNREACHABLE]
    assert set(table["Mã"].iloc[:len(down)]) == set(down)  # down now: first
    assert table["Chi tiết"].iloc[0] == f"commune?centre={table['Mã'].iloc[0]}&lang=vi"
    captions = " ".join(c.value for c in at.caption)
    assert "trung tâm có sự cố hoặc vi phạm quy tắc · đang hiện 40" in captions
    # The thresholds shown are config/alerts.yaml's, as the alerts use them.
    assert "OTP chậm (> 30 giây)" in captions and "trễ đồng bộ Cổng DVC (> 30 phút)" in captions
    labels = {b.label for b in at.get("download_button")}
    assert {"Tải CSV", "Tải Excel (.xlsx)"} <= labels, labels  # the Excel file beside the CSV


def test_finder_filters_by_type_name_and_lagging_when_filters_are_set(seeded_url, page):
    url, _ = seeded_url
    at = page(url, PAGE, at=BRIEFING_AT)
    at.multiselect(key="finder.kind").select("xã").run()
    assert set(rows(at)["Loại"]) == {"xã"}
    at.toggle(key="finder.only").set_value(True).run()
    assert all(b or p for b, p in zip(rows(at)[BROKEN], rows(at)[PROBLEMS], strict=True))
    at.text_input(key="finder.search").input("a luoi").run()
    assert all(n.startswith("Xã A Lưới") for n in rows(at)["Trung tâm"])
    at.text_input(key="finder.search").input("khong co xa nay").run()
    assert any("Không có trung tâm nào khớp" in i.value for i in at.info)


def test_finder_follows_service_thresholds_changed_in_the_page(seeded_url, page):
    url, personas = seeded_url
    down_id = sorted(c for c, p in personas.items() if p == UNREACHABLE)[0]
    at = page(url, PAGE, at=BRIEFING_AT)
    assert "Khả dụng" in by_id(at)[down_id]
    # Thresholds are typed the Vietnamese way (st.number_input knows only "95.5").
    box = f"finder.threshold.{AVAILABILITY_RULE}"
    assert at.text_input(key=box).value == "95,0"
    at.text_input(key=box).input("không phần trăm").run()
    assert "«không phần trăm» không phải là số" in at.error[0].value
    assert "Khả dụng" in by_id(at)[down_id]  # the configured threshold meanwhile
    at.text_input(key=box).input("0,0").run()  # %
    assert "Khả dụng" not in by_id(at)[down_id] and not at.error
    at.checkbox(key=f"finder.on.{ON_TIME_RULE}").uncheck().run()
    assert not any("Tỉ lệ đúng hạn" in b for b in by_id(at).values())
    assert by_id(at, PROBLEMS)[down_id].startswith("ngừng")  # problems are the alerts'
    # No alert threshold can be changed here: they are config/alerts.yaml's alone.
    assert len([t for t in at.text_input if t.key.startswith("finder.threshold.")]) == 2


def test_finder_speaks_english_when_asked(seeded_url, page):
    url, _ = seeded_url
    at = page(url, PAGE, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert at.title[0].value == "Find lagging centres"
    table = rows(at)
    assert "Rules broken" in table.columns
    assert table["Details"].iloc[0].endswith("&lang=en")


def test_finder_says_no_data_yet_when_the_store_is_empty(tmp_path, page):
    at = page(f"sqlite:///{tmp_path / 'empty.db'}", PAGE)
    assert not at.exception and not at.error
    assert any("Chưa có dữ liệu" in i.value for i in at.info)
