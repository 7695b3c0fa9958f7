"""The wall page through Streamlit's AppTest, against a seeded SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from config.loader import DEFAULT_CONFIG
from dashboard import fmt
from metrics.store import Store
from tests.conftest import hue_centres
from tests.fixtures.personas import PERSONAS, UNREACHABLE

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
BRIEFING_AT = "2025-07-03T10:00"  # local time, the seeded history's end
TIMEOUT_S = 30


@pytest.fixture
def wall(monkeypatch):
    """A factory: an AppTest of the dashboard reading the store at `url`."""
    def make(url: str, **query: str) -> AppTest:
        monkeypatch.setenv("IOC_DB_URL", url)
        monkeypatch.setenv("IOC_CONFIG", str(DEFAULT_CONFIG))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.query_params.update(query)
        return at.run()
    return make


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_today(seeded, metric: str) -> int:
    """What the personas' counters say at the seeded end (they start from 0 before 07:30)."""
    ts = seeded.end.timestamp()
    return int(sum(s.value for cid, p in seeded.personas.items() if p != UNREACHABLE
                   for s in PERSONAS[p](cid, ts).samples if s.metric == metric))


def test_wall_shows_seeded_figures_in_vietnamese_when_replaying_the_briefing(
        seeded_store, wall):
    seeded = seeded_store()
    at = wall(seeded.store.engine.url.render_as_string(), at=BRIEFING_AT)
    assert not at.exception
    shown = tiles(at)
    down = len(seeded.ids(UNREACHABLE))
    assert shown["Trung tâm hoạt động"] == f"{40 - down}/40"
    received = expected_today(seeded, "dossiers_received_total")
    resolved = expected_today(seeded, "dossiers_resolved_total")
    late = expected_today(seeded, "dossiers_resolved_late_total")
    assert received > 1000  # a working morning in 40 centres
    assert shown["Hồ sơ tiếp nhận"] == fmt.number(received)
    assert shown["Hồ sơ đã giải quyết"] == fmt.number(resolved)
    assert shown["Giải quyết trễ hạn"] == fmt.number(late)
    assert shown["Tỉ lệ đúng hạn"] == fmt.percent((resolved - late) / resolved)
    assert shown["OTP p95 (trung vị)"] == "9 giây"
    assert shown["Trễ đồng bộ lớn nhất"] == "3 giờ"
    assert any("Đang xem lại dữ liệu lúc 10:00 03/07/2025" in i.value for i in at.info)
    assert "Cập nhật vừa xong" in " ".join(m.value for m in at.markdown)
    table = at.table[0].value
    assert list(table.columns) == ["Trung tâm", "Trạng thái", "Lý do", "Quá hạn"]
    assert list(table["Trạng thái"][:down]) == ["Ngừng hoạt động"] * down
    assert "không phản hồi" in table["Lý do"].iloc[0]


def test_wall_shows_stale_not_healthy_when_newest_data_is_old(seeded_store, wall):
    seeded = seeded_store()  # history from July 2025, read "now": long stale
    at = wall(seeded.store.engine.url.render_as_string())
    assert not at.exception
    assert any("DỮ LIỆU CŨ" in w.value for w in at.warning)
    shown = tiles(at)
    assert shown["Trung tâm hoạt động"] == "—/40"
    assert "0" not in shown.values()
    assert shown["Hồ sơ tiếp nhận"] == "—"  # nothing collected today: a dash, never 0
    assert "Dữ liệu cũ" in set(at.table[0].value["Trạng thái"])


def test_wall_says_no_data_yet_when_the_store_is_empty(tmp_path, wall):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    at = wall(url)
    assert not at.exception
    assert not at.error
    assert any("Chưa có dữ liệu" in i.value for i in at.info)


def test_wall_shows_dashes_when_centres_were_never_polled(tmp_path, wall):
    url = f"sqlite:///{tmp_path / 'centres-only.db'}"
    with Store.open(url) as db:
        db.sync_centres(hue_centres())
    at = wall(url)
    assert not at.exception
    shown = tiles(at)
    assert shown["Trung tâm hoạt động"] == "—/40"
    assert shown["Tỉ lệ đúng hạn"] == "—"
    assert any("Chưa có dữ liệu" in i.value for i in at.info)


def test_wall_speaks_english_when_asked_by_query_or_sidebar(seeded_store, wall):
    url = seeded_store().store.engine.url.render_as_string()
    at = wall(url, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert "Centres up" in tiles(at)
    assert at.table[0].value.columns[0] == "Centre"

    at = wall(url, at=BRIEFING_AT)
    assert "Trung tâm hoạt động" in tiles(at)
    at.sidebar.radio[0].set_value("en").run()
    assert "Centres up" in tiles(at)
    assert at.query_params["lang"] == "en"
