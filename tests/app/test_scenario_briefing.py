"""The seed's day: the `hue-first-week` scenario backfilled through the real pipeline
(simulator model → collector parse path → store), then the briefing page at 10:00 on
3 July 2025, counting from 1 July, states the reported figures (docs/simulator.md)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from collectors.commands.backfill import backfill_scenario, scenario_link
from config.loader import DEFAULT_CONFIG, load_settings
from metrics.store import dialects
from tests.conftest import PG_URL, _pg_admin

TIMEOUT_S = 60
BRIEFING = "app_pages/briefing.py"


def _backfilled(url: str) -> str:
    settings = load_settings(DEFAULT_CONFIG, env={})
    settings = settings.model_copy(update={
        "store": settings.store.model_copy(update={"url": url}),
        "simulator": settings.simulator.model_copy(update={"scenario": "hue-first-week"})})
    summary = backfill_scenario(settings)
    assert summary["polls"] == 40 * 3 * 97  # every 15 min and the last second of each day
    assert backfill_scenario(settings)["polls"] == 0  # a second run adds nothing
    return url


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def scenario_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield _backfilled(f"sqlite:///{tmp_path_factory.mktemp('scenario') / 'ioc.db'}")
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = _pg_admin()
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = dialects.normalise_url(PG_URL).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        yield _backfilled(url)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _query(link: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))


def test_the_briefing_at_10_00_on_3_july_states_the_reported_figures(scenario_url, page):
    settings = load_settings(DEFAULT_CONFIG, env={})
    settings = settings.model_copy(update={"simulator": settings.simulator.model_copy(
        update={"scenario": "hue-first-week"})})
    query = _query(scenario_link(settings))  # the link `ioc demo --scenario` prints
    assert query == {"since": "2025-07-01", "at": "2025-07-03T10:00"}
    at = page(scenario_url, BRIEFING, timeout_s=TIMEOUT_S, **query)
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Hồ sơ tiếp nhận"] == "1.283"
    assert tiles["Đã giải quyết"] == "382"
    text = " ".join(t.value for t in at.text)
    assert ("Tính đến 10:00 ngày 03/07/2025 (từ ngày 01/07/2025), 40 Trung tâm Phục vụ hành "
            "chính công cấp xã đã tiếp nhận 1.283 hồ sơ, trong đó đã giải quyết 382 hồ sơ."
            ) in text
    assert ("Tiếp nhận nhiều nhất: phường Phú Xuân (151) và xã Quảng Điền (151)." in text
            or "Tiếp nhận nhiều nhất: xã Quảng Điền (151) và phường Phú Xuân (151)." in text)
    assert "Giải quyết nhiều nhất: xã Quảng Điền (61) và phường Hương An (36)." in text
    tops = [d.value for d in at.dataframe][:2]
    received = dict(zip(tops[0]["Trung tâm"], tops[0]["Tiếp nhận"], strict=True))
    assert received == {"Phường Phú Xuân": "151", "Xã Quảng Điền": "151"}
    resolved = dict(zip(tops[1]["Trung tâm"], tops[1]["Đã giải quyết"], strict=True))
    assert resolved == {"Xã Quảng Điền": "61", "Phường Hương An": "36"}
    caption = " ".join(c.value for c in at.caption)
    assert "Hồ sơ: từ 00:00 ngày 01/07/2025 đến 10:00 ngày 03/07/2025" in caption
    # the days' troubles are there too: centres needing attention (slow sync, payment down)
    frames = [d.value for d in at.dataframe]
    attention = next(f for f in frames if list(f.columns) == ["Trung tâm", "Lý do"])
    assert {"Phường Phong Dinh", "Phường Mỹ Thượng"} <= set(attention["Trung tâm"])


def test_without_since_the_briefing_counts_3_july_alone(scenario_url, page):
    at = page(scenario_url, BRIEFING, timeout_s=TIMEOUT_S, at="2025-07-03T10:00")
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    received = int(tiles["Hồ sơ tiếp nhận"].replace(".", ""))
    assert 0 < received < 1283  # the third morning's share only
    at.date_input(key="briefing-since").set_value(date(2025, 7, 1)).run()
    assert {m.label: m.value for m in at.metric}["Hồ sơ tiếp nhận"] == "1.283"


def test_the_briefing_in_english_states_the_same_figures(scenario_url, page):
    at = page(scenario_url, BRIEFING, timeout_s=TIMEOUT_S, since="2025-07-01",
              at="2025-07-03T10:00", lang="en")
    assert not at.exception
    text = " ".join(t.value for t in at.text)
    assert ("As of 10:00 on 03/07/2025 (counting from 01/07/2025), the 40 commune Public "
            "Administration Service Centres had received 1,283 dossiers, of which 382 were "
            "resolved.") in text
