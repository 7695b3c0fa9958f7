"""A shared-cause incident on the wall and the alerts page (AppTest): one row naming the likely
cause and the affected centres, in Vietnamese and in English, over alerts the real engine
wrote with the shipped config/alerts.yaml."""

from __future__ import annotations

import time

import pytest

from config.alerts import load_alerts
from metrics.alerts.engine import AlertEngine
from metrics.store import Store
from tests.conftest import hue_centres
from tests.fixtures.personas import healthy_ward, lagging_commune

CENTRES = hue_centres()
SLOW = [c.name for c in CENTRES[:4]]  # lagging: slow OTP and a portal sync hours behind


@pytest.fixture(scope="module")
def incident_url(tmp_path_factory) -> str:
    """Huế with 4 lagging centres for the last 200 s, evaluated every 10 s by the engine."""
    url = f"sqlite:///{tmp_path_factory.mktemp('incident') / 'ioc.db'}"
    now = time.time()
    with Store.open(url) as db:
        db.sync_centres(CENTRES)
        clock = [now - 200.0]
        engine = AlertEngine(db, load_alerts(), clock=lambda: clock[0])
        slow = {c.id for c in CENTRES[:4]}
        for ts in range(int(now) - 200, int(now), 10):
            db.write([lagging_commune(c.id, ts) if c.id in slow else healthy_ward(c.id, ts)
                      for c in CENTRES])
            clock[0] = ts + 1
            engine.evaluate()
    return url


def test_alerts_page_shows_each_incident_as_one_row_with_its_centres(incident_url, page):
    at = page(incident_url, "app_pages/alerts.py", role="tech")
    assert not at.exception
    # The lagging persona: slow OTP, sync hours behind, its system reporting degraded.
    assert "Đang kích hoạt (3)" in [s.value for s in at.subheader]  # the rows listed
    active = at.dataframe[0].value
    assert set(active["Trung tâm"]) == {"Sự cố chung · 4 trung tâm"}
    options = at.selectbox[0].options  # the action picker names incidents the same way
    assert len(options) == 3
    assert all(" · Cảnh báo · Sự cố chung · 4 trung tâm · Nguyên nhân chung có thể: " in o
               for o in options), options
    # Rules by their names in words (dashboard/texts/vocab.py), never their identifiers.
    assert sorted(active["Quy tắc"]) == ["Hệ thống hoạt động kém", "OTP đến chậm",
                                          "Đồng bộ chậm"]
    otp = active[active["Quy tắc"] == "OTP đến chậm"]
    (summary,) = list(otp["Nội dung"])
    assert summary.startswith("Nguyên nhân chung có thể: cổng SMS/OTP của tỉnh — ")
    assert all(name in summary for name in SLOW)
    history = at.dataframe[1].value  # the centres' own alerts are there, each marked grouped
    incidents = history[history["Trung tâm"] == "Sự cố chung · 4 trung tâm"]
    assert sorted(incidents["Nội dung"]) == sorted({
        "Nguyên nhân chung có thể: cổng SMS/OTP của tỉnh",
        "Nguyên nhân chung có thể: đồng bộ Cổng DVC quốc gia",
        "Nguyên nhân chung có thể: hệ thống giải quyết thủ tục hành chính của tỉnh"})
    grouped = history[history["Trung tâm"].isin(SLOW)]
    assert len(grouped) == 12
    assert all(s.endswith("gộp vào sự cố chung") for s in grouped["Trạng thái"])


def test_alerts_page_in_english_names_the_cause_in_english(incident_url, page):
    at = page(incident_url, "app_pages/alerts.py", lang="en", role="tech")
    assert not at.exception
    active = at.dataframe[0].value
    where = [c for c in active.columns if set(active[c]) == {"Shared incident · 4 centres"}]
    assert where
    text = " ".join(" ".join(map(str, active[c])) for c in active.columns)
    assert "Likely shared cause: the province's SMS/OTP gateway — " in text
    assert "Likely shared cause: synchronisation with the National Public Service Portal" in text


def test_wall_lists_each_incident_once_with_its_centres(incident_url, page):
    at = page(incident_url, None, role="tech")
    assert not at.exception
    board = at.table[0].value
    assert list(board["Trung tâm"]) == ["Sự cố chung · 4 trung tâm"] * 3
    assert all(all(n in s for n in SLOW) for s in board["Nội dung"])


def test_silencing_an_incident_mutes_its_rule_in_its_province_only(incident_url, page):
    import json

    import sqlalchemy as sa

    from metrics.store import schema as t

    with Store.open(incident_url) as db, db.engine.connect() as conn:
        incident_id = conn.execute(sa.select(t.alerts.c.id).where(
            t.alerts.c.fingerprint == "incident:otp_p95_high/p46")).scalar_one()
    at = page(incident_url, "app_pages/alerts.py", role="tech")
    assert not at.exception
    at.selectbox[0].set_value(incident_id)
    at.text_input[0].input("Lan")
    at.text_input[1].input("VNPT đang sửa cổng SMS")
    at.button(key="alerts-silence").click().run()
    assert not at.exception
    with Store.open(incident_url) as db, db.engine.connect() as conn:
        (matchers,) = conn.execute(sa.select(t.silences.c.matchers)).scalars().all()
    assert json.loads(matchers) == {"rule": "otp_p95_high", "labels": {"province_code": "46"}}
