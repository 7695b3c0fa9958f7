"""The briefing's week comparison and its Word document, through AppTest against a seeded Huế
store at 10:00 on 3 July 2025 (last week: the same personas, counters × 0.8).

The .docx is built by the page's own path (`data_briefing.briefing_view` → `docx_bytes`) for
the same moment, opened with python-docx, and every figure the page shows is found in it:
the tiles, the summary, the week's table and the per-centre table, cell for cell."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from docx import Document

from config.alerts import load_alerts
from config.loader import load_settings
from config.scope import national
from dashboard import i18n
from dashboard.loaders import actions as data_actions
from dashboard.loaders import briefing as data_briefing
from dashboard.views import briefing_docx, fmt
from metrics.alerts import assignments_store
from metrics.store import to_ms
from tests.app.test_briefing import BRIEFING, BRIEFING_AT
from tests.fixtures.last_week import WEEK, expected_sums, seed_last_week
from tests.fixtures.personas import BRIEFING_END, PERSONAS, poll_times

TZ = "Asia/Ho_Chi_Minh"


def today_polls(seeded):
    return [PERSONAS[p](cid, ts) for ts in poll_times(seeded.start, seeded.end, seeded.step_s)
            for cid, p in seeded.personas.items()]


def docx_of(url: str, lang: str = "vi"):
    """The page's .docx for 10:00 (its loaders and builder), opened with python-docx."""
    cfg = load_settings(env={"IOC_DB_URL": url})
    tr = i18n.text(lang)
    b = data_briefing.briefing_view(cfg, BRIEFING_END, scope=national())
    made = briefing_docx.docx_bytes(b, tr, TZ, briefing_docx.letterhead(cfg, tr))
    return Document(io.BytesIO(made))


def doc_text(doc) -> str:
    paras = [p.text for p in doc.paragraphs]
    cells = [p.text for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs]
    return "\n".join(paras + cells)


