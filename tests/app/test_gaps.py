"""Collection gaps on the dashboard: the wall's line and the commune timeline's entry (AppTest
over a seeded SQLite store), and the loaders' scope (called directly, two provinces)."""

from __future__ import annotations

from datetime import timedelta

from config.loader import load_settings
from config.scope import commune, national, province
from dashboard.loaders import gaps as data_gaps
from metrics.store import Store, gaps, to_ms
from tests.fixtures.access import OFFICER_CENTRE, two_provinces
from tests.fixtures.personas import BRIEFING_END

PAGE = "app_pages/commune.py"
BRIEFING_AT = "2025-07-03T10:00"  # local time, BRIEFING_END
PHU_XUAN = "19753"
REASON_VI = "bộ đệm đĩa của bộ thu thập đầy khi mất kết nối cơ sở dữ liệu"


def gap(start_min: int, end_min: int, cycles: int, centres: tuple[str, ...],
        reason: str = gaps.SPOOL_FULL) -> gaps.Gap:
    """A gap `start_min`..`end_min` minutes before BRIEFING_END (10:00 Huế time)."""
    return gaps.Gap(to_ms(BRIEFING_END - timedelta(minutes=start_min)),
                    to_ms(BRIEFING_END - timedelta(minutes=end_min)), cycles, centres, reason,
                    {"polls": 40 * cycles, "spool_bytes": 368_640, "max_bytes": 370_000})


def test_the_wall_names_the_last_days_gaps_with_their_reason_in_either_language(
        seeded_store, page):
    seeded = seeded_store(hours=2)
    ids = tuple(sorted(seeded.personas))
    gaps.record(seeded.store.engine, "", [
        gap(58, 55, 3, ids),  # 09:02–09:05
        gap(60 * 25, 60 * 25 - 1, 2, ids),  # the day before: not on the wall
        gap(-5, -8, 2, ids),  # after the moment shown
    ])
    url = seeded.store.engine.url.render_as_string()

    at = page(url, at=BRIEFING_AT)
    assert not at.exception
    shown = [w.value for w in at.warning if "Thiếu dữ liệu" in w.value]
    assert shown == [f"Thiếu dữ liệu 09:02–09:05 (3 chu kỳ): {REASON_VI}"]

    at = page(url, at=BRIEFING_AT, lang="en")
    assert [w.value for w in at.warning if "Data missing" in w.value] == [
        "Data missing 09:02–09:05 (3 cycles): the collector's disk spool was full while "
        "the database was unreachable"]


def test_the_wall_says_nothing_of_gaps_when_there_is_none(seeded_store, page):
    seeded = seeded_store(hours=1)
    at = page(seeded.store.engine.url.render_as_string(), at=BRIEFING_AT)
    assert not at.exception and not [w for w in at.warning if "Thiếu dữ liệu" in w.value]


def test_an_unknown_stored_reason_is_shown_as_text_never_as_markup(seeded_store, page):
    seeded = seeded_store(hours=1)
    gaps.record(seeded.store.engine, "", [gap(30, 30, 1, (PHU_XUAN,), reason="**x**<b>")])
    at = page(seeded.store.engine.url.render_as_string(), at=BRIEFING_AT)
    [line] = [w.value for w in at.warning if "Thiếu dữ liệu" in w.value]
    assert line == r"Thiếu dữ liệu lúc 09:30 (1 chu kỳ): lý do khác (\*\*x\*\*\<b\>)"


def test_the_commune_timeline_lists_the_gap_with_its_reason_and_what_was_lost(
        seeded_store, page):
    seeded = seeded_store(hours=6)
    gaps.record(seeded.store.engine, "shard-1of2", [gap(58, 55, 3, (PHU_XUAN, "19756"))])
    gaps.record(seeded.store.engine, "", [gap(40, 39, 1, ("19756",))])  # not this centre's
    at = page(seeded.store.engine.url.render_as_string(), PAGE, centre=PHU_XUAN,
              at=BRIEFING_AT)
    assert not at.exception
    table = at.dataframe[0].value
    rows = table[table["Loại"] == "Thiếu dữ liệu"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["Nội dung"] == REASON_VI
    assert row["Bắt đầu"] == "09:02 03/07/2025" and row["Kết thúc"] == "09:05 03/07/2025"
    assert row["Kéo dài"] == "3 phút" and row["Mức độ"] == "cảnh báo"
    assert row["Chi tiết"] == ("120 lượt thu thập bị bỏ; bộ đệm 360 KiB / giới hạn 361 KiB; "
                               "bộ thu thập shard-1of2")


def test_gap_loaders_read_only_gaps_holding_one_of_the_scopes_centres(tmp_path):
    url = f"sqlite:///{tmp_path / 'two.db'}"
    with Store.open(url) as db:
        both = two_provinces(db, BRIEFING_END)
        gaps.record(db.engine, "p46", [gap(50, 45, 2, tuple(both.ours))])
        gaps.record(db.engine, "other", [gap(30, 29, 1, tuple(both.theirs[:3]))])
    cfg = load_settings(env={"IOC_DB_URL": url})

    def starts(scope, **kw) -> list[int]:
        found = data_gaps.wall_gaps(cfg, BRIEFING_END, scope=scope, replay=True, **kw)
        return found["start"].dt.epoch("ms").to_list()

    ours, theirs = gap(50, 45, 2, ()).start_ms, gap(30, 29, 1, ()).start_ms
    assert starts(national()) == [theirs, ours]
    assert starts(province(46)) == [ours]
    assert starts(commune(OFFICER_CENTRE)) == [ours]
    assert starts(national(), province=46) == [ours]
    assert data_gaps.centre_gaps(cfg, both.theirs[0], BRIEFING_END - timedelta(hours=1),
                                 BRIEFING_END, scope=province(46)).is_empty()
    assert data_gaps.centre_gaps(cfg, both.theirs[0], BRIEFING_END - timedelta(hours=1),
                                 BRIEFING_END, scope=national()).height == 1
