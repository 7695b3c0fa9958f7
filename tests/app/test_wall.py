"""The wall page through Streamlit's AppTest, against a seeded SQLite store."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from config.alerts import load_alerts
from config.registry import all_centres
from dashboard.views import fmt
from dashboard.widgets.components import md_text
from metrics.alerts.assignments_store import assign
from metrics.store import Store, to_ms
from tests.conftest import hue_centres
from tests.fixtures.alert_rows import add_alert
from tests.fixtures.last_week import WEEK, expected_sums, seed_last_week
from tests.fixtures.personas import BRIEFING_END, PERSONAS, UNREACHABLE, seed

BRIEFING_AT = "2025-07-03T10:00"  # local time, the seeded history's end
NATIONAL_CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "config" / "good_national.yaml"


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_today(seeded, metric: str) -> int:
    """What the personas' counters say at the seeded end (they start from 0 before 07:30)."""
    ts = seeded.end.timestamp()
    return int(sum(s.value for cid, p in seeded.personas.items() if p != UNREACHABLE
                   for s in PERSONAS[p](cid, ts).samples if s.metric == metric))


def test_wall_shows_seeded_figures_in_vietnamese_when_replaying_the_briefing(
        seeded_store, page):
    seeded = seeded_store()
    at = page(seeded.store.engine.url.render_as_string(), at=BRIEFING_AT)
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
    (on_time,) = [m for m in at.metric if m.label == "Tỉ lệ đúng hạn"]
    assert "Khác chỉ số 2.1 (QĐ 766)" in on_time.proto.help  # which on-time rate it is
    assert shown["OTP p95 (trung vị)"] == "9 giây"
    assert shown["Trễ đồng bộ lớn nhất"] == "3 giờ"
    assert any("Đang xem lại dữ liệu lúc 10:00 03/07/2025" in i.value for i in at.info)
    assert "Cập nhật vừa xong" in " ".join(m.value for m in at.markdown)
    table = at.table[0].value
    assert list(table.columns) == ["Trung tâm", "Trạng thái", "Lý do", "Quá hạn"]
    assert list(table["Trạng thái"][:down]) == ["Ngừng hoạt động"] * down
    assert "không phản hồi" in table["Lý do"].iloc[0]


def test_wall_shows_stale_not_healthy_when_newest_data_is_old(seeded_store, page):
    seeded = seeded_store()  # history from July 2025, read "now": long stale
    at = page(seeded.store.engine.url.render_as_string())
    assert not at.exception
    assert any("Dữ liệu không cập nhật từ" in m.value for m in at.markdown)  # the banner
    shown = tiles(at)
    assert shown["Trung tâm hoạt động"] == "—/40"
    assert "0" not in shown.values()
    assert shown["Hồ sơ tiếp nhận"] == "—"  # nothing collected today: a dash, never 0
    assert "Dữ liệu cũ" in set(at.table[0].value["Trạng thái"])


