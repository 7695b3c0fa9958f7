"""Any moment, one answer: the wall, KPI page, briefing, finder and commune page give the same
dossier counts for the same `?at=`, and those are what the stored data say, computed here
straight from the tables: the raw samples to the dossier where they are still stored, else
the 5-minute or hourly roll-up rows, to the bucket (and the pages say which).

The store is seeded through the product's own paths, on SQLite and on PostgreSQL: a week of
history from the simulator's model through the collector's parse path
(`collectors.commands.backfill`), then live polls of the simulator over loopback HTTP (the
collector's scheduler), then retention with raw samples kept 2 days and 5-minute roll-ups 4,
so the week holds all three resolutions. Moments are drawn with a seeded RNG: mid-hour in the
raw days, just after a local midnight, in the 5-minute days and in the hourly days, plus the
live wall.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from collectors.commands.backfill import history, steps
from collectors.polling.poll import PollOptions
from collectors.polling.scheduler import Scheduler
from collectors.polling.targets import build_targets
from collectors.simulator.background import BackgroundSimulator
from config.loader import DEFAULT_CONFIG, load_settings
from config.scope import national
from config.settings import RetentionSettings, Settings
from dashboard.loaders import briefing as data_briefing
from dashboard.loaders import common as data
from dashboard.loaders import commune as data_commune
from dashboard.loaders import finder as data_finder
from dashboard.loaders import kpi as data_kpi
from dashboard.views import fmt
from metrics import queries as q
from metrics.kpi_text import fnum
from metrics.resolutions import FIVE_MIN_MS, HOUR_MS, bucket_start
from metrics.store import Store, from_ms, to_ms
from metrics.store.retention import Pruner
from metrics.store.rollups import step
from tests.conftest import PG_URL, hue_centres
from tests.faults.scratch_pg import ScratchDatabase
from tests.fixtures.pages import open_page

pytestmark = pytest.mark.slow

TZ = "Asia/Ho_Chi_Minh"
CENTRES = hue_centres()[:8]
SEED = 7  # the simulator's (settings.simulator.seed): backfill and live polls agree
RAW_DAYS, FIVE_MIN_DAYS = 2, 4
COUNTERS = {"received": "dossiers_received_total", "resolved": "dossiers_resolved_total",
            "late": "dossiers_resolved_late_total"}
TILES = {"received": "Hồ sơ tiếp nhận", "resolved": "Hồ sơ đã giải quyết",
         "late": "Giải quyết trễ hạn"}
BRIEFING_TILES = {"received": "Hồ sơ tiếp nhận", "resolved": "Đã giải quyết",
                  "late": "Trễ hạn"}
ENV = {"IOC_CONFIG": str(DEFAULT_CONFIG), "IOC_DASHBOARD__AUTH": "none",
       "IOC_STORE__RETENTION": f"{{raw_days: {RAW_DAYS}, rollup_5m_days: {FIVE_MIN_DAYS}}}"}


@dataclass(frozen=True)
class World:
    url: str
    newest: datetime  # the newest poll (a live one, over HTTP)
    raw_from: datetime  # the oldest poll left after retention


def live_polls(store: Store, port: int, cycles: int = 2) -> None:
    """`cycles` collection cycles of the live collector's scheduler against the simulator."""
    settings = Settings.model_validate({"simulator": {"port": port}, "collector": {
        "interval_s": 4, "timeout_s": 2.0, "connect_timeout_s": 1.0, "workers": 1,
        "concurrency": 16}})
    targets = build_targets(settings, CENTRES)
    with Scheduler(targets, PollOptions.from_settings(settings.collector), workers=1,
                   concurrency=16) as scheduler:
        for i in range(cycles):
            if i:
                time.sleep(1.2)
            results = scheduler.poll(time.monotonic() + 4).results
            assert sum(r.ok for r in results) >= len(CENTRES) // 2  # answered over HTTP
            store.write(results)


