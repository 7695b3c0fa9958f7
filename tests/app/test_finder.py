"""The lagging-commune finder through Streamlit's AppTest, against a seeded SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from config.loader import DEFAULT_CONFIG
from tests.fixtures.personas import LAGGING, UNREACHABLE

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PAGE = "app_pages/finder.py"
BRIEFING_AT = "2025-07-03T10:00"
TIMEOUT_S = 30
BROKEN = "Vi phạm quy tắc"
SYNC_RULE = 1  # config/ioc.yaml: the second rule is "sync lag above 1800 s"


@pytest.fixture
def finder(monkeypatch):
    """A factory: the finder page (through the app's navigation) over the store at `url`."""
    def make(url: str, **query: str) -> AppTest:
        monkeypatch.setenv("IOC_DB_URL", url)
        monkeypatch.setenv("IOC_CONFIG", str(DEFAULT_CONFIG))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.query_params.update(query)
        at.run()
        return at.switch_page(PAGE).run()
    return make


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


def by_id(at: AppTest) -> dict[str, str]:
    table = rows(at)
    return dict(zip(table["Mã"], table[BROKEN], strict=True))


def test_finder_says_which_rules_each_centre_breaks_at_the_briefing(seeded_url, finder):
    url, personas = seeded_url
    at = finder(url, at=BRIEFING_AT)
    assert not at.exception and not at.error
    broken = by_id(at)
    assert len(broken) == 40
    for cid, persona in personas.items():
        if persona == UNREACHABLE:
            assert broken[cid].startswith("Khả dụng 24 giờ 0,0 % (dưới 95,0 %)")
        elif persona == LAGGING:
            assert "Trễ đồng bộ 180 phút (trên 30 phút)" in broken[cid]
            assert "OTP p95 140 giây (trên 60 giây)" in broken[cid]
        else:
            assert "Trễ đồng bộ" not in broken[cid] and "Khả dụng" not in broken[cid]
    table = rows(at)
    assert table["Chi tiết"].iloc[0] == f"commune?centre={table['Mã'].iloc[0]}&lang=vi"
    assert "trung tâm vi phạm ít nhất một quy tắc · đang hiện 40" in " ".join(
        c.value for c in at.caption)
    labels = {b.label for b in at.get("download_button")}
    assert {"Tải CSV", "Tải Excel (.xlsx)"} <= labels, labels


def test_finder_filters_by_type_name_and_lagging_when_filters_are_set(seeded_url, finder):
    url, _ = seeded_url
    at = finder(url, at=BRIEFING_AT)
    at.multiselect(key="finder.kind").select("xã").run()
    assert set(rows(at)["Loại"]) == {"xã"}
    at.toggle(key="finder.only").set_value(True).run()
    assert all(rows(at)[BROKEN])
    at.text_input(key="finder.search").input("a luoi").run()
    assert all(n.startswith("Xã A Lưới") for n in rows(at)["Trung tâm"])
    at.text_input(key="finder.search").input("khong co xa nay").run()
    assert any("Không có trung tâm nào khớp" in i.value for i in at.info)


def test_finder_follows_thresholds_changed_in_the_page(seeded_url, finder):
    url, personas = seeded_url
    lagging_id = sorted(c for c, p in personas.items() if p == LAGGING)[0]
    at = finder(url, at=BRIEFING_AT)
    assert "Trễ đồng bộ" in by_id(at)[lagging_id]
    # Thresholds are typed the Vietnamese way (st.number_input knows only "200.5").
    box = f"finder.threshold.{SYNC_RULE}"
    assert at.text_input(key=box).value == "30"
    at.text_input(key=box).input("200,5").run()  # minutes
    assert "Trễ đồng bộ" not in by_id(at)[lagging_id] and not at.error
    at.text_input(key=box).input("hai trăm").run()
    assert "«hai trăm» không phải là số" in at.error[0].value
    assert "Trễ đồng bộ" in by_id(at)[lagging_id]  # the configured threshold meanwhile
    at.text_input(key=box).input("30").run()
    at.checkbox(key=f"finder.on.{SYNC_RULE}").uncheck().run()
    assert "Trễ đồng bộ" not in by_id(at)[lagging_id]
    assert "OTP p95" in by_id(at)[lagging_id]


def test_finder_speaks_english_when_asked(seeded_url, finder):
    url, _ = seeded_url
    at = finder(url, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert at.title[0].value == "Find lagging centres"
    table = rows(at)
    assert "Rules broken" in table.columns
    assert table["Details"].iloc[0].endswith("&lang=en")


def test_finder_says_no_data_yet_when_the_store_is_empty(tmp_path, finder):
    at = finder(f"sqlite:///{tmp_path / 'empty.db'}")
    assert not at.exception and not at.error
    assert any("Chưa có dữ liệu" in i.value for i in at.info)