def test_wall_says_no_data_yet_when_the_store_is_empty(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    at = page(url)
    assert not at.exception
    assert not at.error
    assert any("Chưa có dữ liệu" in i.value for i in at.info)


def test_wall_shows_dashes_when_centres_were_never_polled(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'centres-only.db'}"
    with Store.open(url) as db:
        db.sync_centres(hue_centres())
    at = page(url)
    assert not at.exception
    shown = tiles(at)
    assert shown["Trung tâm hoạt động"] == "—/40"
    assert shown["Tỉ lệ đúng hạn"] == "—"
    assert any("Chưa có dữ liệu" in i.value for i in at.info)


def test_wall_speaks_english_when_asked_by_query_or_sidebar(seeded_store, page):
    url = seeded_store().store.engine.url.render_as_string()
    at = page(url, at=BRIEFING_AT, lang="en")
    assert not at.exception
    assert "Centres up" in tiles(at)
    assert at.table[0].value.columns[0] == "Centre"

    at = page(url, at=BRIEFING_AT)
    assert "Trung tâm hoạt động" in tiles(at)
    at.sidebar.radio[0].set_value("en").run()
    assert "Centres up" in tiles(at)
    assert at.query_params["lang"] == "en"


# --- kiosk, playlist, national view, active alerts ---------------------------------------

def _url(seeded) -> str:
    return seeded.store.engine.url.render_as_string()


def test_wall_kiosk_hides_every_control_and_shows_the_firing_alerts(seeded_store, page):
    seeded = seeded_store()
    down = seeded.ids(UNREACHABLE)[0]
    add_alert(seeded.store, centre_id=down, province_code=46, severity="critical",
              state="firing", start=seeded.end - timedelta(hours=1))
    add_alert(seeded.store, centre_id=down, province_code=46, severity="warning",
              state="resolved", start=seeded.end - timedelta(hours=3),
              resolved_after=timedelta(minutes=30), summary="đã xong")
    at = page(_url(seeded), at=BRIEFING_AT, kiosk="1")
    assert not at.exception
    assert not at.sidebar.radio and not at.button and not at.get("segmented_control")
    assert any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    board = kiosk_lists(at)  # the alert list sits above the lagging centres
    assert board.count("ioc-sev-critical") == 1 and "NGHIÊM TRỌNG" in board
    assert "đã xong" not in board  # the resolved one is not active
    assert "! Chưa ai xử lý" in board  # nobody has acknowledged it
    assert "58\u00a0phút" in board
    down = len(seeded.ids(UNREACHABLE))
    assert tiles(at)["Trung tâm hoạt động"] == f"{40 - down}/40"
    # The count badge reads the tiles' status and the alert list's rows.
    assert f"{down} ngừng" in badge(at) and "1 cảnh báo" in badge(at)


def kiosk_lists(at: AppTest) -> str:
    """The kiosk wall's alert and lagging lists (one HTML block), its character
    references read."""
    (lists,) = [m.value for m in at.markdown if '<div class="ioc-lists">' in m.value]
    return html.unescape(lists)


def badge(at: AppTest) -> str:
    """The kiosk wall's count badge and the playlist's stop notice, if any."""
    return html.unescape(" ".join(m.value for m in at.markdown
                                  if '<div class="ioc-badges' in m.value))


def test_wall_shows_who_acknowledged_each_alert_in_kiosk_and_at_the_desk(seeded_store, page):
    seeded = seeded_store()
    first, second = seeded.ids(UNREACHABLE)[:2]
    add_alert(seeded.store, centre_id=first, province_code=46, severity="critical",
              state="firing", start=seeded.end - timedelta(hours=1), acked_by="Lan")
    add_alert(seeded.store, centre_id=second, province_code=46, severity="critical",
              state="firing", start=seeded.end - timedelta(minutes=50))
    lists = kiosk_lists(page(_url(seeded), at=BRIEFING_AT, kiosk="1"))
    assert "✓ Đã xác nhận bởi Lan: đang xử lý" in lists
    assert "! Chưa ai xử lý" in lists
    names = {c.id: c.name for c in seeded.centres}
    assert lists.index(names[first]) < lists.index("Đã xác nhận bởi Lan") \
        < lists.index(names[second]) < lists.index("Chưa ai xử lý")  # each on its own row
    desk = page(_url(seeded), at=BRIEFING_AT)
    assert list(desk.table[0].value["Xử lý"]) == [md_text("Đã xác nhận bởi Lan: đang xử lý"),
                                                  "Chưa ai xử lý"]


def test_wall_without_alerts_says_so_and_offers_the_map_metric(seeded_store, page):
    at = page(_url(seeded_store()), at=BRIEFING_AT)
    assert not at.exception
    assert any("Không có cảnh báo nào đang kích hoạt" in s.value for s in at.success)
    assert at.get("segmented_control")  # the map metric choice, outside kiosk mode


def test_wall_playlist_stops_on_a_new_critical_alert_until_it_is_acknowledged(
        seeded_store, page):
    """A critical alert firing for 2 minutes that nobody has acknowledged holds the playlist
    on the province showing it, with the large notice; acknowledged (before the moment
    shown), the playlist rotates again."""
    from config.alerts import load_alerts
    from dashboard.loaders import common as data
    from metrics.alerts import actions
    from metrics.store import to_ms

    seeded = seeded_store()
    alert_id = add_alert(seeded.store, centre_id=seeded.ids(UNREACHABLE)[0], province_code=46,
                         severity="critical", state="firing",
                         start=seeded.end - timedelta(minutes=3),
                         fired_after=timedelta(minutes=1))
    query = {"at": BRIEFING_AT, "kiosk": "1", "playlist": "province:1,province:46",
             "every": "30"}
    at = page(_url(seeded), **query)
    assert not at.exception
    held = badge(at)
    assert "DỪNG TRÌNH CHIẾU" in held and "ioc-held" in held
    assert "cảnh báo nghiêm trọng mới, chưa ai xác nhận" in held
    assert "muộn nhất 10:03 · Thành phố Huế" in held  # fired 09:58 (local), held 300 s
    # at most; then the view's name
    actions.acknowledge(seeded.store, load_alerts(), alert_id, user="Lan", role="ioc_staff",
                        now=to_ms(seeded.end - timedelta(seconds=30)))
    data.alerts_version.clear()  # read the alert tables again now, not within its 2-s cache
    at = page(_url(seeded), **query)
    assert not at.exception
    assert "DỪNG TRÌNH CHIẾU" not in badge(at)
    assert "Trình chiếu" in at.caption[0].value  # rotating: "Trình chiếu i/n"


def test_wall_playlist_rotates_past_an_old_unacknowledged_critical_alert(seeded_store, page):
    """Firing for longer than dashboard.playlist_hold_s: the rotation goes on; the alert
    stays on the wall's list."""
    seeded = seeded_store()
    add_alert(seeded.store, centre_id=seeded.ids(UNREACHABLE)[0], province_code=46,
              severity="critical", state="firing", start=seeded.end - timedelta(hours=1))
    at = page(_url(seeded), at=BRIEFING_AT, kiosk="1", playlist="province:1,province:46",
              every="30")
    assert not at.exception
    assert "DỪNG TRÌNH CHIẾU" not in badge(at)
    assert "Trình chiếu" in at.caption[0].value


def test_wall_playlist_rotates_and_reports_a_bad_item(seeded_store, page):
    url = _url(seeded_store())
    at = page(url, at=BRIEFING_AT, playlist="wall,alerts", every="30")
    assert not at.exception and not at.error
    assert "Trình chiếu" in at.caption[0].value
    at = page(url, at=BRIEFING_AT, playlist="wall,maps")
    assert any("maps" in w.value for w in at.warning)


def national_store(tmp_path) -> tuple[str, int]:
    """A store that knows every centre of the country and holds two hours of Huế's polls:
    its URL and how many of Huế's centres are down."""
    url = f"sqlite:///{tmp_path / 'national.db'}"
    with Store.open(url) as db:
        db.sync_centres(all_centres())
        seeded = seed(db, hue_centres(), hours=2, step_s=600, end=BRIEFING_END)
    return url, len(seeded.ids(UNREACHABLE))


def test_wall_national_view_aggregates_provinces_and_narrows_to_one(tmp_path, page):
    url, down = national_store(tmp_path)
    at = page(url, config=NATIONAL_CONFIG, at=BRIEFING_AT)
    assert not at.exception
    assert at.title[0].value.endswith("Toàn quốc")
    assert tiles(at)["Trung tâm hoạt động"] == f"{40 - down}/3355"
    assert any("25 %" in c.value for c in at.caption)  # the province rule is stated
    at.query_params["province"] = "46"
    at.run()
    assert at.title[0].value == "Thành phố Huế"
    # Huế's 40 communes and its provincial centre (in the national fleet, never polled here).
    assert tiles(at)["Trung tâm hoạt động"] == f"{40 - down}/41"


def test_wall_says_when_collection_falls_behind(tmp_path, page):
    """Fresh data, but the collector has been missing ticks: the page says so."""
    import time

    from dashboard.loaders import common as data
    from metrics.results import ProbeResult
    from metrics.store import cadence

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    now = time.time()
    with Store.open(url) as db:
        db.sync_centres(hue_centres())
        db.write([ProbeResult(c.id, now - 1, True, 0.05) for c in hue_centres()])
        at = page(url)
        assert not any("Thu thập đang chậm" in m.value for m in at.markdown)
        cadence.record(db.engine, "", int(now * 1000), 1, 3, 5.0)
    data.collection_behind.clear()  # read again now, not within the probe's 2-s cache
    at = page(url)
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "Thu thập đang chậm" in shown and "bỏ lỡ 1 chu kỳ 5 giây" in shown
    assert "Dữ liệu không cập nhật" not in shown  # not stale: behind is said apart


def test_national_kiosk_wall_shows_the_badge_and_the_fitted_lists(tmp_path, page):
    url, down = national_store(tmp_path)
    at = page(url, config=NATIONAL_CONFIG, at=BRIEFING_AT, kiosk="1")
    assert not at.exception
    assert f"{down} ngừng · 0 cảnh báo" in re.sub(r"<[^>]+>", "", badge(at))
    lists = kiosk_lists(at)
    assert "Không có cảnh báo nào đang kích hoạt." in lists
    assert lists.count("ioc-st-down") == down  # every down centre has its row


def test_wall_sets_todays_dossiers_beside_last_weeks_and_counts_overdue_work(seeded_store,
                                                                             page):
    """The received and resolved tiles carry the same time last week (the briefing's
    comparison, `data_compare`), computed here from the polls written; an assignment past
    its due time is counted in the kiosk's badge and listed at the desk."""
    seeded = seeded_store()
    then_polls = seed_last_week(seeded, 0.8)
    day = fmt.local_midnight(BRIEFING_END, "Asia/Ho_Chi_Minh")
    then = expected_sums(then_polls, day - WEEK, BRIEFING_END - WEEK)
    centre = seeded.ids(UNREACHABLE)[0]
    assign(seeded.store, load_alerts(), unit="network_carrier", note="gọi VNPT", user="Lan",
           role="tech", centre_id=centre, now=to_ms(BRIEFING_END - timedelta(hours=3)),
           due_at=to_ms(BRIEFING_END - timedelta(hours=1)))
    kiosk = page(_url(seeded), at=BRIEFING_AT, kiosk="1")
    assert not kiosk.exception
    details = {m.label: m.proto.delta.replace("\xa0", " ") for m in kiosk.metric}
    assert details["Hồ sơ tiếp nhận"].startswith(f"tuần trước {fmt.number(then['received'])} (+")
    assert details["Hồ sơ đã giải quyết"].startswith(
        f"tuần trước {fmt.number(then['resolved'])}")
    assert "1 việc quá hạn" in badge(kiosk)
    desk = page(_url(seeded), at=BRIEFING_AT)
    (warning,) = [w.value for w in desk.warning if "việc quá hạn" in w.value]
    assert "gọi VNPT" in warning or "quá hạn 1 giờ" in warning


def test_wall_says_last_week_has_no_figure_rather_than_zero(seeded_store, page):
    seeded = seeded_store()
    at = page(_url(seeded), at=BRIEFING_AT, kiosk="1")
    details = {m.label: m.proto.delta.replace("\xa0", " ") for m in at.metric}
    assert details["Hồ sơ tiếp nhận"] == "tuần trước: không có số liệu"
