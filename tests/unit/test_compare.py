"""The week's comparison (metrics.compare) and its words (dashboard.views.week), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from dashboard import i18n
from dashboard.views import week as week_view
from metrics import compare as cmp
from metrics.resolutions import FIVE_MIN, HOUR, RAW

TZ = "Asia/Ho_Chi_Minh"
VI, EN = i18n.text("vi"), i18n.text("en")
AT = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # Thursday 3 July 2025, 10:00 in Huế
THEN = AT - timedelta(days=7)
REC, RES = cmp.COMPARED["received"], cmp.COMPARED["resolved"]


def inc(*rows: tuple[str, str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"centre_id": pl.String, "metric": pl.String,
                                            "label": pl.String, "increase": pl.Float64},
                        orient="row")


def centres(*ids: str) -> pl.DataFrame:
    return pl.DataFrame({"id": list(ids), "name": [f"Xã {i}" for i in ids]})


def test_week_before_is_the_same_local_clock_time_on_the_same_weekday():
    got = cmp.week_before(AT, TZ)
    assert got.astimezone(UTC) == THEN
    assert (got.strftime("%A %H:%M"), got.date().isoformat()) == ("Thursday 10:00",
                                                                  "2025-06-26")
    late = datetime(2025, 7, 3, 16, 59, tzinfo=UTC)  # 23:59 local: the local day counts
    assert cmp.week_before(late, TZ).astimezone(UTC) == late - timedelta(days=7)
    with pytest.raises(ValueError, match="naive"):
        cmp.week_before(datetime(2025, 7, 3, 10), TZ)


def test_side_sums_each_centres_rounded_figure_and_ignores_labelled_series():
    s = cmp.side(inc(("a", REC, "", 10.4), ("b", REC, "", 5.6), ("a", RES, "", 3.0),
                     ("a", REC, "certified_copy", 99.0),
                     ("c", "dossiers_returned_total", "", 7.0)), AT)
    assert s.totals == {"received": 16, "resolved": 3}
    assert s.centres == {"a", "b"}  # c sent none of the compared counters
    assert (s.resolution, s.until, s.exact) == (RAW, AT, True)
    empty = cmp.side(inc(), THEN, HOUR, THEN - timedelta(minutes=5))
    assert empty.totals == {"received": None, "resolved": None} and not empty.exact


def both(now_rows, then_rows, resolution=RAW, ids=("a", "b")):
    until = THEN if resolution == RAW else THEN - timedelta(minutes=5)
    return cmp.compare(cmp.side(inc(*now_rows), AT), cmp.side(inc(*then_rows), THEN,
                                                                resolution, until),
                       centres(*ids))


def test_complete_comparison_states_change_and_ratio():
    c = both([("a", REC, "", 120), ("b", REC, "", 30), ("a", RES, "", 40)],
             [("a", REC, "", 100), ("b", REC, "", 25), ("a", RES, "", 0)])
    assert c.state == cmp.COMPLETE
    assert (c.change("received"), c.ratio("received")) == (25, 0.2)
    assert (c.change("resolved"), c.ratio("resolved")) == (40, None)  # last week 0: no ratio


def test_partial_missing_and_no_today_state_no_change():
    partial = both([("a", REC, "", 120), ("b", REC, "", 30)], [("a", REC, "", 100)])
    assert partial.state == cmp.PARTIAL and partial.missing_then == ("b",)
    assert partial.then.totals["received"] == 100 and partial.change("received") is None
    gone_today = both([("a", REC, "", 120)], [("a", REC, "", 100), ("b", REC, "", 9)])
    assert gone_today.state == cmp.PARTIAL and gone_today.missing_now == ("b",)
    missing = both([("a", REC, "", 120)], [])
    assert missing.state == cmp.MISSING and missing.then.totals["received"] is None
    assert missing.change("received") is None and missing.ratio("received") is None
    assert both([], [("a", REC, "", 1)]).state == cmp.NO_TODAY
    rollup = both([("a", REC, "", 120)], [("a", REC, "", 100)], FIVE_MIN)
    assert rollup.state == cmp.ROLLUP and rollup.change("received") == 20


def test_display_writes_figures_vietnamese_style_with_signs():
    c = both([("a", REC, "", 1283), ("a", RES, "", 382)], [("a", REC, "", 1150),
                                                          ("a", RES, "", 400)], ids=("a",))
    d = week_view.display(c, VI, TZ)
    r, s = d.rows
    assert (r.now_text, r.then_text, r.change_text) == ("1.283", "1.150", "+133 (+11,6 %)")
    assert s.change_text == "\u221218 (\u22124,5 %)"
    assert r.line(VI) == "Hồ sơ tiếp nhận: 1.283 · tuần trước 1.150 (+133; +11,6 %)"
    assert d.now_when == "thứ Năm 03/07/2025, đến 10:00"
    assert d.sentence == ("So với cùng thời điểm thứ Năm tuần trước (26/06/2025): tiếp nhận "
                          "1.150 hồ sơ (+133; +11,6 %), giải quyết 400 hồ sơ (\u221218; "
                          "\u22124,5 %).")
    assert d.notes == ()
    assert d.table(VI).row(0) == ("Hồ sơ tiếp nhận", "1.283", "1.150", "+133 (+11,6 %)")
    en = week_view.display(c, EN, TZ)
    assert en.rows[0].change_text == "+133 (+11.6%)"
    assert en.then_when == "Thursday 26/06/2025, to 10:00"
    assert en.sentence == ("At the same time last Thursday (26/06/2025): received 1,150 dossiers "
                           "(+133; +11.6%), resolved 400 dossiers (\u221218; \u22124.5%).")
    assert week_view.change_text(0, 0.0, "vi") == "0 (0,0 %)"
    assert week_view.change_text(5, None, "vi") == "+5"


def test_display_says_what_last_week_lacks():
    ids = tuple("abcdefgh")
    partial = both([(i, REC, "", 10) for i in ids], [("a", REC, "", 8)], ids=ids)
    d = week_view.display(partial, VI, TZ)
    assert d.rows[0].change_text == "—" and d.rows[0].then_text == "8"
    assert d.notes == ("Tuần trước thiếu số liệu của 7 trung tâm (Xã b, Xã c, Xã d, Xã e, Xã f "
                       "và 2 trung tâm khác): số tuần trước chưa đủ, không tính chênh lệch.",)
    assert d.sentence == ("So với cùng thời điểm thứ Năm tuần trước (26/06/2025): tiếp nhận 8 "
                          "hồ sơ, giải quyết không có số liệu.")
    missing = week_view.display(both([("a", REC, "", 10)], []), VI, TZ)
    assert [r.then_text for r in missing.rows] == ["—", "—"]
    assert missing.notes[0].startswith("Không có số liệu tuần trước (26/06/2025)")
    assert "0" not in missing.rows[0].then_text
    rollup = week_view.display(both([("a", REC, "", 10)], [("a", REC, "", 8)], HOUR,
                                    ids=("a",)), EN, TZ)
    assert rollup.notes == ("Only hourly roll-ups are kept for last week: counted up to 09:55.",)
    assert week_view.display(both([], []), VI, TZ).notes == (
        "Chưa có số liệu hôm nay để so sánh.",)


def test_a_collection_gap_at_last_weeks_moment_is_said_and_stops_the_change():
    minute = timedelta(minutes=1)
    found = pl.DataFrame({"start": [THEN - 40 * minute, THEN - 3 * minute, THEN - 90 * minute],
                          "end": [THEN - 20 * minute, THEN - timedelta(seconds=10),
                                  THEN - 60 * minute]},
                         schema={"start": pl.Datetime("ms", "UTC"),
                                 "end": pl.Datetime("ms", "UTC")})
    # Only the gap whose last lost poll is within one interval (15 s) of the moment.
    assert cmp.gaps_holding(found, THEN, timedelta(seconds=15)) == (
        (THEN - 3 * minute, THEN - timedelta(seconds=10)),)
    assert cmp.gaps_holding(found, THEN, timedelta(seconds=5)) == ()
    assert cmp.gaps_holding(found.clear(), THEN, timedelta(seconds=15)) == ()
    held = cmp.compare(cmp.side(inc(("a", REC, "", 10)), AT),
                       cmp.side(inc(("a", REC, "", 8)), THEN), centres("a"),
                       cmp.gaps_holding(found, THEN, timedelta(seconds=15)))
    assert held.state == cmp.GAP and held.change("received") is None
    d = week_view.display(held, VI, TZ)
    assert d.notes == ("Tuần trước mất dữ liệu thu thập từ 09:57 đến 09:59, đúng thời điểm so "
                       "sánh: số tuần trước chưa đủ, không tính chênh lệch.",)
    assert d.rows[0].change_text == "—" and d.rows[0].then_text == "8"