def build(url: str) -> World:
    with Store.open(url) as store:
        store.sync_centres(CENTRES)
        now = time.time()
        times = steps(now - 60, days=7, step_s=300)  # 5-minute polls the last day, 15 before
        for results in history(CENTRES, SEED, times, timeout_s=2.0, processes=1,
                               chunk_steps=96):
            store.write(results)
        with BackgroundSimulator(CENTRES, seed=SEED) as sim:
            live_polls(store, sim.port)
        Pruner(store.engine, RetentionSettings(raw_days=RAW_DAYS,
                                               rollup_5m_days=FIVE_MIN_DAYS)).run()
        with store.engine.connect() as conn:
            oldest = conn.execute(sa.text("SELECT min(ts) FROM polls")).scalar_one()
        newest = store.newest_ts()
        assert newest is not None and newest.timestamp() > times[-1]  # the live polls' time
        return World(url, newest, from_ms(int(oldest)))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                                marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    if request.param == "sqlite":
        yield build(f"sqlite:///{tmp_path_factory.mktemp('replay') / 'week.db'}")
        return
    scratch = ScratchDatabase(PG_URL).create()
    try:
        yield build(scratch.url)
    finally:
        data.store.clear()  # the dashboard's engine, before the database goes
        scratch.drop()


@pytest.fixture
def env(world, monkeypatch):
    for key, value in {**ENV, "IOC_DB_URL": world.url}.items():
        monkeypatch.setenv(key, value)
    return load_settings()


# -- the independent computation --------------------------------------------------------


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


SERIES = ("SELECT s.centre_id, s.metric, x.ts, {cols} FROM series s JOIN {table} x "
          "ON x.series_id = s.id WHERE s.metric IN ('dossiers_received_total', "
          "'dossiers_resolved_total', 'dossiers_resolved_late_total') "
          "AND x.ts >= :lo AND x.ts < :hi ORDER BY s.centre_id, s.metric, x.ts")
RAW_COLS = "x.value, x.value, 0.0"  # a sample as a bucket of one: first, last, increase within
BUCKET_COLS = "x.first_value, x.last_value, x.inc_within"


@dataclass(frozen=True)
class Expected:
    resolution: str  # "raw", "5m" or "1h"
    until: datetime
    by_centre: dict[str, dict[str, int]]  # centre → received/resolved/late

    def total(self, key: str) -> int:
        return sum(c[key] for c in self.by_centre.values())

    def shown(self, key: str) -> int | None:
        """The total a page shows: none ("—") when nothing of the day is counted yet (a
        moment in the first hour of a day kept only as hourly roll-ups)."""
        return self.total(key) if self.by_centre else None


def expected(world: World, at: datetime, now: datetime) -> Expected:
    """Today's counts at `at` from the tables: each sample's (or bucket's) step from the one
    before, the hour before midnight included, the day's first without one in full; a
    bucket adds its increase between its own samples."""
    at_ms = to_ms(at)
    midnight = to_ms(fmt.local_midnight(at, TZ))
    five, hour = bucket_start(at_ms, FIVE_MIN_MS), bucket_start(at_ms, HOUR_MS)
    if at_ms >= to_ms(world.newest) or five >= to_ms(world.raw_from):
        resolution, until, table, cols = "raw", at_ms, "samples", RAW_COLS
        hi = at_ms + 1  # the sample at `at` counts
    else:
        kept = hour >= to_ms(now) - FIVE_MIN_DAYS * 86_400_000
        resolution, until, table = ("5m", five, "rollup_5m") if kept else \
            ("1h", hour, "rollup_1h")
        cols, hi = BUCKET_COLS, until  # whole buckets ending by `at`
    found = rows(world.url, SERIES.format(cols=cols, table=table), lo=midnight - HOUR_MS, hi=hi)
    prev: dict[tuple[str, str], float] = {}
    inside: dict[tuple[str, str], float] = {}
    for centre, metric, ts, *values in found:
        key, (first, last, within) = (centre, metric), map(float, values)
        if ts >= midnight:
            before = prev.get(key)
            inside[key] = (inside.get(key, 0.0) + within
                           + (first if before is None else step(before, first)))
        prev[key] = last
    counts: dict[str, dict[str, int]] = {}
    for (centre, metric), value in inside.items():
        name = next(k for k, m in COUNTERS.items() if m == metric)
        counts.setdefault(centre, dict.fromkeys(COUNTERS, 0))[name] = round(value)
    return Expected(resolution, from_ms(until), counts)


