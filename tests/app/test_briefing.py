"""The briefing page through AppTest, against the seeded Huế store at 10:00 on 3 July 2025."""

from __future__ import annotations

from datetime import time

from dashboard.views import fmt
from tests.fixtures.personas import PERSONAS, UNREACHABLE

BRIEFING = "app_pages/briefing.py"
BRIEFING_AT = "2025-07-03T10:00"


def expected(seeded, metric: str) -> int:
    ts = seeded.end.timestamp()
    return int(sum(s.value for cid, p in seeded.personas.items() if p != UNREACHABLE
                   for s in PERSONAS[p](cid, ts).samples if s.metric == metric))


def test_briefing_states_the_huế_10_00_summary_in_vietnamese(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    received = expected(seeded, "dossiers_received_total")
    resolved = expected(seeded, "dossiers_resolved_total")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Hồ sơ tiếp nhận"] == fmt.number(received)
    assert tiles["Đã giải quyết"] == fmt.number(resolved)
    text = " ".join(t.value for t in at.text)
    assert (f"Tính đến 10:00 ngày 03/07/2025, 40 Trung tâm Phục vụ hành chính công cấp xã "
            f"đã tiếp nhận {fmt.number(received)} hồ sơ, trong đó đã giải quyết "
            f"{fmt.number(resolved)} hồ sơ.") in text
    assert "Tiếp nhận nhiều nhất:" in text and "Chủ yếu là các thủ tục: chứng thực bản sao" in text
    down = len(seeded.ids(UNREACHABLE))
    assert f"có {down} sự cố mất kết nối tại {down} trung tâm" in text
    frames = [d.value for d in at.dataframe]
    attention = next(f for f in frames if list(f.columns) == ["Trung tâm", "Lý do"])
    assert "ngừng hoạt động" in attention["Lý do"].iloc[0]
    centres = frames[-1]
    assert centres["Tiếp nhận"].iloc[-1] == fmt.number(received)  # the total row, "1.132"


def test_briefing_moment_picker_changes_the_figures(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT)
    at.time_input(key="briefing-time").set_value(time(8, 0)).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    ts = seeded.end.timestamp() - 2 * 3600
    early = int(sum(s.value for cid, p in seeded.personas.items() if p != UNREACHABLE
                    for s in PERSONAS[p](cid, ts).samples
                    if s.metric == "dossiers_received_total"))
    assert tiles["Hồ sơ tiếp nhận"] == fmt.number(early)
    assert any("Tính đến 08:00 ngày 03/07/2025" in t.value for t in at.text)


def test_briefing_exports_html_and_csv(seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    buttons = {b.label: b.proto.url for b in at.get("download_button")}
    # The files' contents are tested on report.html_report / csv_bytes (tests/unit/test_report.py).
    assert buttons["Tải báo cáo in được (HTML)"].endswith(".html")
    assert buttons["Tải số liệu (CSV)"].endswith(".csv")
    assert buttons["Tải Excel (.xlsx)"].endswith(".xlsx")  # next to the CSV (test_exports.py)


def test_briefing_speaks_english(seeded_store, page):
    at = page(seeded_store().store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT,
              lang="en")
    assert not at.exception
    assert "Dossiers received" in {m.label for m in at.metric}
    assert any(t.value.startswith("As of 10:00 on 03/07/2025, the 40 commune") for t in at.text)
