"""Cached loaders of the alerts page (who may act on alerts: `dashboard.session.auth.may_act`).

Frames are read once per collection cycle (`data.cycle`, whose marker holds the alert
tables' version): every session shares one read per change, and an acknowledgement
(which forgets the version read) shows at the next rerun. One query per kind for the whole
fleet, never one per centre. The history is filtered, ordered and paged in
SQL, and the counts and time to recover are aggregated there (a national
month is 100,000 alerts): only one page of rows is ever read. Every read is
cut to the viewer's scope in SQL (`data.scoped_centres`); the outbox of
notifications is not per centre, so only a national scope reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import polars as pl

from config.loader import ConfigError
from config.scope import Scope
from dashboard.loaders import common as data
from dashboard.loaders.common import cycle, scoped_centres, store
from metrics.alerts import read as alerts_read
from metrics.alerts import stats as alert_stats
from metrics.store import Store, from_ms, to_ms

PAGE_ROWS = 100  # history rows per page


alerts_config = data.alerts_config  # the one loader of the rules (dashboard/loaders/common.py)


def incident_causes(lang: str) -> dict[str, str]:
    """Each grouped rule's likely shared cause in `lang` (alerts.yaml `shared_cause`); empty
    when the file cannot be read (the incident's stored Vietnamese cause is shown then)."""
    try:
        causes = alerts_config().shared_cause.causes
    except ConfigError:
        return {}
    return {rule: name.en if lang == "en" else name.vi for rule, name in causes.items()}


class AlertsSummary(NamedTuple):
    """What the alerts page shows of a period besides its history pages."""

    overview: alerts_read.Overview  # counts per list, the filters' choices, counts per filter
    open: pl.DataFrame  # open alerts (firing, pending) with centre names, newest first
    centres: dict[str, str | None]  # centre id -> name, centres with an alert in the period
    ttr: pl.DataFrame  # alerts_read.time_to_recover


def _within(url: str, scope_key: str) -> tuple[dict, pl.DataFrame]:
    """The scope's Store/alerts_read keyword arguments, and its centres."""
    sc, centres, ids = scoped_centres(store(url), scope_key)
    return {"centre_ids": ids, "provinces": sc.query_provinces()}, centres


def _named(found: pl.DataFrame, centres: pl.DataFrame) -> pl.DataFrame:
    names = centres.select(pl.col("id").alias("centre_id"), pl.col("name").alias("centre"))
    return found.join(names, on="centre_id", how="left", maintain_order="left")


def _handled(db: Store, found: pl.DataFrame, end: datetime) -> pl.DataFrame:
    """`found` with who acknowledged each alert and the silence muting it, as of now (or
    the end of a period already over)."""
    at = min(datetime.now(UTC), end)
    return alert_stats.with_handling(found, alerts_read.silences_at(db, at), at)


def _bounds(start: datetime, end: datetime) -> tuple[int, int]:
    """Minute-rounded bounds (ms), so the cache key does not change on every rerun."""
    return to_ms(start) // 60_000 * 60_000, -(-to_ms(end) // 60_000) * 60_000


def _summary(url: str, start_ms: int, end_ms: int, scope_key: str) -> AlertsSummary:
    return cycle(url).get(("alerts_summary", start_ms, end_ms, scope_key),
                          lambda: _read_summary(url, start_ms, end_ms, scope_key))


def _read_summary(url: str, start_ms: int, end_ms: int, scope_key: str) -> AlertsSummary:
    db = store(url)
    within, centres = _within(url, scope_key)
    start, end = from_ms(start_ms), from_ms(end_ms)
    seen = alerts_read.overview(db, start, end, **within)
    names = dict(centres.select("id", "name").iter_rows())
    return AlertsSummary(
        overview=seen,
        open=_handled(db, _named(alerts_read.alerts(db, start, end,
                                                    states=list(alert_stats.ACTIVE), **within),
                                 centres), end),
        centres={c: names.get(c) for c in seen.centre_ids},
        ttr=alerts_read.time_to_recover(db, start, end, **within))


def summary(url: str, start: datetime, end: datetime, *, scope: Scope) -> AlertsSummary:
    """The scope's alerts alive in [start, end]: counts per list, the open ones, the
    filters' choices and time to recover, all counted and summarised in the database."""
    return _summary(url, *_bounds(start, end), str(scope))


def _page(url: str, start_ms: int, end_ms: int, scope_key: str,
          chosen: tuple[tuple[str, ...], ...], page: int, rows: int) -> pl.DataFrame:
    return cycle(url).get(("alerts_page", start_ms, end_ms, scope_key, chosen, page, rows),
                          lambda: _read_page(url, start_ms, end_ms, scope_key, chosen, page,
                                             rows))


def _read_page(url: str, start_ms: int, end_ms: int, scope_key: str,
               chosen: tuple[tuple[str, ...], ...], page: int, rows: int) -> pl.DataFrame:
    within, centres = _within(url, scope_key)
    found = alerts_read.history_page(
        store(url), from_ms(start_ms), from_ms(end_ms), limit=rows, offset=(page - 1) * rows,
        chosen=alerts_read.HistoryFilter(*(c or None for c in chosen)), **within)
    return _handled(store(url), _named(found, centres), from_ms(end_ms))


def history_page(url: str, start: datetime, end: datetime, *, scope: Scope, page: int = 1,
                 rows: int = PAGE_ROWS, severities: Sequence[str] = (),
                 rules: Sequence[str] = (), centres: Sequence[str] = (),
                 states: Sequence[str] = ()) -> tuple[pl.DataFrame, int]:
    """(page `page` (from 1) of the scope's alerts alive in [start, end] that match the
    filters, in `alert_stats.board` order with centre names; how many match in all).
    Filtered, ordered and paged in the database, counted from `summary`'s groups; an
    empty filter keeps all."""
    chosen = tuple(tuple(sorted(c)) for c in (severities, rules, centres, states))
    bounds = _bounds(start, end)
    total = _summary(url, *bounds, str(scope)).overview.matching(
        alerts_read.HistoryFilter(*(c or None for c in chosen)))
    return _page(url, *bounds, str(scope), chosen, max(1, page), rows), total


def _failed(url: str) -> pl.DataFrame:
    return cycle(url).get(("notifications",), lambda: alerts_read.notifications(store(url)))


def failed_deliveries(url: str, *, scope: Scope) -> pl.DataFrame | None:
    """Undelivered notifications with an error (retrying or pending), newest first; None
    for a scope narrower than the country (the outbox is not kept per centre)."""
    if not scope.is_national:
        return None
    return _failed(url)
