"""Every page says when the history behind the live data is still being filled (ioc demo)."""

from __future__ import annotations

import time

from config.loader import DEFAULT_CONFIG
from dashboard.widgets import history_banner
from metrics.results import ProbeResult
from metrics.store import Store, history_fill
from metrics.store.history_fill import Fill
from tests.conftest import hue_centres
from tests.fixtures.pages import open_page


def test_pages_say_the_history_is_loading_until_it_is_complete(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fill.db'}"
    monkeypatch.setenv("IOC_DB_URL", url)
    monkeypatch.setenv("IOC_CONFIG", str(DEFAULT_CONFIG))
    now = time.time()
    now_ms = int(now * 1000)
    week = 7 * 86_400_000

    def shown(**query: str) -> str:
        history_banner.current.clear()  # read again now, not within its 5-s cache
        at = open_page(**query)
        assert not at.exception
        return " ".join(m.value for m in at.markdown)

    with Store.open(url) as db:
        db.sync_centres(hue_centres())
        db.write([ProbeResult(c.id, now - 1, True, 0.05) for c in hue_centres()])
        assert "nạp lịch sử" not in shown()
        history_fill.record(db.engine, Fill(now_ms - week, now_ms, now_ms - 86_400_000,
                                            288, 864, now_ms))
        text = shown()
        assert "Đang nạp lịch sử 7 ngày (33 %): số liệu trước" in text
        assert "chưa đầy đủ" in text
        assert "Loading 7 days of history (33%)" in shown(lang="en")
        history_fill.record(db.engine, Fill(now_ms - week, now_ms, now_ms - 86_400_000,
                                            288, 864, now_ms - 600_000))
        assert "Nạp lịch sử đã dừng ở 33 %" in shown()
        history_fill.record(db.engine, Fill(now_ms - week, now_ms, now_ms - week,
                                            864, 864, now_ms))
        assert "nạp lịch sử" not in shown().lower()
