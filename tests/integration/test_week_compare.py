"""The week's comparison (`dashboard.loaders.compare`) against the stored data, on SQLite and on
PostgreSQL: both sides are what the raw samples say, computed here from the samples written
(every step from the previous sample, a drop a restart, the first step from the last sample
of the hour before midnight); after retention deleted last week's raw samples, last week is
counted to its 5-minute bucket and says so; a centre not collected last week is named, and a
store with no last week says "missing", never 0."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from config.loader import DEFAULT_CONFIG, load_settings
from config.scope import commune, national
from config.settings import RetentionSettings
from dashboard import i18n
from dashboard.loaders import common as data
from dashboard.loaders import compare as data_compare
from metrics import compare as cmp
from metrics.resolutions import FIVE_MIN, RAW
from metrics.results import ProbeResult, Sample
from metrics.store import Store, gaps
from metrics.store.retention import Pruner
from tests.conftest import PG_URL, hue_centres
from tests.faults.scratch_pg import ScratchDatabase

CENTRES = hue_centres()[:5]
ABSENT = CENTRES[4].id  # not collected last week
TZ = "Asia/Ho_Chi_Minh"
MIDNIGHT = datetime(2025, 7, 2, 17, tzinfo=UTC)  # 3 July 2025 00:00 in Huế (a Thursday)
WEEK = timedelta(days=7)
MINUTE = timedelta(minutes=1)
AT = MIDNIGHT + timedelta(hours=10, minutes=37)  # 10:37
ENV = {"IOC_CONFIG": str(DEFAULT_CONFIG), "IOC_DASHBOARD__AUTH": "none",
       # 5-minute roll-ups kept far back: the 2025 data are within them whatever the clock.
       "IOC_STORE__RETENTION": "{raw_days: 7, rollup_5m_days: 5000, rollup_1h_days: 6000, "
                               "rollup_1d_days: 7000}"}


def history(seed: int, midnight: datetime, reset_at: timedelta | None
            ) -> dict[str, list[tuple[datetime, float]]]:
    """Per COMPARED metric, one minute-by-minute counter from 23:20 the evening before to
    12:00: yesterday's count, the midnight restart, a reset at `reset_at` if given."""
    rng, out = random.Random(seed), {}
    for metric in cmp.COMPARED.values():
        rows, value, t = [], 500.0, midnight - 40 * MINUTE
        while t <= midnight + timedelta(hours=12):
            if t == midnight:
                value = float(rng.choice((0, 1)))
            elif reset_at is not None and t == midnight + reset_at:
                value = 1.0
            else:
                value += rng.choice((0, 0, 1, 2))
            rows.append((t, value))
            t += MINUTE
        out[metric] = rows
    return out


def write(store: Store, centre: str, rows: dict[str, list[tuple[datetime, float]]]) -> None:
    times = sorted({t for series in rows.values() for t, _ in series})
    values = {m: dict(series) for m, series in rows.items()}
    store.write([ProbeResult(centre, t.timestamp(), True, 0.1,
                             samples=[Sample(m, v[t]) for m, v in values.items() if t in v])
                 for t in times])


def counted(rows: list[tuple[datetime, float]], midnight: datetime, end: datetime,
            before: bool = False) -> int:
    """The day's increase to `end` (samples before it when `before`), from the samples."""
    prev = next((v for t, v in reversed(rows) if midnight - timedelta(hours=1) <= t < midnight),
                None)
    total = 0.0
    for t, v in rows:
        if midnight <= t and (t < end if before else t <= end):
            total += v if prev is None else (v - prev if v >= prev else v)
            prev = v
    return round(total)


def sums(per_centre: dict[str, dict[str, list]], midnight: datetime, end: datetime,
         before: bool = False) -> dict[str, int]:
    return {key: sum(counted(rows[metric], midnight, end, before)
                     for rows in per_centre.values())
            for key, metric in cmp.COMPARED.items()}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        where, scratch = f"sqlite:///{tmp_path / 'weeks.db'}", None
    else:
        scratch = ScratchDatabase(PG_URL).create()
        where = scratch.url
    for key, value in {**ENV, "IOC_DB_URL": where}.items():
        monkeypatch.setenv(key, value)
    try:
        yield where
    finally:
        data.forget_live()
        data.newest_ms.clear()
        data.store.clear()  # the dashboard's engine, before the database goes
        if scratch is not None:
            scratch.drop()


def seed(url: str, last_week: bool = True):
    """Today's counters for the five centres and, when `last_week`, last week's for all
    but ABSENT (the first centre's counter reset at 09:31 then)."""
    now, then = {}, {}
    with Store.open(url) as store:
        store.sync_centres(CENTRES)
        for i, c in enumerate(CENTRES):
            now[c.id] = history(i, MIDNIGHT, None)
            write(store, c.id, now[c.id])
            if last_week and c.id != ABSENT:
                then[c.id] = history(100 + i, MIDNIGHT - WEEK,
                                     timedelta(hours=9, minutes=31) if i == 0 else None)
                write(store, c.id, then[c.id])
    return now, then