# -- the moments --------------------------------------------------------------------------


def moments(world: World, now: datetime) -> list[datetime]:
    """Seeded: mid-hour in the raw days, in the first hour after a local midnight (today's,
    or yesterday's before 02:00), in the 5-minute days and in the hourly days (away from
    the retention edges)."""
    rng = random.Random(20250703)
    minute = timedelta(minutes=1)

    def pick(lo: datetime, hi: datetime) -> datetime:
        span = int((hi - lo) / minute)
        return (lo + rng.randint(0, span) * minute).replace(second=0, microsecond=0)

    midnight = fmt.local_midnight(now, TZ)
    if now - midnight < timedelta(hours=2):  # its first hour must be over, with data after
        midnight -= timedelta(days=1)
    raw_lo = world.raw_from + timedelta(hours=1)
    return [
        pick(max(raw_lo, world.newest - timedelta(hours=20)), world.newest - 2 * minute),
        pick(max(raw_lo, world.newest - timedelta(hours=20)), world.newest - 2 * minute),
        pick(midnight + minute, midnight + 59 * minute),
        pick(now - timedelta(days=FIVE_MIN_DAYS - 0.3), world.raw_from - timedelta(hours=2)),
        pick(now - timedelta(days=6.8), now - timedelta(days=FIVE_MIN_DAYS + 0.3)),
    ]


def local_text(at: datetime) -> str:
    return fmt.local(at, TZ).strftime("%Y-%m-%dT%H:%M")


def run_page(page: str | None, **query: str) -> AppTest:
    at = open_page(page, timeout_s=60, **query)
    assert not at.exception, at.exception
    return at


