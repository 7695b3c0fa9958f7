"""The dashboard's loaders cut every read to the scope (called directly, over a real SQLite
store holding two provinces), and the exports made from them hold nothing else."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from config.loader import load_settings
from dashboard import (
    data,
    data_alerts,
    data_briefing,
    data_commune,
    data_finder,
    data_kpi,
    finder_view,
    fmt,
    i18n,
    report,
)
from metrics import lagging
from metrics.scope import commune, national, province
from metrics.store import Store, to_ms
from tests.fixtures.access import LEAK, OFFICER_CENTRE, two_provinces
from tests.fixtures.personas import BRIEFING_END

TR = i18n.text("vi")
TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('loaders') / 'two.db'}"
    with Store.open(url) as db:
        both = two_provinces(db, BRIEFING_END)
    cfg = load_settings(env={"IOC_DB_URL": url, "IOC_DASHBOARD__STALE_AFTER_S": "100000000"})
    return cfg, both


def test_wall_frames_read_only_the_scopes_centres(world):
    cfg, both = world
    url, day = cfg.store.url, to_ms(fmt.local_midnight(BRIEFING_END, TZ))
    at = to_ms(BRIEFING_END)
    for scope, expected in ((province(46), set(both.ours)),
                            (commune(OFFICER_CENTRE), {OFFICER_CENTRE}),
                            (national(), set(both.ours) | set(both.theirs))):
        f = data.wall_frames(url, None, day, at, str(scope))
        assert set(f.centres["id"]) == expected
        for frame in (f.polls, f.gauges, f.today):
            assert set(frame["centre_id"]) <= expected and frame.height


def test_alert_loaders_read_only_the_scopes_alerts(world):
    cfg, _ = world
    url = cfg.store.url
    ours = data.wall_alerts(cfg, BRIEFING_END, scope=province(46), replay=True)
    assert set(ours["province_code"]) == {46} and ours.height == 1
    everyone = data.wall_alerts(cfg, BRIEFING_END, scope=national(), replay=True)
    assert set(everyone["province_code"]) == {1, 46}
    hist = data_alerts.history(url, BRIEFING_END - timedelta(hours=3), BRIEFING_END,
                               scope=province(46))
    assert set(hist["province_code"]) == {46}
    assert not any(LEAK in (s or "") for s in hist["summary"])
    assert data_alerts.failed_deliveries(url, scope=province(46)) is None
    assert data_alerts.failed_deliveries(url, scope=national()) is not None


def test_briefing_and_its_exports_hold_only_the_scope(world):
    cfg, both = world
    b = data_briefing.briefing_view(cfg, BRIEFING_END, scope=province(46))
    assert set(b.centres["id"]) == set(both.ours)
    html = report.html_report(b, TR, TZ, cfg.deployment.name)
    csv = report.csv_bytes(b, TR).decode("utf-8")
    assert LEAK not in html and LEAK not in csv
    national_b = data_briefing.briefing_view(cfg, BRIEFING_END, scope=national())
    assert LEAK in report.html_report(national_b, TR, TZ, cfg.deployment.name)


def test_finder_and_its_csv_hold_only_the_scope(world):
    cfg, both = world
    table = data_finder.finder_table(cfg, BRIEFING_END, scope=province(46), replay=True)
    assert set(table["id"]) == set(both.ours)
    rules = lagging.rules_from(cfg.dashboard.lagging)
    rows = lagging.select_rows(lagging.evaluate(table, rules))
    csv = finder_view.csv_bytes(finder_view.display_table(rows, rules, TR), TR)
    assert LEAK not in csv.decode("utf-8")


def test_kpi_reads_only_the_scope(world):
    cfg, both = world
    view = data_kpi.kpi_view(cfg, fmt.local_midnight(BRIEFING_END, TZ), BRIEFING_END,
                             scope=province(46))
    assert set(view.centres["id"]) <= set(both.ours)
    assert view.provinces["province_code"].to_list() == [46]


def test_commune_loaders_find_and_open_only_centres_in_scope(world):
    cfg, both = world
    other = both.theirs[0]
    assert data_commune.find_centre(cfg, other, scope=province(46)) is None
    assert data_commune.find_centre(cfg, both.ours[1], scope=commune(OFFICER_CENTRE)) is None
    mine = data_commune.find_centre(cfg, OFFICER_CENTRE, scope=commune(OFFICER_CENTRE))
    assert mine is not None
    theirs = data_commune.find_centre(cfg, other, scope=national())
    start = BRIEFING_END - timedelta(hours=3)
    with pytest.raises(PermissionError, match=other):
        data_commune.commune_view(cfg, theirs, start, BRIEFING_END, timedelta(minutes=15),
                                  BRIEFING_END, scope=province(46))
    view = data_commune.commune_view(cfg, mine, start, BRIEFING_END, timedelta(minutes=15),
                                     BRIEFING_END, scope=commune(OFFICER_CENTRE))
    assert view.province_centres == 1 and view.has_data
    assert data_commune.centres(cfg.store.url, None, "province:1").filter(
        pl.col("province_code") != 1).is_empty()
