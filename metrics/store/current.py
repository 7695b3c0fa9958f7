"""The current state: the newest stored sample of every series (`series_latest`).

`update` runs inside `Store.write`'s transaction with the sample rows the write tried
to store: one upsert of each series' newest row that only ever moves forward in time,
so a late or replayed older sample never moves it back. So the table holds, per series,
the newest sample in `samples` (retention drops a row once it is as old as the raw
samples it stands for), and `read` answers the live "newest value per series" with one
join instead of one primary-key seek per series (40,260 of them for the national
wall's gauges).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from metrics.store import dialects
from metrics.store.schema import samples, series, series_latest

COLUMNS = ("series_id", "ts", "value")
# Only a newer sample replaces the stored one. Not `>=`: a replayed (series, ts) keeps the
# value `samples` kept (its insert is ON CONFLICT DO NOTHING), so this must keep it too.
FORWARD_ONLY = "ts = excluded.ts, value = excluded.value WHERE excluded.ts > series_latest.ts"


def newest(rows: Sequence[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Each series' newest row of `rows` (series_id, ts, value; sorted by series then
    time), in series order. Of rows with the same (series, ts) the first wins, as it does
    in the samples' insert."""
    out: list[tuple[int, int, float]] = []
    for row in rows:
        if out and out[-1][0] == row[0]:
            if row[1] > out[-1][1]:
                out[-1] = row
        else:
            out.append(row)
    return out


def update(conn: Connection, rows: Sequence[tuple[int, int, float]], staged: bool = False
           ) -> None:
    """Move each written series' row forward to its newest sample in `rows` (sorted), in
    the caller's transaction. `staged`: the rows, one per series, were staged
    (`dialects.stage_samples`), and go in as they are."""
    if not rows:
        return
    if staged:
        dialects.upsert_staged(conn, series_latest, COLUMNS, lambda sid, ts, v: f"{sid}, {ts}, {v}",
                               rows, ("series_id",), FORWARD_ONLY)
        return
    dialects.bulk_upsert(conn, series_latest, COLUMNS, newest(rows), ("series_id",),
                         FORWARD_ONLY)


def live(dialect: str, lo: int, hi: int) -> tuple[sa.Select, sa.Select]:
    """The newest sample per series with lo < ts <= hi, as two selects of (centre_id,
    metric, label, ts, value) over `series` for the caller to filter and unite: the stored
    current rows in the window, and a primary-key seek in `samples` for each series whose
    current row is after `hi` (a clock behind the data's), so the answer is exactly the
    seek-per-series one (`Store.latest` with `at`)."""
    keys = (series.c.centre_id, series.c.metric, series.c.label)
    joined = series.join(series_latest, series_latest.c.series_id == series.c.id)
    current = (sa.select(*keys, series_latest.c.ts, series_latest.c.value)
               .select_from(joined).where(series_latest.c.ts > lo, series_latest.c.ts <= hi))
    sought_from, x = dialects.newest_join(dialect, joined, series.c.id, samples, "series_id",
                                          lo, hi)
    sought = (sa.select(*keys, x.ts, x.value).select_from(sought_from)
              .where(series_latest.c.ts > hi))
    return current, sought