def test_week_comparison_counts_both_sides_as_the_samples_say(url):
    now, then = seed(url)
    cfg = load_settings()
    got = data_compare.week_comparison(cfg, AT, scope=national())
    assert got.then.at == AT - WEEK and got.then.resolution == RAW
    assert got.now.totals == sums(now, MIDNIGHT, AT)
    assert got.then.totals == sums(then, MIDNIGHT - WEEK, AT - WEEK)
    assert got.missing_then == (ABSENT,) and got.state == cmp.PARTIAL
    assert got.change("received") is None  # the centres differ: no difference stated
    # Given today's figures already read (the briefing's, the wall's): the same comparison.
    today, _ = data_compare.day_counts(cfg.store.url, int(MIDNIGHT.timestamp() * 1000),
                                       int(AT.timestamp() * 1000), "national")
    assert data_compare.week_comparison(cfg, AT, scope=national(), today=today) == got

    # Within one commune's scope: only its own counters, both weeks there.
    one = CENTRES[0].id
    mine = data_compare.week_comparison(cfg, AT, scope=commune(one))
    assert mine.state == cmp.COMPLETE
    assert mine.now.totals == sums({one: now[one]}, MIDNIGHT, AT)
    assert mine.then.totals == sums({one: then[one]}, MIDNIGHT - WEEK, AT - WEEK)
    assert mine.change("received") == mine.now.totals["received"] - mine.then.totals["received"]

    # A wall narrowed to a province: Huế's is the whole store here; another has nothing.
    assert data_compare.week_comparison(cfg, AT, scope=national(), province=46) == got
    elsewhere = data_compare.week_comparison(cfg, AT, scope=national(), province=1)
    assert elsewhere.state == cmp.NO_TODAY and elsewhere.then.totals["received"] is None

    shown = data_compare.week_for(cfg, AT, scope=national(), tr=i18n.text("vi"))
    assert any(CENTRES[4].name in n for n in shown.notes)
    assert shown.rows[0].then_text != "—"


def test_last_week_after_retention_counts_to_its_five_minute_bucket_and_says_so(url):
    _now, then = seed(url)
    pruned_at = MIDNIGHT + timedelta(hours=12)
    with Store.open(url) as store:
        Pruner(store.engine, RetentionSettings(raw_days=3, rollup_5m_days=5000,
                                               rollup_1h_days=6000, rollup_1d_days=7000),
               clock=lambda: pruned_at.timestamp()).run()
        assert store.samples(list(cmp.COMPARED.values()), MIDNIGHT - WEEK - timedelta(hours=1),
                             MIDNIGHT - WEEK + timedelta(hours=12)).is_empty()
    data.forget_live()  # the pruned samples are read again, not this cycle's counts
    cfg = load_settings()
    got = data_compare.week_comparison(cfg, AT, scope=commune(CENTRES[0].id))
    until = AT - WEEK - timedelta(minutes=2)  # 10:35, the start of 10:37's 5-minute bucket
    assert (got.then.resolution, got.then.until) == (FIVE_MIN, until)
    assert got.then.totals == sums({CENTRES[0].id: then[CENTRES[0].id]}, MIDNIGHT - WEEK,
                                   until, before=True)
    assert got.state == cmp.ROLLUP
    shown = data_compare.week_for(cfg, AT, scope=commune(CENTRES[0].id), tr=i18n.text("vi"))
    assert "Tuần trước chỉ còn số liệu gộp 5 phút: tính đến 10:35." in shown.notes


def test_no_last_week_is_missing_never_zero(url):
    now, _ = seed(url, last_week=False)
    cfg = load_settings()
    got = data_compare.week_comparison(cfg, AT, scope=national())
    assert got.state == cmp.MISSING
    assert got.then.totals == {"received": None, "resolved": None}
    assert got.now.totals == sums(now, MIDNIGHT, AT)
    shown = data_compare.week_for(cfg, AT, scope=national(), tr=i18n.text("en"))
    assert [r.then_text for r in shown.rows] == ["—", "—"]
    assert [r.change_text for r in shown.rows] == ["—", "—"]
    assert shown.notes == ("No figures for last week (26/06/2025): not collected or no "
                           "longer kept. Not zero.",)


def test_a_collection_gap_at_last_weeks_moment_stops_the_change(url):
    seed(url)
    one, other = CENTRES[0].id, CENTRES[1].id
    ms = lambda t: int(t.timestamp() * 1000)  # noqa: E731
    with Store.open(url) as store:
        gaps.record(store.engine, "collector-1", [
            # One centre's polls lost from 10:20 to 10:37 last week: the moment compared.
            gaps.Gap(ms(AT - WEEK - 17 * MINUTE), ms(AT - WEEK), 68, (one,)),
            # Another's lost from 08:00 to 09:00: its counters caught up by 10:37.
            gaps.Gap(ms(AT - WEEK - 157 * MINUTE), ms(AT - WEEK - 97 * MINUTE), 240, (other,)),
        ])
    data.newest_ms.clear()
    cfg = load_settings()
    held = data_compare.week_comparison(cfg, AT, scope=commune(one))
    assert held.state == cmp.GAP and held.change("received") is None
    assert held.then_gaps == ((AT - WEEK - 17 * MINUTE, AT - WEEK),)
    shown = data_compare.week_for(cfg, AT, scope=commune(one), tr=i18n.text("vi"))
    assert shown.notes[0].startswith("Tuần trước mất dữ liệu thu thập từ 10:20 đến 10:37")
    caught_up = data_compare.week_comparison(cfg, AT, scope=commune(other))
    assert caught_up.state == cmp.COMPLETE and caught_up.change("received") is not None