def doc_tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def screen_frame(at, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def as_rows(frame) -> list[list[str]]:
    return [list(frame.columns)] + [["—" if v is None else str(v) for v in row]
                                    for row in frame.itertuples(index=False)]


@pytest.fixture
def seeded_weeks(seeded_store):
    seeded = seeded_store()
    then = seed_last_week(seeded, 0.8)
    return seeded, then


def test_briefing_compares_with_last_week_and_the_docx_says_the_same(seeded_weeks, page):
    seeded, then_polls = seeded_weeks
    url = seeded.store.engine.url.render_as_string()
    at = page(url, BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    day = fmt.local_midnight(BRIEFING_END, TZ)
    now = expected_sums(today_polls(seeded), day, BRIEFING_END)
    then = expected_sums(then_polls, day - WEEK, BRIEFING_END - WEEK)
    assert then["received"] < now["received"]  # × 0.8: a real difference to state
    week = screen_frame(at, "Chỉ tiêu")
    assert list(week.columns) == ["Chỉ tiêu", "Hôm nay (thứ Năm 03/07/2025, đến 10:00)",
                                  "Tuần trước (thứ Năm 26/06/2025, đến 10:00)", "Chênh lệch"]
    rows = {r[0]: r[1:] for r in week.itertuples(index=False)}
    diff = now["received"] - then["received"]
    pct = fmt.percent(diff / then["received"])
    assert rows["Hồ sơ tiếp nhận"] == (fmt.number(now["received"]), fmt.number(then["received"]),
                                       f"+{fmt.number(diff)} (+{pct})")
    assert rows["Hồ sơ đã giải quyết"][:2] == (fmt.number(now["resolved"]),
                                              fmt.number(then["resolved"]))
    summary = " ".join(t.value for t in at.text)
    assert (f"So với cùng thời điểm thứ Năm tuần trước (26/06/2025): tiếp nhận "
            f"{fmt.number(then['received'])} hồ sơ (+{fmt.number(diff)}; +{pct})") in summary
    buttons = {b.label: b.proto.url for b in at.get("download_button")}
    assert buttons["Tải báo cáo Word (.docx)"].endswith(".docx")

    doc = docx_of(url)
    text = doc_text(doc)
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Huế, ngày 03 tháng 7 năm 2025", "BÁO CÁO", "UBND THÀNH PHỐ HUẾ",
                 "IOC THÀNH PHỐ HUẾ", "NGƯỜI LẬP BÁO CÁO", "(Ký, ghi rõ họ tên)",
                 "I. TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ", "II. TÌNH HÌNH VẬN HÀNH HỆ THỐNG",
                 "1. Số liệu chung", "3. So với cùng thời điểm tuần trước"):
        assert line in text, line
    assert next(t.value for t in at.text) in [p.text for p in doc.paragraphs]  # the summary
    tables = doc_tables(doc)
    totals = next(t for t in tables if t[0] == ["Chỉ tiêu", "Số hồ sơ"])
    assert {r[0]: r[1] for r in totals[1:]} == {m.label: m.value for m in at.metric}
    assert as_rows(week) in tables
    assert as_rows(at.dataframe[-1].value) in tables  # the per-centre figures, total row too
    attention = next(d.value for d in at.dataframe
                     if list(d.value.columns) == ["Trung tâm", "Lý do"])
    assert as_rows(attention) in tables


def test_briefing_says_last_week_is_missing_never_zero(seeded_store, page):
    seeded = seeded_store()
    url = seeded.store.engine.url.render_as_string()
    at = page(url, BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    week = screen_frame(at, "Chỉ tiêu")
    assert [r[2:] for r in week.itertuples(index=False)] == [("—", "—"), ("—", "—")]
    notes = [i.value for i in at.info]
    assert any("Không có số liệu tuần trước (26/06/2025)" in n for n in notes)
    assert any("Không có số liệu cùng thời điểm tuần trước (26/06/2025)" in t.value
               for t in at.text)
    doc_week = next(t for t in doc_tables(docx_of(url)) if t[0][0] == "Chỉ tiêu"
                    and len(t[0]) == 4)
    assert [r[2:] for r in doc_week[1:]] == [["—", "—"], ["—", "—"]]


def test_briefing_names_the_centres_missing_last_week(seeded_store, page):
    seeded = seeded_store()
    gone = sorted(seeded.personas)[:2]
    seed_last_week(seeded, 0.8, without=frozenset(gone))
    at = page(seeded.store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    names = {c.id: c.name for c in seeded.centres}
    note = next(i.value for i in at.info if "Tuần trước thiếu số liệu" in i.value)
    assert all(names[i] in note for i in gone)
    week = screen_frame(at, "Chỉ tiêu")
    assert [r[3] for r in week.itertuples(index=False)] == ["—", "—"]  # no change stated


def test_briefing_docx_speaks_english(seeded_weeks, page):
    seeded, _ = seeded_weeks
    url = seeded.store.engine.url.render_as_string()
    at = page(url, BRIEFING, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert "Download Word report (.docx)" in {b.label for b in at.get("download_button")}
    assert "Compared with the same time last week" in [h.value for h in at.subheader]
    week = screen_frame(at, "Figure")
    assert list(week.columns)[2] == "Last week (Thursday 26/06/2025, to 10:00)"
    change = r"\+[\d,]+ \(\+\d+\.\d%\)"  # +241 (+27.0%)
    assert all(re.fullmatch(change, c) for c in week.iloc[:, 3])
    text = doc_text(docx_of(url, "en"))
    for line in ("SOCIALIST REPUBLIC OF VIET NAM", "Huế, 3 July 2025", "REPORT",
                 "I. DOSSIERS RECEIVED AND RESOLVED", "Compared with the same time last week",
                 "PREPARED BY"):
        assert line in text, line
    for word in ("CỘNG HÒA", "ngày 03 tháng", "Hồ sơ tiếp nhận", "Tổng cộng", "Ký, ghi rõ"):
        assert word not in text, word


def test_a_periods_briefing_compares_todays_figures_not_the_periods(seeded_store, page):
    seeded = seeded_store(hours=30, step_s=1800)  # from 04:00 on 2 July
    then_polls = seed_last_week(seeded, 0.8)
    at = page(seeded.store.engine.url.render_as_string(), BRIEFING, at=BRIEFING_AT,
              since="2025-07-02")
    assert not at.exception
    day = fmt.local_midnight(BRIEFING_END, TZ)
    polls = today_polls(seeded)
    today = expected_sums(polls, day, BRIEFING_END)
    period = expected_sums(polls, day - timedelta(days=1), BRIEFING_END)
    assert period["received"] > today["received"]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Hồ sơ tiếp nhận"] == fmt.number(period["received"])
    week = screen_frame(at, "Chỉ tiêu")
    rows = {r[0]: r[1:3] for r in week.itertuples(index=False)}
    then = expected_sums(then_polls, day - WEEK, BRIEFING_END - WEEK)
    assert rows["Hồ sơ tiếp nhận"] == (fmt.number(today["received"]),
                                       fmt.number(then["received"]))


def test_the_docx_lists_the_follow_up_actions_the_page_lists(seeded_store, page):
    seeded = seeded_store()
    db, rules = seeded.store, load_alerts()
    centre = sorted(seeded.personas)[0]

    def ms(delta: timedelta) -> int:
        return to_ms(BRIEFING_END + delta)

    def give(unit: str, at: timedelta, due: timedelta) -> int:
        return assignments_store.assign(db, rules, unit=unit, due_at=ms(due), note=unit,
                                        user="Lan", role="tech", centre_id=centre, now=ms(at))

    give("portal_team", -timedelta(minutes=30), timedelta(hours=3))
    done = give("power_company", -timedelta(days=1), timedelta(hours=3))
    assignments_store.close(db, rules, done, user="Minh", role="tech",
                            now=ms(-timedelta(hours=1)))
    give("network_carrier", -timedelta(hours=5), -timedelta(hours=1))
    url = db.engine.url.render_as_string()
    at = page(url, BRIEFING, at=BRIEFING_AT)
    assert not at.exception
    shown = [as_rows(d.value) for d in at.dataframe if "Đơn vị" in d.value.columns][-3:]
    assert len(shown) == 3  # opened, closed, overdue: one each

    cfg = load_settings(env={"IOC_DB_URL": url})
    tr = i18n.text("vi")
    b = data_briefing.briefing_view(cfg, BRIEFING_END, scope=national())
    follow_up = briefing_docx.actions_section(data_actions.since_conference(
        url, "national", to_ms(b.previous), to_ms(b.at)), data_actions.units())
    doc = Document(io.BytesIO(briefing_docx.docx_bytes(
        b, tr, TZ, briefing_docx.letterhead(cfg, tr), [*briefing_docx.SECTIONS, follow_up])))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "III. VIỆC GIAO TỪ GIAO BAN TRƯỚC (08:00 03/07/2025)" in heads
    assert heads[-3:] == ["1. Việc mới giao (1)", "2. Việc đã hoàn thành (1)",
                          "3. Việc quá hạn (1)"]
    tables = doc_tables(doc)
    assert all(t in tables for t in shown)
