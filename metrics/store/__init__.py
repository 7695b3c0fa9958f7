"""`Store`: the only module that talks to the database (SQLite or PostgreSQL).

Writes take `ProbeResult`s and are idempotent: a replayed poll (centre, ts) or
sample (series, ts) is ignored, so a retried batch never duplicates. Reads
return polars DataFrames with `ts` as `Datetime("ms", "UTC")`, filtered in SQL.
A gap in collection is absent rows, never zeros.

Times in: timezone-aware `datetime`s (a naive one is refused: it could be
local time or UTC). Range bounds are inclusive at both ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Self

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from config.catalogue import METRICS, is_counter
from config.registry import Centre
from metrics import resolutions
from metrics import today as today_
from metrics.results import ProbeResult, Reason
from metrics.store import current, dialects, rollups, settled, today_read, write_turns
from metrics.store.migrations import migrate
from metrics.store.records import (
    CENTRE_SCHEMA,
    MS,
    POLL_COLUMNS,
    POLL_SCHEMA,
    SAMPLE_SCHEMA,
    SeriesKey,
    centre_rows,
    frame,
    from_ms,
    result_rows,
    to_ms,
)
from metrics.store.schema import centres, polls, samples, series

# What every call of the store (this package) raises when the database fails: unreachable,
# refused, timed out, locked, or a statement it rejects. Callers catch this name; they never
# import SQLAlchemy for it. `Engine` and `Connection` (imported above) are the handles the
# table modules (leases, access, alerts, …) take; callers name them from here too.
DatabaseError = sa.exc.SQLAlchemyError

IN_CHUNK = 500  # ids per IN (…) when resolving series
NEWEST_POLL = sa.select(sa.func.max(polls.c.ts))  # ms, or None before the first poll
OLDEST_POLL = sa.select(sa.func.min(polls.c.ts))


WRITE_CHUNK = 500  # polls per write transaction (≈ 25,000 samples of the national cycle)


class Store:
    """One database. Safe to share between threads; writes are serialised."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self._engine = engine
        self._clock = clock
        # In arrival order, so a re-probe's write waits for one chunk of a cycle, not all.
        self._write_turns = write_turns.Turns()
        self._series_ids: dict[SeriesKey, int] = {}  # only ids known to be committed
        self._commits = 0  # `write` transactions committed (see `commits`)
        self._known_centres: set[str] = set()
        self.dialect: str = engine.dialect.name  # "sqlite" or "postgresql"

    @classmethod
    def open(
        cls, url: str, *, schema: str | None = None, clock: Callable[[], datetime] | None = None
    ) -> Store:
        """Open `url`, creating or migrating the schema. SQLite gets its folder and WAL.

        `schema`: PostgreSQL schema to use (search_path), e.g. one per test.
        `clock`: what "now" is when `at` is not given (default: the system clock, UTC).
        """
        engine = dialects.create_engine(url, schema)
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(engine, clock or (lambda: datetime.now(UTC)))

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- writes ---------------------------------------------------------------

    def sync_centres(self, items: Iterable[Centre]) -> int:
        """Insert or update the registry's centres (names, province, coordinates)."""
        rows = centre_rows(items)
        if not rows:
            return 0
        with self._write_turns.turn(), self._begin_write() as conn:
            conn.execute(dialects.upsert(self.dialect, centres, ["id"]), rows)
        self._known_centres.update(r["id"] for r in rows)
        return len(rows)

    def write(self, results: Sequence[ProbeResult]) -> int:
        """Write polls and their samples, in transactions of at most WRITE_CHUNK polls, so a
        small write (a re-probe's result) waits for one of them, never a whole national
        cycle; return samples newly stored. The writes are idempotent on (centre, ts) and
        (series, ts): a cycle cut short is written again whole from the spool.

        Raises ValueError, before touching the database, for a non-finite value
        (naming centre and metric) or a centre that `sync_centres` never stored.
        """
        checked = [result_rows(results[i:i + WRITE_CHUNK])
                   for i in range(0, len(results), WRITE_CHUNK)]
        return sum(self._write_rows(results[i * WRITE_CHUNK:(i + 1) * WRITE_CHUNK], *rows)
                   for i, rows in enumerate(checked))

    def _write_rows(self, results: Sequence[ProbeResult], poll_rows: list,
                    sample_keys: list) -> int:
        """One transaction: `results` as `result_rows` made them into rows."""
        if not poll_rows:
            return 0
        with self._write_turns.turn():
            with self._begin_write() as conn:
                self._check_centres(conn, {r[0] for r in poll_rows})
                newest = conn.execute(NEWEST_POLL).scalar_one()  # before this write's polls
                known = self._series_ids
                new_ids = self._resolve_series(
                    conn, {k for k, _, _ in sample_keys if k not in known})
                ids = known | new_ids if new_ids else known
                dialects.bulk_insert_ignore(conn, polls, POLL_COLUMNS, poll_rows)
                # In key order: B-tree inserts then walk the pages once, in order.
                rows = sorted([(ids[k], ts, v) for k, ts, v in sample_keys])
                # One sample per series (a live cycle): each is its own roll-up bucket, so
                # the database makes them from the staged rows (PostgreSQL: sent once).
                staged = len({r[0] for r in rows}) == len(rows)
                if staged:
                    dialects.stage_samples(conn, rows)
                    written = dialects.insert_staged(conn, samples, rows)
                else:
                    written = dialects.bulk_insert_ignore(
                        conn, samples, ("series_id", "ts", "value"), rows
                    )
                rollups.maintain(conn, rows, written, staged)  # 5-min, hourly, daily
                if written:
                    current.update(conn, rows, staged)  # each series' newest sample
                    # A sample's time is its poll's: the oldest poll with samples.
                    oldest = min(p[1] for p, r in zip(poll_rows, results, strict=True)
                                 if r.samples)
                    if settled.is_late(oldest, newest):
                        settled.bump(conn)  # readers' caches of settled hours must re-read
            # Cache only after the commit: a rolled-back id must not be reused.
            self._series_ids.update(new_ids)
            self._commits += 1
        return written

    @property
    def commits(self) -> int:
        """How many `write` transactions (chunks of at most WRITE_CHUNK polls) this store has
        committed: a caller watching a long write (a national cycle, a replay) from another
        thread sees it move while the write is making progress."""
        return self._commits

    def _begin_write(self) -> AbstractContextManager[Connection]:
        """A connection in a write transaction (`dialects.write_transaction`), committed on exit."""
        return dialects.write_transaction(self._engine)

    def _check_centres(self, conn: Connection, ids: set[str]) -> None:
        unknown = ids - self._known_centres
        if not unknown:
            return
        found = set(
            conn.execute(sa.select(centres.c.id).where(centres.c.id.in_(sorted(unknown)))).scalars()
        )
        self._known_centres |= found
        if missing := unknown - found:
            raise ValueError(
                f"unknown centres {sorted(missing)[:10]}: "
                "store them with sync_centres() before writing their polls"
            )

    def _resolve_series(self, conn: Connection, missing: set[SeriesKey]
                        ) -> dict[SeriesKey, int]:
        """Ids for keys not cached, creating missing series (in the caller's transaction)."""
        if not missing:
            return {}
        conn.execute(
            dialects.insert_ignore(self.dialect, series),
            [{"centre_id": c, "metric": m, "label": lbl} for c, m, lbl in sorted(missing)],
        )
        found: dict[SeriesKey, int] = {}
        ids = sorted({c for c, _, _ in missing})
        for i in range(0, len(ids), IN_CHUNK):
            stmt = sa.select(
                series.c.centre_id, series.c.metric, series.c.label, series.c.id
            ).where(series.c.centre_id.in_(ids[i : i + IN_CHUNK]))
            found.update({(c, m, lbl): sid for c, m, lbl, sid in conn.execute(stmt)})
        return found

    def footprint(self) -> tuple[int, int]:
        """(sample rows, bytes on disk): what the benchmark reports."""
        with self._engine.connect() as conn:
            size = dialects.bytes_on_disk(conn)
            rows = conn.execute(sa.select(sa.func.count()).select_from(samples)).scalar_one()
        return int(rows), size

    # -- reads ----------------------------------------------------------------

    def _rows(self, stmt: sa.Select) -> Sequence[sa.Row]:
        with self._engine.connect() as conn:
            return conn.execute(stmt).all()  # one fetchall, not a fetch per row

    def newest_ts(self) -> datetime | None:
        """The newest poll time, or None when nothing was ever written."""
        newest = self._rows(NEWEST_POLL)[0][0]
        return None if newest is None else from_ms(int(newest))

    def poll_times(self, start_ms: int, end_ms: int) -> list[int]:
        """The distinct poll times (ms) with start_ms <= ts <= end_ms, any centre."""
        stmt = sa.select(polls.c.ts).distinct().where(polls.c.ts >= start_ms,
                                                       polls.c.ts <= end_ms)
        return [int(r[0]) for r in self._rows(stmt)]

    def late_writes(self) -> int:
        """How many writes stored samples more than `settled.LATE_AFTER` older than the
        newest poll (a cache key for settled history: a late write changes it)."""
        with self._engine.connect() as conn:
            return settled.version(conn)

    def centres(self) -> pl.DataFrame:
        """Every stored centre, by id."""
        cols = [centres.c[name] for name in CENTRE_SCHEMA]
        return frame(self._rows(sa.select(*cols).order_by(centres.c.id)), CENTRE_SCHEMA)

    def latest(
        self,
        centre_ids: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
        at: datetime | None = None,
        lookback: timedelta = timedelta(hours=1),
    ) -> pl.DataFrame:
        """The newest sample per series in (at - lookback, at]; `at` defaults to now.

        Columns: centre_id, metric, label, ts, value. A series with no sample in
        the window is absent. Live (no `at`), from the current-state table kept on
        ingest (`metrics.store.current`); replaying a past `at`, one seek per series.
        """
        hi = to_ms(at or self._clock())
        lo = hi - lookback // MS
        if at is None:
            parts = list(current.live(self.dialect, lo, hi))
        else:
            joined, x = dialects.newest_join(self.dialect, series, series.c.id, samples,
                                             "series_id", lo, hi)
            parts = [sa.select(series.c.centre_id, series.c.metric, series.c.label, x.ts,
                               x.value).select_from(joined)]
        parts = [_filter(_filter(p, series.c.centre_id, centre_ids), series.c.metric, metrics)
                 for p in parts]
        if len(parts) == 1:
            stmt = parts[0].order_by(series.c.centre_id, series.c.metric, series.c.label)
        else:
            both = sa.union_all(*parts).subquery()
            stmt = sa.select(both).order_by(both.c.centre_id, both.c.metric, both.c.label)
        return frame(self._rows(stmt), SAMPLE_SCHEMA)

    def samples(
        self,
        metrics: Sequence[str] | str,
        start: datetime,
        end: datetime,
        centre_ids: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Every sample of `metrics` with start <= ts <= end, by series then time."""
        stmt = (
            sa.select(
                series.c.centre_id, series.c.metric, series.c.label, samples.c.ts, samples.c.value
            )
            .select_from(series.join(samples, samples.c.series_id == series.c.id))
            .where(samples.c.ts >= to_ms(start), samples.c.ts <= to_ms(end))
            .order_by(series.c.centre_id, series.c.metric, series.c.label, samples.c.ts)
        )
        stmt = _filter(stmt, series.c.metric, [metrics] if isinstance(metrics, str) else metrics)
        stmt = _filter(stmt, series.c.centre_id, centre_ids)
        return frame(self._rows(stmt), SAMPLE_SCHEMA)

    def latest_polls(
        self,
        centre_ids: Sequence[str] | None = None,
        at: datetime | None = None,
        observed: bool = False,
    ) -> pl.DataFrame:
        """The newest poll per centre at or before `at` (default now); polls' columns.
        `observed`: the newest poll that observed the centre (not `skipped`)."""
        joined, x = dialects.newest_join(
            self.dialect,
            centres,
            centres.c.id,
            polls,
            "centre_id",
            None,
            to_ms(at or self._clock()),
            where=(lambda t: [sa.or_(t.c.reason.is_(None), t.c.reason != Reason.SKIPPED.value)])
            if observed else None,
        )
        stmt = (
            sa.select(*(x[name] for name in POLL_COLUMNS))
            .select_from(joined)
            .order_by(centres.c.id)
        )
        stmt = _filter(stmt, centres.c.id, centre_ids)
        return frame(self._rows(stmt), POLL_SCHEMA)

    def polls(
        self, start: datetime, end: datetime, centre_ids: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """Every poll with start <= ts <= end, by centre then time."""
        stmt = (
            sa.select(*(polls.c[name] for name in POLL_COLUMNS))
            .where(polls.c.ts >= to_ms(start), polls.c.ts <= to_ms(end))
            .order_by(polls.c.centre_id, polls.c.ts)
        )
        stmt = _filter(stmt, polls.c.centre_id, centre_ids)
        return frame(self._rows(stmt), POLL_SCHEMA)

    def series(
        self,
        metrics: Sequence[str] | str,
        start: datetime,
        end: datetime,
        centre_ids: Sequence[str] | None = None,
        resolution: str = "auto",
        keep: Mapping[str, timedelta] | None = None,
    ) -> tuple[pl.DataFrame, str]:
        """`metrics` over [start, end] at the resolution used, and its name ("raw", "5m", "1h";
        "1d" only when asked for).

        "auto" picks it with `rollups.choose_resolution` (raw up to 6 h, 5-minute up to
        8 days, hourly beyond, coarser where `keep` — retention per resolution, default
        `resolutions.DEFAULT_KEEP` — has already deleted the finer rows). Roll-ups start at
        the bucket holding `start`. Columns: centre_id, metric, label, ts (a sample's
        time or a bucket's start), count, min, max, mean, last, increase (counters only,
        counting resets and the step from the previous bucket; null for gauges).
        """
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        used = rollups.choose_resolution(start, end, self._clock(),
                                         keep or resolutions.DEFAULT_KEEP, resolution)
        counters = {m for m in names if m in METRICS and is_counter(m)}
        with self._engine.connect() as conn:
            got = rollups.read(conn, used, names, to_ms(start), to_ms(end), centre_ids, counters)
        return got, used

    def gauge_means(
        self,
        metrics: Sequence[str],
        start: datetime,
        end: datetime,
        centre_ids: Sequence[str] | None = None,
        resolution: str = "1h",
    ) -> pl.DataFrame:
        """Per roll-up bucket ("5m" or "1h") of `metrics` over [start, end]: centre_id,
        metric, ts, count, mean — the part of `series` that comparing centres needs."""
        with self._engine.connect() as conn:
            return rollups.gauge_means(conn, resolution, list(metrics), to_ms(start),
                                       to_ms(end), centre_ids)

    def increases(
        self,
        metrics: Sequence[str],
        start: datetime,
        end: datetime,
        centre_ids: Sequence[str] | None = None,
        resolution: str = "1h",
        zero_start: bool = False,
    ) -> pl.DataFrame:
        """Each counter series' increase over [start, end] from the `resolution` roll-ups
        ("5m", "1h" or "1d": local days), summed in the database: one row per series
        (centre_id, metric, label, increase), whatever the span. `start` should fall on a
        bucket boundary (for "1d" a local midnight, 17:00 UTC).
        See `rollups.increases` for the baseline and `zero_start`."""
        with self._engine.connect() as conn:
            return rollups.increases(conn, resolution, list(metrics), to_ms(start), to_ms(end),
                                     centre_ids, zero_start)

    def today_increases(
        self,
        metrics: Sequence[str],
        day_start: datetime,
        at: datetime,
        centre_ids: Sequence[str] | None = None,
        *,
        newest: datetime | None,
        keep: Mapping[str, timedelta] | None = None,
    ) -> today_.Today:
        """Each counter series' increase from local midnight `day_start` (on the hour) to
        `at`, at the finest resolution kept for `at` (`metrics.today`): the roll-ups
        where their buckets are exact, raw samples for the rest while they are stored,
        else the 5-minute (kept `keep[FIVE_MIN]`, default `resolutions.DEFAULT_KEEP`) or
        hourly buckets ending by `at` (the answer says which). `newest`: the newest poll
        stored (`newest_ts`; None when none): up to it, the day's roll-up answers alone."""
        newest_ms, at_ms = None if newest is None else to_ms(newest), to_ms(at)
        with self._engine.connect() as conn:
            # Replaying: raw samples are stored from the oldest poll on (retention deletes
            # polls no later than their samples); one seek of the polls' time index.
            oldest = (conn.execute(OLDEST_POLL).scalar_one()
                      if newest_ms is not None and newest_ms > at_ms else None)
            plan = today_.plan(to_ms(day_start), at_ms, newest_ms, to_ms(self._clock()),
                               keep or resolutions.DEFAULT_KEEP, oldest)
            got, read = today_read.today_increases(conn, list(metrics), to_ms(day_start),
                                                   to_ms(at), centre_ids, plan)
        return today_.Today(got, plan.resolution, plan.until_ms, read)

    def totals(
        self,
        metrics: Sequence[str],
        start: datetime,
        end: datetime,
        centre_ids: Sequence[str] | None = None,
        resolution: str = "5m",
    ) -> pl.DataFrame:
        """Per series over [start, end] from the `resolution` roll-ups ("5m", "1h" or "1d"),
        summed in the database: count, sum, min, max (e.g. availability = sum / count of
        `up`)."""
        with self._engine.connect() as conn:
            return rollups.totals(conn, resolution, list(metrics), to_ms(start), to_ms(end),
                                  centre_ids)


def _filter(stmt: sa.Select, column: sa.Column, values: Sequence[str] | None) -> sa.Select:
    # An expanding IN: one bound parameter list, whatever its length.
    return stmt if values is None else stmt.where(column.in_(list(values)))
