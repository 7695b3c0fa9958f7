"""What time-weighted availability reads: polls and "system down" reports of a window.

Two queries, in fewer bytes than `Store.polls` and `Store.samples`: each poll's centre,
time, outcome and failure reason, and only the `system_state` samples that say down.
Reads only; the arithmetic is `metrics.availability`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from metrics import availability as av
from metrics import schema as t
from metrics.catalogue import STATE_DOWN
from metrics.store import Store, to_ms

POLL_SCHEMA = {"centre_id": pl.String, "ts": pl.Int64, "ok": pl.Boolean, "reason": pl.String}
REPORT_SCHEMA = {"centre_id": pl.String, "ts": pl.Int64, "value": pl.Float64}


def polls(store: Store, start: datetime, end: datetime,
          centre_ids: Sequence[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(polls, system-down reports) with start <= ts <= end, ts in ms: the inputs of
    `availability.poll_states`. A failed poll's reason is read, an answered one's not."""
    p, s, x = t.polls, t.series, t.samples
    lo, hi = to_ms(start), to_ms(end)
    poll_stmt = (sa.select(p.c.centre_id, p.c.ts, p.c.ok,
                           sa.case((sa.not_(p.c.ok), p.c.reason), else_=sa.null()))
                 .where(p.c.ts >= lo, p.c.ts <= hi))
    report_stmt = (sa.select(s.c.centre_id, x.c.ts, x.c.value)
                   .select_from(s.join(x, x.c.series_id == s.c.id))
                   .where(s.c.metric == "system_state", x.c.ts >= lo, x.c.ts <= hi,
                          x.c.value == STATE_DOWN))
    if centre_ids is not None:
        poll_stmt = poll_stmt.where(p.c.centre_id.in_(list(centre_ids)))
        report_stmt = report_stmt.where(s.c.centre_id.in_(list(centre_ids)))
    with store.engine.connect() as conn:
        poll_rows = conn.execute(poll_stmt).all()
        report_rows = conn.execute(report_stmt).all()
    return (pl.DataFrame(poll_rows, schema=POLL_SCHEMA, orient="row"),
            pl.DataFrame(report_rows, schema=REPORT_SCHEMA, orient="row"))


def chunk_seconds(store: Store, a: datetime, b: datetime, hold_s: float,
                  centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """`availability.state_seconds` of the chunk [a, b): reads its polls from `hold_s`
    before `a` to `hold_s` after `b`."""
    hold = timedelta(seconds=hold_s)
    got, reports = polls(store, a - hold, b + hold, centre_ids)
    return av.state_seconds(av.poll_states(got, reports), a, b, hold_s)