def metrics_of(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def infos(at: AppTest) -> str:
    return " | ".join(str(e.value) for e in [*at.info, *at.caption])


def check_loaders(world: World, cfg, at: datetime, want: Expected, replay: bool = True
                  ) -> None:
    """The finder's, commune page's, KPI page's and briefing's figures for `at`."""
    scope = national()
    table = data_finder.finder_table(cfg, at, scope=scope, replay=replay)
    finder = {r["id"]: r for r in table.iter_rows(named=True)}
    for centre in CENTRES:
        got = want.by_centre.get(centre.id)
        row = finder[centre.id]
        assert (row["received_today"], row["resolved_today"]) == (
            (None, None) if got is None else (got["received"], got["resolved"])), centre.id
        today = data_commune.today(cfg, {"id": centre.id, "province_code": 46}, at,
                                   scope=scope, replay=replay)
        mine = q.totals(today.increases)
        assert {k: round(mine[m]) for k, m in COUNTERS.items() if m in mine} == (got or {}), \
            centre.id
        assert today.resolution == want.resolution
    assert data_finder.finder_today(cfg, at, scope=scope, replay=replay).resolution == \
        want.resolution
    view = data_kpi.kpi_view(cfg, fmt.local_midnight(at, TZ), at, scope=scope)
    province = view.provinces.row(0, named=True)
    for key, metric in COUNTERS.items():
        assert round(province[metric] or 0) == want.total(key), (key, at)
    assert view.today is not None and view.today.resolution == want.resolution
    b = data_briefing.briefing_view(cfg, at, scope=scope)
    if at.second or at.microsecond:  # a briefing is at a whole minute: the live one too
        want = expected(world, at.replace(second=0, microsecond=0), datetime.now(UTC))
    assert {k: b.totals[k] or 0 for k in COUNTERS} == {k: want.total(k) for k in COUNTERS}
    assert (b.resolution, b.counted_until) == (want.resolution, want.until)


def test_every_page_gives_the_stored_counts_at_random_moments(world, env):
    now = datetime.now(UTC)
    picked = moments(world, now)
    wanted = [expected(world, at, datetime.now(UTC)) for at in picked]
    for at, want in zip(picked, wanted, strict=True):
        check_loaders(world, env, at, want)
    assert [w.resolution for w in wanted] == ["raw", "raw", "raw", "5m", "1h"]
    assert sum(w.total("received") for w in wanted) > 0  # dossiers were compared, not zeros


def test_wall_briefing_kpi_and_commune_pages_render_the_same_counts(world, env):
    now = datetime.now(UTC)
    raw_at, _, midnight_at, five_at, hour_at = moments(world, now)
    # The first hour of a day kept as hourly roll-ups only: none of the day is counted yet.
    hour_day_start = fmt.local_midnight(hour_at, TZ) + timedelta(minutes=35)
    for at in (raw_at, midnight_at, five_at, hour_at, hour_day_start):
        want = expected(world, at, datetime.now(UTC))
        text = local_text(at)
        wall = metrics_of(run_page(None, at=text))
        assert {k: wall[TILES[k]] for k in COUNTERS} == \
            {k: fmt.number(want.shown(k)) for k in COUNTERS}, text
        briefing = run_page("app_pages/briefing.py", at=text)
        tiles = metrics_of(briefing)
        assert {k: tiles[BRIEFING_TILES[k]] for k in COUNTERS} == \
            {k: fmt.number(want.shown(k)) for k in COUNTERS}, text
        said = infos(briefing)
        summary = " ".join(str(t.value) for t in briefing.text)
        assert f"Tính đến {fmt.clock(want.until, TZ)} ngày" in summary
        if want.resolution == "raw":
            assert "số liệu tổng hợp" not in said
        else:
            words = "5 phút" if want.resolution == "5m" else "theo giờ"
            assert f"theo số liệu tổng hợp {words}, đến {fmt.clock(want.until, TZ)}" in said
    # English all the way: the wall says which roll-up it counted from, in English.
    want = expected(world, hour_at, datetime.now(UTC))
    english = run_page(None, at=local_text(hour_at), lang="en")
    assert metrics_of(english)["Dossiers received"] == fmt.number(want.shown("received"), "en")
    assert (f"Today's dossier counts are from the hourly roll-ups, up to "
            f"{fmt.clock(want.until, TZ)}") in infos(english)
    # The KPI page's rule text quotes the counts at the moment (on the hour, with the whole
    # hour after it stored), not the hour's later ones.
    on_hour = from_ms(bucket_start(to_ms(world.newest), HOUR_MS)) - timedelta(hours=2)
    if on_hour == fmt.local_midnight(on_hour, TZ):  # a day's first moment counts nothing yet
        on_hour -= timedelta(hours=1)
    want = expected(world, on_hour, datetime.now(UTC))
    kpi = run_page("app_pages/kpi.py", at=local_text(on_hour))
    rules = " ".join(str(t.value) for t in kpi.text)
    assert f"tiếp nhận = {fnum(want.total('received'))}" in rules
    assert f"đã giải quyết = {fnum(want.total('resolved'))}" in rules
    assert not [i for i in kpi.info if "số liệu tổng hợp" in str(i.value)]
    centre = max(want.by_centre, key=lambda c: want.by_centre[c]["received"])
    page = run_page("app_pages/commune.py", at=local_text(on_hour), centre=centre)
    assert metrics_of(page)[TILES["received"]] == fmt.number(
        want.by_centre[centre]["received"])


def test_the_live_wall_equals_the_wall_at_now(world, env):
    now = datetime.now(UTC)
    want = expected(world, now, now)  # nothing stored after now: every sample counts
    live = metrics_of(run_page(None))
    assert {k: live[TILES[k]] for k in COUNTERS} == \
        {k: fmt.number(want.total(k)) for k in COUNTERS}
    check_loaders(world, env, now, want, replay=False)
