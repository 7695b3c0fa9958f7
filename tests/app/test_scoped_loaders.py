"""The dashboard's loaders cut every read to the scope (called directly, over a real SQLite
store holding two provinces), and the exports made from them hold nothing else."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from config.loader import load_settings
from config.scope import commune, national, province
from dashboard import i18n
from dashboard.loaders import alerts as data_alerts
from dashboard.loaders import briefing as data_briefing
from dashboard.loaders import common as data
from dashboard.loaders import commune as data_commune
from dashboard.loaders import finder as data_finder
from dashboard.loaders import kpi as data_kpi
from dashboard.views import finder as finder_view
from dashboard.views import fmt, report
from metrics import lagging
from metrics import queries as q
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
    cfg = load_settings(env={"IOC_DB_URL": url})
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
        for frame in (f.polls, f.gauges, f.today.increases):
            assert set(frame["centre_id"]) <= expected and frame.height


READS = ("latest_polls", "latest", "increases", "today_increases", "samples", "polls", "totals",
         "series")


@pytest.fixture
def reads(world, monkeypatch):
    """The centre ids each read of the dashboard's (real, SQLite) Store was given: a spy
    that records the argument and calls the Store's own method."""
    db = data.store(world[0].store.url)
    seen: list[tuple[str, list[str] | None]] = []
    for name in READS:
        method = getattr(db, name)

        def spy(*args, _name=name, _method=method, **kwargs):
            seen.append((_name, kwargs.get("centre_ids")))
            return _method(*args, **kwargs)
        monkeypatch.setattr(db, name, spy)
    data.forget_live()
    yield seen
    data.forget_live()


def test_a_province_wall_reads_only_that_province(world, reads):
    cfg, both = world
    url, day = cfg.store.url, to_ms(fmt.local_midnight(BRIEFING_END, TZ))
    f = data.wall_frames(url, None, day, to_ms(BRIEFING_END), "national", 46)
    assert set(f.centres["id"]) == set(both.ours)
    assert {name for name, _ in reads} == {"latest_polls", "latest", "today_increases"}
    assert all(sorted(ids) == sorted(both.ours) for _, ids in reads)  # never None (all)
    for frame in (f.polls, f.gauges, f.today.increases):
        assert set(frame["centre_id"]) <= set(both.ours) and frame.height
    reads.clear()
    view = data.wall_view(cfg, BRIEFING_END, scope=national(), replay=True, province=46)
    board = data.wall_alerts(cfg, BRIEFING_END, scope=national(), replay=True, province=46)
    assert set(view.status["id"]) == set(both.ours) and view.provinces["province_code"] \
        .to_list() == [46]
    assert set(board["province_code"]) == {46} and board.height == 1
    assert reads and all(ids is not None and set(ids) <= set(both.ours) for _, ids in reads)


def test_a_province_narrows_a_scope_and_never_widens_it(world, reads):
    cfg = world[0]
    url, day, at = cfg.store.url, to_ms(fmt.local_midnight(BRIEFING_END, TZ)), \
        to_ms(BRIEFING_END)
    other = data.wall_frames(url, None, day, at, "province:46", 1)  # not the user's province
    assert other.centres.is_empty() and other.polls.is_empty() and other.today.increases.is_empty()
    assert all(ids == [] for _, ids in reads)
    mine = data.wall_frames(url, None, day, at, f"commune:{OFFICER_CENTRE}", 46)
    assert set(mine.centres["id"]) == {OFFICER_CENTRE}
    assert set(mine.polls["centre_id"]) == {OFFICER_CENTRE}
    assert data.wall_alerts(cfg, BRIEFING_END, scope=province(46), replay=True,
                            province=1).is_empty()


def test_a_province_wall_shows_what_the_national_wall_shows_for_it(world):
    cfg, both = world
    url = cfg.store.url
    narrowed = data.wall_view(cfg, BRIEFING_END, scope=national(), replay=True, province=46)
    # the former way: the whole country's frames, cut to the province afterwards
    whole = data.wall_frames(url, data.newest_ms(url),
                             to_ms(fmt.local_midnight(BRIEFING_END, TZ)), to_ms(BRIEFING_END),
                             "national")
    centres = whole.centres.filter(pl.col("province_code") == 46)
    status = q.with_alerts(q.centre_status(centres, whole.polls, whole.gauges, BRIEFING_END,
                                           data.policy(cfg)),
                           data.open_alerts(url, to_ms(BRIEFING_END), "national", 46),
                           data.policy(cfg))
    today = whole.today.increases.filter(pl.col("centre_id").is_in(both.ours))
    polls = whole.polls.filter(pl.col("centre_id").is_in(both.ours))
    assert narrowed.status.drop("down_since", "since_window_start").equals(
        status.drop("down_since", "since_window_start"))
    assert narrowed.newest == polls["ts"].max()
    assert narrowed.kpis == q.kpis(status, q.totals(today))
    assert narrowed.kpis.received and narrowed.status.height == 40
    national_board = data.wall_alerts(cfg, BRIEFING_END, scope=national(), replay=True)
    assert data.wall_alerts(cfg, BRIEFING_END, scope=national(), replay=True,
                            province=46).equals(
        national_board.filter(pl.col("province_code") == 46))


def test_alert_loaders_read_only_the_scopes_alerts(world):
    cfg, both = world
    url = cfg.store.url
    ours = data.wall_alerts(cfg, BRIEFING_END, scope=province(46), replay=True)
    assert set(ours["province_code"]) == {46} and ours.height == 1
    everyone = data.wall_alerts(cfg, BRIEFING_END, scope=national(), replay=True)
    assert set(everyone["province_code"]) == {1, 46}
    start = BRIEFING_END - timedelta(hours=3)
    hist, total = data_alerts.history_page(url, start, BRIEFING_END, scope=province(46))
    assert set(hist["province_code"]) == {46} and total == hist.height
    assert not any(LEAK in (s or "") for s in hist["summary"])
    everyone_hist = data_alerts.history_page(url, start, BRIEFING_END, scope=national())[0]
    theirs = everyone_hist.filter(pl.col("province_code") == 1)["centre_id"].drop_nulls()
    theirs = theirs.to_list()
    assert theirs and data_alerts.history_page(url, start, BRIEFING_END, scope=province(46),
                                               centres=theirs)[1] == 0
    period = data_alerts.summary(url, start, BRIEFING_END, scope=province(46))
    assert set(period.open["province_code"]) == {46}
    assert not any(LEAK in (n or "") for n in period.centres.values())
    assert period.centres and set(period.centres) <= set(both.ours)
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
    assert data_commune.centres(cfg.store.url, "province:1").filter(
        pl.col("province_code") != 1).is_empty()
