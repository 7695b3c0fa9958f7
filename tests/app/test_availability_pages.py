"""One availability figure: the finder, the commune page, the briefing and the KPI page show
the same time-weighted "availability 24 h" for the same centre (AppTest, seeded SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.views import fmt
from metrics.results import ProbeResult, Sample
from metrics.store import Store
from tests.conftest import hue_centres
from tests.fixtures.personas import (
    BRIEFING_END,
    HEALTHY,
    assign_personas,
    healthy_ward,
    seed,
    unreachable_mountain_commune,
)

AT = "2025-07-03T10:00"  # BRIEFING_END in Huế time
TIMEOUT_S = 60
PAGES = {"finder": "app_pages/finder.py", "commune": "app_pages/commune.py",
         "briefing": "app_pages/briefing.py", "kpi": "app_pages/kpi.py"}
PCT, UNKNOWN = "Khả dụng 24 giờ (%)", "Không có dữ liệu 24 giờ (phút)"
# The centre's last hour (09:00-10:00 Huế time) is polled every 15 s: an 8-minute outage with
# a re-probe 0.2 s after each failed poll, then 4 minutes in which its own system reports
# down. Before it, the seeded history: a poll every 300 s, each standing for the staleness
# threshold (config/alerts.yaml's centre_silent: two 15-s intervals, 30 s), the rest of each
# 5 minutes without data.
UP_S = 23 * 12 * 30 + (3600 - 480 - 240)
DOWN_S = 480 + 240
EXPECTED_PCT = round(UP_S / (UP_S + DOWN_S) * 100, 1)  # 93.9; counting polls gave 85.4
EXPECTED_UNKNOWN_MIN = (86_400 - UP_S - DOWN_S) / 60  # 1,242 minutes
# As the tables write them (numbers reach Streamlit's grids as Vietnamese text).
SHOWN = (fmt.number(EXPECTED_PCT, "vi", 1), fmt.number(EXPECTED_UNKNOWN_MIN, "vi"))


def last_hour(centre_id: str) -> list[ProbeResult]:
    start = (BRIEFING_END - timedelta(hours=1)).timestamp()
    out = []
    for i in range(240):
        ts = start + 15 * i
        if 20 * 60 <= 15 * i < 28 * 60:
            out += [unreachable_mountain_commune(centre_id, ts),
                    unreachable_mountain_commune(centre_id, ts + 0.2)]
        elif 40 * 60 <= 15 * i < 44 * 60:
            soft = healthy_ward(centre_id, ts)
            soft.samples = [Sample("system_state", 0.0) if s.metric == "system_state" else s
                            for s in soft.samples]
            out.append(soft)
        else:
            out.append(healthy_ward(centre_id, ts))
    return out


@pytest.fixture(scope="module")
def store_url(tmp_path_factory) -> tuple[str, str]:
    """A seeded Huế store (26 h every 300 s) in which one healthy ward has the last hour
    above (written first: the seeded polls at the same times are then ignored)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('avail') / 'avail.db'}"
    centres = hue_centres()
    centre_id = sorted(c for c, p in assign_personas(centres).items() if p == HEALTHY)[0]
    with Store.open(url) as db:
        db.sync_centres(centres)
        db.write(last_hour(centre_id))
        seed(db, centres, hours=26)
    return url, centre_id


def row_of(table, column: str, value: str) -> dict:
    rows = table[table[column] == value]
    assert len(rows) == 1, f"{value} in {column}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


def test_the_four_pages_show_one_time_weighted_availability_for_a_centre(store_url, page):
    url, centre_id = store_url
    assert EXPECTED_PCT == 93.9

    finder = page(url, PAGES["finder"], timeout_s=TIMEOUT_S, at=AT)
    assert not finder.exception and not finder.error
    found = row_of(finder.dataframe[0].value, "Mã", centre_id)
    name = found["Trung tâm"]
    assert (found[PCT], found[UNKNOWN]) == SHOWN

    commune = page(url, PAGES["commune"], timeout_s=TIMEOUT_S, at=AT, centre=centre_id)
    assert not commune.exception and not commune.error
    tile = next(m for m in commune.metric if m.label == "Khả dụng 24 giờ")
    assert tile.value == "93,9 %"
    assert tile.proto.delta == "không có dữ liệu 20 giờ 42 phút"

    briefing = page(url, PAGES["briefing"], timeout_s=TIMEOUT_S, at=AT)
    assert not briefing.exception and not briefing.error
    centres = next(d.value for d in briefing.dataframe if PCT in d.value.columns)
    shown = row_of(centres, "Trung tâm", name)
    assert (shown[PCT], shown[UNKNOWN]) == SHOWN

    kpi = page(url, PAGES["kpi"], timeout_s=TIMEOUT_S, at=AT)
    assert not kpi.exception and not kpi.error
    table = next(d.value for d in kpi.dataframe if PCT in d.value.columns)
    shown = row_of(table, "Trung tâm", name)
    assert (shown[PCT], shown[UNKNOWN]) == SHOWN
