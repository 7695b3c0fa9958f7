"""The commune drill-down through Streamlit's AppTest, against a seeded SQLite store."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.views import fmt
from metrics.store import Store, schema, to_ms
from tests.conftest import hue_centres
from tests.fixtures.personas import BRIEFING_END, LAGGING, PERSONAS, UNREACHABLE, seed

PAGE = "app_pages/commune.py"
BRIEFING_AT = "2025-07-03T10:00"  # local time, the seeded history's end
PHU_XUAN = "19753"  # Phường Phú Xuân, a healthy ward
TODAY_TILES = {"Hồ sơ tiếp nhận": "dossiers_received_total",
               "Hồ sơ đã giải quyết": "dossiers_resolved_total",
               "Giải quyết trễ hạn": "dossiers_resolved_late_total"}


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, title: str) -> dict:
    found = [c for c in charts(at) if c["layout"]["title"]["text"] == title]
    assert found, f"no chart titled {title!r}"
    return found[0]


def texts(elements) -> str:
    return " | ".join(e.value for e in elements)


def test_commune_shows_state_charts_and_province_median_when_centre_is_healthy(
        seeded_store, page):
    seeded = seeded_store(hours=26)
    at = page(url_of(seeded.store), PAGE, centre=PHU_XUAN, at=BRIEFING_AT)
    assert not at.exception and not at.error
    assert at.header[0].value == "Phường Phú Xuân"
    states = {m.label: m.value for m in at.metric}
    # Today's dossiers (the figures every page gives): the persona's counters at 10:00.
    today = {label: states.pop(label) for label in TODAY_TILES}
    persona = PERSONAS[seeded.personas[PHU_XUAN]](PHU_XUAN, seeded.end.timestamp())
    counters = {s.metric: s.value for s in persona.samples if not s.label}
    assert list(today.values()) == [fmt.number(counters[m]) for m in TODAY_TILES.values()]
    assert states["Hệ thống"] == "Hoạt động"
    assert states["Điện"] == "Điện lưới" and states["Mạng"] == "Tốt"
    # 26 h of polls every 300 s, each standing for stale_after_s (60 s): 100 %, the rest
    # of the 24 h without data, shown apart.
    assert states.pop("Khả dụng 24 giờ") == "100,0 %"
    assert len(states) == 7
    assert len(charts(at)) == 9
    response = chart(at, "Thời gian phản hồi")
    names = [t["name"] for t in response["data"]]
    assert names == ["Trung tâm", "Trung vị tỉnh (40 trung tâm)"]
    assert set(response["data"][0]["y"]) == {0.12}  # the healthy persona's probe time
    # Times are local: the last 15-minute bucket of the 24 h range starts at 10:00 Huế time.
    assert response["data"][0]["x"][-1] == "2025-07-03T10:00:00"
    per_day = chart(at, "Hồ sơ theo ngày")
    received = next(t for t in per_day["data"] if t["name"] == "Tiếp nhận")
    assert len(received["x"]) == 2 and all(v > 0 for v in received["y"])
    assert "Không có sự cố hay cảnh báo nào" in texts(at.caption)


def test_commune_compares_with_province_median_when_commune_lags(seeded_store, page):
    seeded = seeded_store(hours=6)
    lagging = seeded.ids(LAGGING)[0]
    at = page(url_of(seeded.store), PAGE, centre=lagging, at=BRIEFING_AT)
    sync = chart(at, "Độ trễ đồng bộ")
    centre, median = sync["data"]
    assert {v for v in centre["y"] if v is not None} == {180.0}  # 3 h, in minutes
    # Most centres are in sync (40 s): the province median stays well below the commune.
    assert max(v for v in median["y"] if v is not None) < 1.0
    assert {m.label: m.value for m in at.metric}["Kết nối Cổng DVC"] == "Suy giảm"


def test_commune_lists_outages_when_centre_is_unreachable(seeded_store, page):
    seeded = seeded_store(hours=6)
    down = seeded.ids(UNREACHABLE)[0]
    at = page(url_of(seeded.store), PAGE, centre=down, at=BRIEFING_AT)
    assert not at.exception
    assert "không thành công" in texts(at.caption)
    table = at.dataframe[0].value
    assert list(table["Loại"]) == ["Ngừng hoạt động"]
    assert list(table["Nội dung"]) == ["không phản hồi"]
    assert list(table["Kết thúc"]) == ["đang diễn ra"]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles.pop("Khả dụng 24 giờ") == "0,0 %"  # every poll it answered none
    assert set(tiles.values()) == {"—"}  # never reported a component state


def test_commune_shows_a_gap_not_zero_when_collection_stopped(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'gap.db'}"
    with Store.open(url) as db:
        seed(db, hue_centres(), hours=1, end=BRIEFING_END - timedelta(hours=3))
        seed(db, hue_centres(), hours=1, end=BRIEFING_END)
    at = page(url, PAGE, centre=PHU_XUAN, at=BRIEFING_AT)
    at.radio(key="commune.range").set_value("6h").run()
    values = chart(at, "Tỉ lệ lượt thu thập có trả lời")["data"][0]["y"]
    assert None in values and 0 not in values and 0.0 not in values
    assert "mỗi điểm: 5 phút" in texts(at.caption)


def test_commune_shows_alerts_and_acknowledgements_when_the_engine_stored_some(
        seeded_store, page):
    seeded = seeded_store(hours=6)
    down = seeded.ids(UNREACHABLE)[0]
    firing = to_ms(BRIEFING_END - timedelta(hours=2))
    with seeded.store.engine.begin() as conn:
        alert_id = conn.execute(sa.insert(schema.alerts).values(
            fingerprint=f"centre_down:{down}", rule="centre_down", severity="critical",
            centre_id=down, province_code=46, labels="{}", summary="**Trung tâm** ngừng",
            cause="timeout", state="firing", pending_since=firing, firing_since=firing,
            last_eval=firing, acked_by="lan", acked_at=firing + 60_000)).inserted_primary_key[0]
        conn.execute(sa.insert(schema.alert_events).values(
            alert_id=alert_id, ts=firing + 60_000, kind="acknowledged", actor="lan",
            detail="đang xử lý"))
    at = page(url_of(seeded.store), PAGE, centre=down, at=BRIEFING_AT)
    table = at.dataframe[0].value
    assert list(table["Loại"]) == ["Đã xác nhận", "Cảnh báo", "Ngừng hoạt động"]
    row = table[table["Loại"] == "Cảnh báo"].iloc[0]
    assert row["Chi tiết"] == "**Trung tâm** ngừng"  # stored text shown as is, not markdown
    assert row["Mức độ"] == "nghiêm trọng"
    assert table[table["Loại"] == "Đã xác nhận"].iloc[0]["Người xử lý"] == "lan"


def test_commune_says_so_when_centre_id_is_unknown(seeded_store, page):
    at = page(url_of(seeded_store(hours=1).store), PAGE, centre="99999<b>", at=BRIEFING_AT)
    assert not at.exception and not at.error
    assert "Không có trung tâm nào mang mã" in texts(at.warning)
    assert not at.get("plotly_chart")


def test_commune_says_no_data_when_centre_was_never_polled(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'centres-only.db'}"
    with Store.open(url) as db:
        db.sync_centres(hue_centres())
    at = page(url, PAGE, centre=PHU_XUAN)
    assert not at.exception and not at.error
    shown = texts(at.info)
    assert "chưa từng được thu thập" in shown
    assert "Không có dữ liệu của trung tâm này" in shown
    assert not at.get("plotly_chart")


def test_commune_search_finds_centre_without_diacritics_and_opens_it(seeded_store, page):
    at = page(url_of(seeded_store(hours=1).store), PAGE, at=BRIEFING_AT)
    assert "Tìm và chọn một trung tâm" in texts(at.info)
    at.text_input(key="commune.query").input("phu xuan").run()
    pick = at.selectbox(key="commune.pick")
    assert pick.options[0].startswith("Phường Phú Xuân")
    pick.select_index(0).run()
    assert at.query_params["centre"] == [PHU_XUAN] or at.query_params["centre"] == PHU_XUAN
    assert at.header[0].value == "Phường Phú Xuân"


def test_commune_changes_range_when_custom_dates_are_chosen(seeded_store, page):
    at = page(url_of(seeded_store(hours=26).store), PAGE, centre=PHU_XUAN, at=BRIEFING_AT)
    at.radio(key="commune.range").set_value("custom").run()
    assert "00:00 27/06/2025 – 10:00 03/07/2025 · mỗi điểm: 1 giờ" in texts(at.caption)
    at.date_input(key="commune.from").set_value(at.date_input(key="commune.to").value).run()
    assert "00:00 03/07/2025 – 10:00 03/07/2025 · mỗi điểm: 15 phút" in texts(at.caption)
    assert not at.exception


def test_commune_speaks_english_when_asked(seeded_store, page):
    at = page(url_of(seeded_store(hours=2).store), PAGE, centre=PHU_XUAN, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert at.title[0].value == "Centre details"
    assert {m.label for m in at.metric} >= {"System", "Power", "Network"}
    assert chart(at, "Response time")["layout"]["separators"] == ".,"
