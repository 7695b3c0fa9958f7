"""Retention: delete what is older than each resolution keeps, a little at a time.

Raw samples and polls are kept `raw_days`, 5-minute roll-ups `rollup_5m_days`,
hourly ones `rollup_1h_days`, daily ones `rollup_1d_days` (config
`store.retention`); each series' current row (`series_latest`) as long as the raw
samples, so it always is the newest sample still stored. A row goes when its
`ts` (a bucket's start for roll-ups) is older than now − keep; a row exactly at
the cut-off stays. Deletion runs in transactions of at most `batch_rows` rows,
so SQLite's single write lock is never held for long: the collector's next
write, or a dashboard read, waits at most one small batch. Polls go oldest
first through their time index; the per-series tables go a chunk of series at a
time through their (series_id, ts) key, which turns "older than" into one seek
per series instead of a scan. A run may stop at a time budget and resumes
where it left off on the next run.

`ioc store prune` runs a whole pass; in `ioc collect`, `RetentionObserver`
runs one between cycles at most every `every_minutes`, within `budget_s`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config import logs
from config.settings import RetentionSettings
from metrics.resolutions import DAY, FIVE_MIN, HOUR, RAW
from metrics.store.dialects import write_transaction
from metrics.store.schema import (
    polls,
    rollup_1d,
    rollup_1h,
    rollup_5m,
    samples,
    series,
    series_latest,
)

log = logging.getLogger("ioc.retention")
DAY_MS = 86_400_000
SERIES_CHUNK = 200  # series per delete statement
# What each table keeps, by resolution; polls live as long as the raw samples.
TABLES: tuple[tuple[sa.Table, str], ...] = (
    (polls, RAW), (samples, RAW), (series_latest, RAW), (rollup_5m, FIVE_MIN),
    (rollup_1h, HOUR), (rollup_1d, DAY),
)


def keep(settings: RetentionSettings) -> dict[str, timedelta]:
    """How long each resolution is kept (the `keep` of `Store.series`)."""
    return {RAW: timedelta(days=settings.raw_days),
            FIVE_MIN: timedelta(days=settings.rollup_5m_days),
            HOUR: timedelta(days=settings.rollup_1h_days),
            DAY: timedelta(days=settings.rollup_1d_days)}


def cutoffs(settings: RetentionSettings, now_ms: int) -> dict[str, int]:
    """Per table: rows with ts below this (ms) are expired."""
    days = {RAW: settings.raw_days, FIVE_MIN: settings.rollup_5m_days,
            HOUR: settings.rollup_1h_days, DAY: settings.rollup_1d_days}
    return {t.name: now_ms - round(days[res] * DAY_MS) for t, res in TABLES}


class Pruner:
    """Deletes expired rows in small transactions; remembers where a budgeted run stopped."""

    def __init__(self, engine: Engine, settings: RetentionSettings,
                 clock: Callable[[], float] = time.time):
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self._table = 0  # index into TABLES where the next run starts
        self._after = 0  # … and the last series id done in that table

    def run(self, budget_s: float | None = None) -> dict[str, Any]:
        """Delete expired rows until done or `budget_s` seconds have passed.

        Returns rows deleted per table, and `complete` (False: the budget ran out;
        the next run resumes there).
        """
        deadline = None if budget_s is None else time.monotonic() + budget_s
        cut = cutoffs(self._settings, round(self._clock() * 1000))
        deleted = {t.name: 0 for t, _ in TABLES}
        while self._table < len(TABLES):
            table = TABLES[self._table][0]
            done = (self._prune_polls(cut["polls"], deleted, deadline) if table is polls
                    else self._prune_series(table, cut[table.name], deleted, deadline))
            if not done:
                return {**deleted, "complete": False}
            self._table, self._after = self._table + 1, 0
        self._table = 0
        return {**deleted, "complete": True}

    def _delete(self, stmt: sa.Delete) -> int:
        with write_transaction(self._engine) as conn:
            return conn.execute(stmt).rowcount

    def _prune_polls(self, cut: int, deleted: dict[str, int], deadline: float | None) -> bool:
        n = self._settings.batch_rows
        oldest = (sa.select(polls.c.centre_id, polls.c.ts).where(polls.c.ts < cut)
                  .order_by(polls.c.ts).limit(n))
        stmt = sa.delete(polls).where(sa.tuple_(polls.c.centre_id, polls.c.ts).in_(oldest))
        while True:
            gone = self._delete(stmt)
            deleted["polls"] += gone
            if gone < n:
                return True
            if _late(deadline):
                return False

    def _prune_series(self, table: sa.Table, cut: int, deleted: dict[str, int],
                      deadline: float | None) -> bool:
        n = self._settings.batch_rows
        while True:
            with self._engine.connect() as conn:
                ids = list(conn.execute(sa.select(series.c.id).where(series.c.id > self._after)
                                        .order_by(series.c.id).limit(SERIES_CHUNK)).scalars())
            if not ids:
                return True
            expired = (sa.select(table.c.series_id, table.c.ts)
                       .where(table.c.series_id.in_(ids), table.c.ts < cut).limit(n))
            stmt = sa.delete(table).where(
                sa.tuple_(table.c.series_id, table.c.ts).in_(expired))
            while (gone := self._delete(stmt)) >= n:
                deleted[table.name] += gone
                if _late(deadline):
                    return False
            deleted[table.name] += gone
            self._after = ids[-1]
            if _late(deadline):
                return False


def _late(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


class RetentionObserver:
    """A collector `CycleObserver`: prunes between cycles, at most every `every_minutes`,
    for at most `budget_s` each time (resuming next time). Opens its own store lazily."""

    def __init__(self, url: str, settings: RetentionSettings,
                 clock: Callable[[], float] = time.monotonic, schema: str | None = None):
        self._url = url
        self._schema = schema  # PostgreSQL schema (tests), as in Store.open
        self._settings = settings
        self._clock = clock
        self._last: float | None = None
        self._pruner: Pruner | None = None
        self.last_result: dict[str, Any] | None = None  # the newest run's, for logs and tests

    def after_cycle(self, cycle: object, summary: dict[str, Any], write_s: float) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._settings.every_minutes * 60:
            return
        self._last = now
        if self._pruner is None:
            from metrics.store import Store

            self._pruner = Pruner(Store.open(self._url, schema=self._schema).engine,
                                  self._settings)
        started = time.monotonic()
        self.last_result = self._pruner.run(budget_s=self._settings.budget_s)
        logs.event(log, "retention", **self.last_result,
                   duration_ms=round((time.monotonic() - started) * 1000))
