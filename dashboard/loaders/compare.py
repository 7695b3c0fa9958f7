"""Today's dossiers next to the same moment last week, for a scope (and province): the
cached loader and what the briefing and the wall show (arithmetic in `metrics.compare`).

Both sides are `data.today_increases` (`Store.today_increases`, the pages' one "today up
to a moment"), read for the viewer's scope only (`data.scoped_centres`). A caller that
already holds today's increases (the briefing's, the wall's) passes them, so today's
figure is the one it shows, never read twice.

For the wall: `week_for(cfg, at, scope=…, tr=…, province=…)` gives the display values
(`week_view.WeekDisplay`: rows with numbers and texts, one line a figure, notes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from config.scope import Scope
from config.settings import Settings
from dashboard.i18n import Tr
from dashboard.loaders import common as data
from dashboard.views import fmt
from dashboard.views.week import WeekDisplay, display
from metrics import compare as cmp
from metrics.store import from_ms, gaps, to_ms
from metrics.today import Today


def day_counts(url: str, day_start_ms: int, at_ms: int, scope_key: str,
               province: int | None = None) -> tuple[Today, pl.DataFrame]:
    """The compared counters' increases from `day_start_ms` (a local midnight) to `at_ms`
    for the scope (or its part in `province`), and its centres (id, name); read once per
    collection cycle (`data.cycle`)."""
    now_cycle = data.cycle(url)
    return now_cycle.get(("day_counts", day_start_ms, at_ms, scope_key, province),
                         lambda: _read_day_counts(url, now_cycle.marker[0], day_start_ms,
                                                  at_ms, scope_key, province))


def _read_day_counts(url: str, freshness_ms: int | None, day_start_ms: int, at_ms: int,
                     scope_key: str, province: int | None) -> tuple[Today, pl.DataFrame]:
    db = data.store(url)
    _sc, centres, ids = data.scoped_centres(db, scope_key, province)
    today = data.today_increases(db, list(cmp.COMPARED.values()), from_ms(day_start_ms),
                                 from_ms(at_ms), ids, freshness_ms)
    return today, centres.select("id", "name")


def gaps_near(url: str, at_ms: int, interval_ms: int, scope_key: str,
              province: int | None = None) -> pl.DataFrame:
    """The collection gaps of the scope (or its part in `province`) overlapping the
    collection interval up to `at_ms` (`metrics.store.gaps.between`), read once per
    collection cycle."""
    return data.cycle(url).get(("gaps_near", at_ms, interval_ms, scope_key, province),
                               lambda: _read_gaps_near(url, at_ms, interval_ms, scope_key,
                                                       province))


def _read_gaps_near(url: str, at_ms: int, interval_ms: int, scope_key: str,
                    province: int | None) -> pl.DataFrame:
    db = data.store(url)
    _sc, _centres, ids = data.scoped_centres(db, scope_key, province)
    return gaps.between(db.engine, from_ms(at_ms - interval_ms), from_ms(at_ms), ids)


def week_comparison(cfg: Settings, at: datetime, *, scope: Scope, province: int | None = None,
                    today: Today | None = None) -> cmp.WeekComparison:
    """Today up to `at` next to the same local time a week before, within `scope` (and
    `province`). `today`: today's increases already read for the same scope (they must hold
    the COMPARED counters); None: read here. When they count every sample (`Today.exact`),
    their own moment is `at` (a live wall's load: every session showing it shares one read
    of last week)."""
    url, tz = cfg.store.url, cfg.dashboard.timezone
    if today is not None and today.exact:
        at = from_ms(today.until_ms)
    then_at = cmp.week_before(at, tz)
    then, centres = day_counts(url, to_ms(fmt.local_midnight(then_at, tz)), to_ms(then_at),
                               str(scope), province)
    if today is None:
        today, centres = day_counts(url, to_ms(fmt.local_midnight(at, tz)), to_ms(at),
                                    str(scope), province)
    interval = timedelta(seconds=cfg.collector.interval_s)
    lost = gaps_near(url, to_ms(then_at), round(cfg.collector.interval_s * 1000), str(scope),
                     province)
    return cmp.compare(cmp.side(today.increases, at, today.resolution, from_ms(today.until_ms)),
                       cmp.side(then.increases, then_at, then.resolution,
                                from_ms(then.until_ms)),
                       centres, cmp.gaps_holding(lost, then_at, interval))


def week_for(cfg: Settings, at: datetime, *, scope: Scope, tr: Tr, province: int | None = None,
             today: Today | None = None) -> WeekDisplay:
    """The wall's (or any page's) comparison at `at` for `scope` (and `province`), in words."""
    return display(week_comparison(cfg, at, scope=scope, province=province, today=today), tr,
                   cfg.dashboard.timezone)
