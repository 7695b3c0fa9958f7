"""Which centres had a failed poll in a time window: one aggregate over the polls table.

The briefing's incidents are runs of failed polls, so only those centres' polls
need reading (`Store.polls(…, centre_ids=…)`): between two conferences a
national fleet polls hundreds of thousands of times, nearly all answered. A
skipped poll (the collector never got to the centre) is a failed poll here, as
it is in `metrics.briefing.incidents`. Reads only; the Store writes the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from config.catalogue import STATE_DOWN
from metrics.results import SYSTEM_DOWN
from metrics.store import Store, to_ms
from metrics.store import schema as t


def failed_centres(store: Store, start: datetime, end: datetime,
                   centre_ids: Sequence[str] | None = None) -> list[str]:
    """The centres (among `centre_ids`; None: all) with a failed poll at start <= ts <= end,
    or one in which they reported their own system down, sorted; two queries, returning
    one row per such centre."""
    p = t.polls
    stmt = (sa.select(p.c.centre_id).distinct()
            .where(p.c.ts >= to_ms(start), p.c.ts <= to_ms(end), p.c.ok.is_(False))
            .order_by(p.c.centre_id))
    if centre_ids is not None:
        stmt = stmt.where(p.c.centre_id.in_(list(centre_ids)))
    with store.engine.connect() as conn:
        failed = {row[0] for row in conn.execute(stmt)}
    soft = system_down_polls(store, start, end, centre_ids)["centre_id"].to_list()
    return sorted(failed | set(soft))


def system_down_polls(store: Store, start: datetime, end: datetime,
                      centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """(centre_id, ts) of every poll at start <= ts <= end in which the centre reported its
    own system down (a `system_state` sample of 0); one query over that series alone."""
    s, x = t.series, t.samples
    stmt = (sa.select(s.c.centre_id, x.c.ts)
            .select_from(s.join(x, x.c.series_id == s.c.id))
            .where(s.c.metric == "system_state", x.c.value == STATE_DOWN,
                   x.c.ts >= to_ms(start), x.c.ts <= to_ms(end))
            .order_by(s.c.centre_id, x.c.ts))
    if centre_ids is not None:
        stmt = stmt.where(s.c.centre_id.in_(list(centre_ids)))
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pl.DataFrame(rows, schema={"centre_id": pl.String, "ts": pl.Int64}, orient="row")
    return frame.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))


def with_system_down(polls: pl.DataFrame, down: pl.DataFrame) -> pl.DataFrame:
    """`polls` with `system_down` from `system_down_polls` rows, then such polls counted as
    failed (`soft_down_as_failed`)."""
    marked = (polls.join(down.with_columns(pl.lit(True).alias("system_down")),
                         on=["centre_id", "ts"], how="left")
              .with_columns(pl.col("system_down").fill_null(False)))
    return soft_down_as_failed(marked)


def soft_down_as_failed(polls: pl.DataFrame) -> pl.DataFrame:
    """`polls` (with `system_down`, see `with_system_down`) where a poll in which the centre
    reported its own system down counts as failed, reason `system_down`: the outage runs
    of the briefing and the commune page, and availability, treat it as the alerts do."""
    if "system_down" not in polls.columns or polls.is_empty():
        return polls
    soft = pl.col("system_down") & pl.col("ok")
    return polls.with_columns(pl.when(soft).then(pl.lit(False)).otherwise(pl.col("ok"))
                              .alias("ok"),
                              pl.when(soft).then(pl.lit(SYSTEM_DOWN)).otherwise(pl.col("reason"))
                              .alias("reason"),
                              pl.when(soft).then(pl.lit("")).otherwise(pl.col("detail"))
                              .alias("detail"))


OUTCOME_SCHEMA = {"centre_id": pl.String, "ts": pl.Int64, "ok": pl.Boolean,
                  "reason": pl.String, "detail": pl.String}


def outcomes(store: Store, start: datetime, end: datetime,
             centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Each poll at start <= ts <= end as (centre_id, ts, ok, reason, detail, system_down),
    reason and detail only for failed polls, a poll in which the centre reported its own
    system down counted as failed (reason `system_down`): what `drilldown.outages` reads,
    in fewer bytes than `Store.polls` (a month of one centre at 15 s is 172,800 polls,
    nearly all answered)."""
    p = t.polls
    failed = sa.not_(p.c.ok)
    stmt = (sa.select(p.c.centre_id, p.c.ts, p.c.ok,
                      sa.case((failed, p.c.reason), else_=sa.null()),
                      sa.case((failed, p.c.detail), else_=sa.null()))
            .where(p.c.ts >= to_ms(start), p.c.ts <= to_ms(end))
            .order_by(p.c.centre_id, p.c.ts))
    if centre_ids is not None:
        stmt = stmt.where(p.c.centre_id.in_(list(centre_ids)))
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pl.DataFrame(rows, schema=OUTCOME_SCHEMA, orient="row")
    frame = frame.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    return with_system_down(frame, system_down_polls(store, start, end, centre_ids))
