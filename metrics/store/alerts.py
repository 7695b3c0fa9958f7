"""The alert tables' SQL for the engine and the people's actions: `alerts`, `alert_events`,
`silences`, `notifications` (the outbox), and the poll aggregates the rules read.

metrics/alerts (engine.py, actions.py) keeps the life cycle and builds its states from the
plain rows these return (mappings or tuples); writes take the caller's connection, so a
change, its events and its notices commit together. Times are int ms UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store import dialects
from metrics.store import schema as t

Row = Mapping[Any, Any]  # a row by column name (SQLAlchemy's RowMapping, or a dict to write)


@contextmanager
def locked_transaction(engine: Engine, advisory_key: int) -> Iterator[Connection]:
    """A write transaction that also holds PostgreSQL's advisory lock `advisory_key` (SQLite:
    BEGIN IMMEDIATE already serialises writers), so concurrent engines take turns."""
    with dialects.write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({advisory_key})"))
        yield conn


# --- alerts


def open_or_recent(conn: Connection, now: int, flap_window_ms: int) -> list[Row]:
    """Open alerts, the ones resolved within `flap_window_ms`, and resolved ones still owing
    a resolved notice; every column, by id."""
    a = t.alerts
    return list(conn.execute(sa.select(a).where(sa.or_(
        a.c.state != "resolved",
        a.c.resolved_at >= now - flap_window_ms,
        sa.and_(a.c.last_notified.is_not(None), a.c.last_notified < a.c.resolved_at),
    )).order_by(a.c.id)).mappings().all())


def resolved_centre_alerts(conn: Connection,
                           groups: Sequence[tuple[str, int | None, int]]) -> list[Row]:
    """Resolved centre alerts of any (rule, province code, resolved since) in `groups`;
    every column, by id."""
    if not groups:
        return []
    a = t.alerts
    grouped = [sa.and_(a.c.rule == rule, a.c.province_code == province,
                       a.c.resolved_at >= since) for rule, province, since in groups]
    return list(conn.execute(sa.select(a).where(
        a.c.state == "resolved", a.c.centre_id.is_not(None), sa.or_(*grouped))
        .order_by(a.c.id)).mappings().all())


def alerts_by_id(conn: Connection, ids: Sequence[int]) -> list[Row]:
    """The alerts with these ids, every column, in id order."""
    if not ids:
        return []
    a = t.alerts
    return list(conn.execute(sa.select(a).where(a.c.id.in_(ids)).order_by(a.c.id))
                .mappings().all())


def insert_alert(conn: Connection, row: Row) -> int:
    """A new alert; its id."""
    a = t.alerts
    return conn.execute(a.insert().values(**row).returning(a.c.id)).scalar_one()


def update_alert(conn: Connection, alert_id: int, values: Row) -> int:
    """Set `values` on alert `alert_id`; rows changed (0 or 1)."""
    a = t.alerts
    return int(conn.execute(a.update().where(a.c.id == alert_id).values(**values)).rowcount)


def alert_state(conn: Connection, alert_id: int) -> str | None:
    """The state of alert `alert_id`, or None when there is none."""
    a = t.alerts
    return conn.execute(sa.select(a.c.state).where(a.c.id == alert_id)).scalar()


def open_alert_keys(conn: Connection) -> list[tuple[int, str, str | None, str]]:
    """(id, rule, centre id, labels JSON) of every alert not resolved."""
    a = t.alerts
    return [(r.id, r.rule, r.centre_id, r.labels) for r in conn.execute(
        sa.select(a.c.id, a.c.rule, a.c.centre_id, a.c.labels)
        .where(a.c.state != "resolved")).all()]


def alert_ids_for(conn: Connection, fingerprints: Sequence[str], created_at: int) -> list[int]:
    """The newest alert of each fingerprint that began by `created_at`."""
    if not fingerprints:
        return []
    a = t.alerts
    rows = conn.execute(sa.select(sa.func.max(a.c.id)).where(
        a.c.fingerprint.in_(fingerprints), a.c.pending_since <= created_at)
        .group_by(a.c.fingerprint)).all()
    return [r[0] for r in rows]


def insert_events(conn: Connection, rows: Sequence[Row]) -> None:
    """Alert events (alert_id, ts, kind, actor, detail), one per row."""
    conn.execute(t.alert_events.insert(), list(rows))


def centre_names(conn: Connection, ids: Sequence[str], provinces: Sequence[int]
                 ) -> list[tuple[str, str, int, str]]:
    """(id, name, province code, province name) of the centres in `ids` or in `provinces`."""
    c = t.centres
    return [(r.id, r.name, r.province_code, r.province_name) for r in conn.execute(
        sa.select(c.c.id, c.c.name, c.c.province_code, c.c.province_name)
        .where(sa.or_(c.c.id.in_(sorted(ids)), c.c.province_code.in_(sorted(provinces)))))
        .all()]


# --- silences


def silences_in_force(conn: Connection, now: int) -> list[Row]:
    """The silences begun by `now`, not ended and never cancelled; every column."""
    s = t.silences
    return list(conn.execute(sa.select(s).where(
        s.c.cancelled_at.is_(None), s.c.starts_at <= now, s.c.ends_at > now)).mappings().all())


def insert_silence(conn: Connection, *, matchers: str, starts_at: int, ends_at: int,
                   created_by: str, reason: str, created_at: int) -> int:
    """A new silence (`matchers` as JSON text); its id."""
    s = t.silences
    return int(conn.execute(s.insert().values(
        matchers=matchers, starts_at=starts_at, ends_at=ends_at, created_by=created_by,
        reason=reason, created_at=created_at).returning(s.c.id)).scalar_one())


def cancel_silence(conn: Connection, silence_id: int, *, now: int, by: str) -> int:
    """Cancel silence `silence_id` if it is not yet; rows changed (0 or 1)."""
    s = t.silences
    return int(conn.execute(s.update().where(s.c.id == silence_id, s.c.cancelled_at.is_(None))
                            .values(cancelled_at=now, cancelled_by=by)).rowcount)


# --- notifications (the outbox)


def insert_notifications(conn: Connection, rows: Sequence[Row]) -> None:
    """Queue outbox rows, one per row."""
    conn.execute(t.notifications.insert(), list(rows))


def due_channels(engine: Engine, now: int) -> list[str]:
    """The channels with an outbox row due at `now`, by name."""
    n = t.notifications
    with engine.connect() as conn:
        return list(conn.execute(
            sa.select(n.c.channel).distinct()
            .where(n.c.state != "sent", n.c.next_attempt <= now)
            .order_by(n.c.channel)).scalars())


def due_notifications(engine: Engine, channel: str, now: int, limit: int) -> list[Any]:
    """`channel`'s outbox rows due at `now`, oldest first, at most `limit`: rows with
    id, channel, payload, attempts, next_attempt and created_at as attributes."""
    n = t.notifications
    with engine.connect() as conn:
        return list(conn.execute(
            sa.select(n.c.id, n.c.channel, n.c.payload, n.c.attempts, n.c.next_attempt,
                      n.c.created_at)
            .where(n.c.channel == channel, n.c.state != "sent", n.c.next_attempt <= now)
            .order_by(n.c.id).limit(limit)).all())


def claim_notification(conn: Connection, row_id: int, next_attempt: int, until: int) -> bool:
    """Move row `row_id`'s next attempt to `until` if no one else moved it from
    `next_attempt` and it is not sent; True when this caller claimed it."""
    n = t.notifications
    done = conn.execute(n.update().where(n.c.id == row_id, n.c.next_attempt == next_attempt,
                                         n.c.state != "sent")
                        .values(next_attempt=until))
    return done.rowcount == 1


def update_notification(conn: Connection, row_id: int, values: Row) -> None:
    """Set `values` on outbox row `row_id` (its delivery's outcome)."""
    n = t.notifications
    conn.execute(n.update().where(n.c.id == row_id).values(**values))


# --- what the rules read of the polls


def newest_poll_ms(conn: Connection) -> int | None:
    """The newest poll's time, or None before the first."""
    newest = conn.execute(sa.select(sa.func.max(t.polls.c.ts))).scalar()
    return None if newest is None else int(newest)


def _not_skipped(skipped: str) -> sa.ColumnElement[bool]:
    return sa.or_(t.polls.c.reason.is_(None), t.polls.c.reason != skipped)


def last_observed(conn: Connection, now: int, lookback_ms: int, skipped: str
                  ) -> list[tuple[str, int]]:
    """(centre id, newest poll ts) per centre over (now - lookback_ms, now], leaving out
    polls whose reason is `skipped`."""
    p = t.polls
    rows = conn.execute(
        sa.select(p.c.centre_id, sa.func.max(p.c.ts))
        .where(p.c.ts >= now - lookback_ms, p.c.ts <= now, _not_skipped(skipped))
        .group_by(p.c.centre_id)).all()
    return [tuple(r) for r in rows]


def poll_counts(conn: Connection, now: int, windows_s: Sequence[float], skipped: str
                ) -> list[tuple[str, float, int, int]]:
    """(centre id, window s, polls, failed polls) per centre and window ending at `now`,
    in one query, leaving out polls whose reason is `skipped`."""
    p = t.polls
    cols = []
    for i, w in enumerate(windows_s):
        inside = p.c.ts >= now - int(w * 1000)
        cols += [sa.func.sum(sa.case((inside, 1), else_=0)).label(f"t{i}"),
                 sa.func.sum(sa.case((sa.and_(inside, p.c.ok.is_(False)), 1), else_=0))
                 .label(f"f{i}")]
    rows = conn.execute(
        sa.select(p.c.centre_id, *cols)
        .where(p.c.ts >= now - int(max(windows_s) * 1000), p.c.ts <= now,
               _not_skipped(skipped))
        .group_by(p.c.centre_id)).all()
    return [(r[0], w, int(r[1 + 2 * i] or 0), int(r[2 + 2 * i] or 0))
            for r in rows for i, w in enumerate(windows_s)]
