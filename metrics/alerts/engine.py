"""The alert engine, the imperative shell: read a window → evaluate → persist → outbox → send.

`AlertEngine.evaluate()` reads what the due rules need in a few fleet-wide queries,
evaluates them (metrics.alerts.rules, pure), then in ONE write transaction reads the alert
state, advances the life cycle (metrics.alerts.lifecycle, pure), writes alerts, events
and the notifications to send (the outbox). State changes and their notification commit
together, so a restart neither loses a notice nor sends one twice; concurrent engines
(the collector's and `ioc alerts evaluate --watch`) are serialised by that transaction
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock). `evaluate_centres()` evaluates
the poll rules for a few centres only, the moment the collector's re-probe confirms (or
clears) their failure, without waiting for the next cycle.

After each evaluation the engine escalates overdue assignments (`escalate`,
metrics/alerts/assignments_store.py): once each, its notice queued in the same outbox.

`AlertEngine.dispatch()` sends due outbox rows with `metrics.alerts.notifiers.send`, each channel
on its own thread (its rows in order), so a hanging receiver delays no other channel: a row
is claimed for `delivery.lease_s`, then marked sent, or kept with `last_error`, a
`notify_failed` event and its next attempt after the channel's exponential backoff —
never dropped. Every attempt of a row carries the same idempotency key
(`notification_key`). As a collector observer (`after_cycle`) the engine evaluates after
each cycle's write and wakes its dispatcher thread, which starts a lane per channel.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from config.alerts import (
    AlertsConfig,
    BurnRate,
    FailedPolls,
    Growth,
    ProvinceDown,
    Rule,
    Stale,
    Threshold,
)
from config.channels import backoff_delay
from metrics.alerts import incidents
from metrics.alerts import lifecycle as lc
from metrics.alerts.rules import Window, evaluate, mark_system_down
from metrics.results import Reason
from metrics.store import Connection, DatabaseError, Store, history_fill
from metrics.store import alerts as table

log = logging.getLogger("ioc.alerts")
ADVISORY_KEY = 7660767
DISPATCH_BATCH = 200
SKIPPED = Reason.SKIPPED.value


def store_behind(summary: Mapping[str, Any]) -> bool:
    """Whether a collector cycle's summary says the store does not yet hold every cycle
    polled: this one not stored (`db` names the store's trouble, or it was spooled or
    dropped), or earlier ones still waiting in the spool."""
    return bool(summary.get("db") or summary.get("spooled") or summary.get("dropped")
                or summary.get("spool_files"))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class AlertEngine:
    """Evaluates `cfg`'s rules against `store` and delivers notifications."""

    def __init__(self, store: Store, cfg: AlertsConfig, *,
                 clock: Callable[[], float] = time.time,
                 env: Mapping[str, str] | None = None,
                 send: Callable[..., None] | None = None,
                 unwatched: frozenset[str] = frozenset(),
                 watching_since_ms: int | None = None):
        """`unwatched`: centres the site file disables (config.deployment.unwatched_ids),
        which the rules pass over even while the store still holds their past polls.
        `watching_since_ms`: when watching began (default: now); a centre's silence is
        counted from then at the earliest, so none is "silent" at start-up."""
        self.store, self.cfg, self.clock = store, cfg, clock
        self.unwatched = unwatched
        self.env = os.environ if env is None else env
        if send is None:
            from metrics.alerts.notifiers import send as send_one
            send = send_one
        self._send = send
        self._last_run: dict[str, int] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lanes: dict[str, threading.Thread] = {}  # channel → its delivery thread
        self._evaluating = threading.Lock()  # one whole-fleet evaluation at a time
        self.store_behind = False  # the collector's last cycle is not all in the store yet
        self.started_ms = self.now_ms() if watching_since_ms is None else watching_since_ms

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- evaluation -------------------------------------------------------------------

    def due_rules(self, now: int) -> list[Rule]:
        """The rules due at `now`. While the store is behind the collector (`store_behind`)
        the staleness rules are not: a centre whose polls wait in the spool, or in a write
        abandoned half done, is not silent; their alerts keep their state until it catches
        up, and the store's own alarm (`store_alarm`) speaks meanwhile."""
        return [r for r in self.cfg.rules
                if now - self._last_run.get(r.name, -10**15) >= r.every_s * 1000
                and not (self.store_behind and isinstance(r.condition, Stale))]

    def read_window(self, rules: list[Rule], now: int) -> Window:
        """The data the rules need, in a few fleet-wide queries."""
        at = _dt(now)
        conds = [r.condition for r in rules]
        polls = self._read_polls(conds, at)
        thresholds = [c for c in conds if isinstance(c, Threshold)]
        growths = [c for c in conds if isinstance(c, Growth)]
        latest = pl.DataFrame()
        metrics = sorted({c.metric for c in thresholds + growths})
        if metrics:
            lookback = max([c.window_s for c in thresholds] + [c.window_s / 2 for c in growths])
            latest = self.store.latest(metrics=metrics, at=at,
                                       lookback=timedelta(seconds=lookback))
        earlier: dict[float, pl.DataFrame] = {}
        for c in growths:
            earlier[c.window_s] = pl.concat([earlier.get(c.window_s, pl.DataFrame()),
                                             self.store.latest(
                                                 metrics=[c.metric],
                                                 at=at - timedelta(seconds=c.window_s),
                                                 lookback=timedelta(seconds=c.window_s / 2))],
                                            how="diagonal")
        stale = [c for c in conds if isinstance(c, Stale)]
        windows = sorted({w for c in conds if isinstance(c, BurnRate)
                          for p in c.pairs for w in (p.long_s, p.short_s)})
        with self.store.engine.connect() as conn:
            newest = table.newest_poll_ms(conn)
            observed = (self._observed(conn, now, max(c.lookback_s for c in stale)) if stale
                        else pl.DataFrame())
            counts = self._poll_counts(conn, now, windows) if windows else pl.DataFrame()
            fill = history_fill.read(conn) if windows else None
        if fill is not None and not fill.finished and not counts.is_empty():
            # A window reaching into history still being filled is not judged (not observed).
            counts = counts.filter(now - pl.col("window_s") * 1000 >= fill.complete_from_ms)
        window = Window(self.store.centres(), polls, latest, earlier, observed, counts,
                        newest, self.started_ms)
        return _without(window, self.unwatched) if self.unwatched else window

    def _read_polls(self, conds: Sequence[object], at: datetime,
                    centre_ids: Sequence[str] | None = None) -> pl.DataFrame:
        poll_s = max((c.window_s for c in conds if isinstance(c, FailedPolls | ProvinceDown)),
                     default=0)
        if not poll_s:
            return pl.DataFrame()
        since = at - timedelta(seconds=poll_s)
        return mark_system_down(self.store.polls(since, at, centre_ids),
                                self.store.samples(["system_state"], since, at, centre_ids))

    def _observed(self, conn: Connection, now: int, lookback_s: float) -> pl.DataFrame:
        rows = table.last_observed(conn, now, int(lookback_s * 1000), SKIPPED)
        return pl.DataFrame(rows, schema={"centre_id": pl.String,
                                          "ts": pl.Int64}, orient="row")

    def _poll_counts(self, conn: Connection, now: int, windows: list[float]) -> pl.DataFrame:
        """Non-skipped polls and failed ones per centre for each window, in one query."""
        out = table.poll_counts(conn, now, windows, SKIPPED)
        return pl.DataFrame(out, schema={"centre_id": pl.String, "window_s": pl.Float64,
                                         "total": pl.Int64, "failed": pl.Int64}, orient="row")

    def evaluate(self, now: int | None = None) -> dict[str, Any]:
        """One evaluation of the due rules; a summary of what changed."""
        with self._evaluating:
            now = self.now_ms() if now is None else now
            rules = self.due_rules(now)
            summary = self._advance(rules, self.read_window(rules, now), now)
            for rule in rules:
                self._last_run[rule.name] = now
            summary["escalated"] = self.escalate(now)
            return summary

    def escalate(self, now: int | None = None) -> int:
        """Escalate the assignments overdue at `now` (metrics/alerts/assignments_store.py): each
        once, its notice queued under this engine's lock; how many."""
        from metrics.alerts import assignments_store

        try:
            found = assignments_store.escalate(self.store, self.cfg,
                                               self.now_ms() if now is None else now,
                                               transaction=self._transaction)
        except DatabaseError:
            raise  # the database is away: as for the evaluation itself
        except Exception:  # a bad row must not stop the alerts
            log.exception("escalating overdue assignments failed")
            return 0
        return len(found)

    def evaluate_centres(self, centre_ids: Sequence[str], now: int | None = None
                         ) -> dict[str, Any]:
        """Evaluate the per-centre poll rules (`failed_polls`) for `centre_ids` only, at
        once: what a re-probe between cycles just confirmed or cleared. Other centres'
        alerts keep their state (a fingerprint with no data is left as it is)."""
        now = self.now_ms() if now is None else now
        rules = [r for r in self.cfg.rules if isinstance(r.condition, FailedPolls)]
        if not rules or not centre_ids:
            return {"rules": 0, "events": {}, "queued": 0, "open": 0}
        polls = self._read_polls([r.condition for r in rules], _dt(now), list(centre_ids))
        window = Window(self.store.centres(), polls, watching_since_ms=self.started_ms)
        if self.unwatched:
            window = _without(window, self.unwatched)
        # Not behind a whole-fleet evaluation's reads: the advance's transaction serialises
        # the two (BEGIN IMMEDIATE / the advisory lock).
        summary = self._advance(rules, window, now)
        self._wake.set()
        return summary

    def _advance(self, rules: list[Rule], window: Window, now: int) -> dict[str, Any]:
        """Evaluate `rules` over `window` and, in one transaction, advance the alerts and
        queue the notifications; a summary of what changed."""
        evaluations = []
        for rule in rules:
            try:
                evaluations.append(evaluate(rule, window, now))
            except Exception:  # one broken rule must not stop the others
                log.exception("alert rule %s failed", rule.name)
        with self._transaction() as conn:
            alerts = _load_alerts(conn, now, self.cfg.flapping.window_s)
            silences = load_silences(conn, now)
            fleet = incidents.Fleet.of(window.centres.iter_rows(named=True))
            step = lc.advance(self.cfg, alerts, evaluations, now, fleet=fleet)
            starts: dict[str, list[int]] = {}
            for a in step.alerts:
                starts.setdefault(a.fingerprint, []).append(a.pending_since)
            planned, outgoing = lc.plan(self.cfg, step.alerts, silences, starts, now)
            events = (step.events + lc.silenced_events(self.cfg, step, silences, now)
                      + planned.events)
            ids = _save_alerts(conn, alerts, planned.alerts)
            if events:
                table.insert_events(conn, [
                    {"alert_id": ids[e.index], "ts": now, "kind": e.kind, "actor": "engine",
                     "detail": e.detail[:2000]} for e in events])
            if outgoing:
                names = _centre_names(window.centres)
                table.insert_notifications(conn, [
                    outbox_row(o, planned.alerts, names, now, silences)
                    for o in outgoing])
        counts: dict[str, int] = {}
        for e in events:
            counts[e.kind] = counts.get(e.kind, 0) + 1
        return {"rules": len(rules), "events": counts, "queued": len(outgoing),
                "open": sum(a.state in lc.OPEN for a in planned.alerts)}

    def _transaction(self) -> AbstractContextManager[Connection]:
        return table.locked_transaction(self.store.engine, ADVISORY_KEY)

    # -- delivery ---------------------------------------------------------------------

    def dispatch(self, now: int | None = None) -> dict[str, int]:
        """Send every due outbox row once, each channel on its own thread, and wait for
        them all; {"sent": n, "failed": m}. A channel whose receiver hangs holds up only its
        own rows (each send ends by the channel's `timeout_s`)."""
        now = self.now_ms() if now is None else now
        channels = self._due_channels(now)
        if len(channels) == 1:
            return self._dispatch_channel(channels[0], now)
        results: list[dict[str, int]] = []
        lanes = [threading.Thread(target=lambda c=c: results.append(
                     self._dispatch_channel(c, now)), name=f"notify-{c}", daemon=True)
                 for c in channels]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
        return {k: sum(r[k] for r in results) for k in ("sent", "failed")}

    def _due_channels(self, now: int) -> list[str]:
        """The channels with an outbox row due at `now`."""
        return table.due_channels(self.store.engine, now)

    def _dispatch_channel(self, channel: str, now: int) -> dict[str, int]:
        """Send `channel`'s due rows in order, one at a time; {"sent": n, "failed": m}."""
        due = table.due_notifications(self.store.engine, channel, now, DISPATCH_BATCH)
        result = {"sent": 0, "failed": 0}
        for row in due:
            if not self._claim(row.id, row.next_attempt, now):
                continue  # another dispatcher took it
            ok = self._deliver(row, now)
            result["sent" if ok else "failed"] += 1
        return result

    def _claim(self, row_id: int, next_attempt: int, now: int) -> bool:
        lease = now + int(self.cfg.delivery.lease_s * 1000)
        with self._transaction() as conn:
            return table.claim_notification(conn, row_id, next_attempt, lease)

    def _deliver(self, row: Any, now: int) -> bool:
        from metrics.alerts.notifiers.base import DeliveryError, Message

        attempts = row.attempts + 1
        channel = self.cfg.channels.get(row.channel)
        error: str | None = None
        retryable = True
        try:
            message = replace(Message.from_json(row.payload), key=notification_key(row))
            if channel is None:
                raise DeliveryError(f"no channel named {row.channel!r} in alerts.yaml",
                                    retryable=False)
            self._send(channel, message, self.env, name=row.channel)
        except DeliveryError as exc:
            error, retryable = exc.reason, exc.retryable
        except Exception as exc:  # a notifier bug: keep the row, say why
            error, retryable = f"{type(exc).__name__}: {exc}", True
        done = self.now_ms()
        fps = _payload_fingerprints(row.payload)
        with self._transaction() as conn:
            ids = table.alert_ids_for(conn, fps, row.created_at)
            if error is None:
                table.update_notification(conn, row.id, {
                    "state": "sent", "attempts": attempts, "sent_at": done, "last_error": ""})
                kind, detail = "notified", f"{row.channel}: delivered"
            else:
                wait = (backoff_delay(channel, attempts) if channel is not None and retryable
                        else (channel.backoff_max_s if channel is not None else 300.0))
                table.update_notification(conn, row.id, {
                    "state": "retrying", "attempts": attempts, "last_error": error[:2000],
                    "next_attempt": done + int(wait * 1000)})
                kind = "notify_failed"
                detail = (f"{row.channel}: attempt {attempts} failed: {error}; "
                          f"{'retrying' if retryable else 'not retryable, retrying slowly'} "
                          f"in {wait:g} s")
            if ids:
                table.insert_events(conn, [
                    {"alert_id": i, "ts": done, "kind": kind, "actor": "engine",
                     "detail": detail[:2000]} for i in ids])
        if error is not None:
            log.warning("notification %s to %s failed: %s", row.id, row.channel, error)
        return error is None

    # -- as a collector observer ------------------------------------------------------

    def after_cycle(self, cycle: object, summary: dict[str, Any], write_s: float) -> None:
        self.store_behind = store_behind(summary)
        self.evaluate()
        self._wake.set()

    def after_results(self, results: Sequence[Any]) -> None:
        """Re-probe results just written: evaluate their centres at once."""
        self.evaluate_centres(sorted({r.centre_id for r in results}))

    def start(self) -> AlertEngine:
        """Start the dispatcher thread (sends due rows at once when woken, else every 1 s)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alert-dispatch",
                                            daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        """Each wake-up (or second): a lane per channel with due rows, unless that channel's
        lane is still busy (a hanging receiver): it then holds up nobody else. A failure is
        said once when it starts and once when it ends, never every second."""
        failing = False
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                for channel in self._due_channels(self.now_ms()):
                    lane = self._lanes.get(channel)
                    if lane is None or not lane.is_alive():
                        lane = threading.Thread(target=self._lane, args=(channel,),
                                                name=f"notify-{channel}", daemon=True)
                        self._lanes[channel] = lane
                        lane.start()
            except DatabaseError as exc:  # the database is away: one line, no trace
                if not failing:
                    log.warning("alert dispatch paused, the database is unreachable (%s); "
                                "retried every second", type(exc).__name__)
                failing = True
                continue
            except Exception:
                if not failing:
                    log.exception("alert dispatch failed; retried every second")
                failing = True
                continue
            if failing:
                log.warning("alert dispatch works again")
                failing = False

    def _lane(self, channel: str) -> None:
        try:
            self._dispatch_channel(channel, self.now_ms())
        except DatabaseError as exc:  # the database went away: one line, no trace
            log.warning("alert dispatch to %s stopped, the database is unreachable (%s)",
                        channel, type(exc).__name__)
        except Exception:
            log.exception("alert dispatch to %s failed", channel)

    def close(self) -> None:
        """Stop dispatching: the dispatcher thread, then each channel's lane (a lane stuck on a
        receiver is left to its timeout, as a daemon thread)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        for lane in self._lanes.values():
            lane.join(5)
        self._lanes.clear()

    def __enter__(self) -> AlertEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- rows ↔ states ----------------------------------------------------------------------

_FIELDS = ("fingerprint", "rule", "severity", "centre_id", "province_code", "summary", "cause",
           "value", "state", "pending_since", "last_eval", "firing_since", "resolved_at",
           "last_notified", "acked_by", "acked_at", "ack_note", "inhibited_by")


def _load_alerts(conn: Connection, now: int, flap_window_s: float) -> list[lc.AlertState]:
    """Open alerts, recently resolved ones (flap damping), resolved ones still owing a
    resolved notice, and the resolved centre alerts an open incident groups (it names every
    centre affected while it lasts)."""
    rows = table.open_or_recent(conn, now, int(flap_window_s * 1000))
    found = [_state(r) for r in rows]
    grouped = [(s.rule, s.province_code, s.pending_since)
               for s in found if lc.is_incident(s) and s.state in lc.OPEN]
    if grouped:
        seen = {s.id for s in found}
        more = table.resolved_centre_alerts(conn, grouped)
        found += [_state(r) for r in more if r["id"] not in seen]
    return found


def _state(row: Mapping[str, Any]) -> lc.AlertState:
    return lc.AlertState(**{f: row[f] for f in _FIELDS}, labels=json.loads(row["labels"]),
                         id=row["id"])


def load_alerts_by_id(conn: Connection, ids: list[int]) -> list[lc.AlertState]:
    """The alerts with these ids, in id order."""
    rows = table.alerts_by_id(conn, ids)
    return [lc.AlertState(**{f: r[f] for f in _FIELDS}, labels=json.loads(r["labels"]),
                          id=r["id"], facts=json.loads(r["facts"] or "{}")) for r in rows]


def _save_alerts(conn: Connection, before: list[lc.AlertState],
                 after: list[lc.AlertState]) -> list[int]:
    """Insert new alerts and update changed ones; the id of every alert in `after`."""
    ids = []
    for i, s in enumerate(after):
        row = {f: getattr(s, f) for f in _FIELDS} | {
            "labels": lc.labels_json(s.labels),
            "facts": json.dumps(dict(s.facts), ensure_ascii=False, sort_keys=True)}
        if s.id is None:
            ids.append(table.insert_alert(conn, row))
        else:
            if i >= len(before) or before[i] != s:
                table.update_alert(conn, s.id, row)
            ids.append(s.id)
    return ids


def load_silences(conn: Connection, now: int) -> list[lc.Silence]:
    rows = table.silences_in_force(conn, now)
    return [lc.Silence(r["id"], json.loads(r["matchers"]), r["starts_at"], r["ends_at"],
                       r["created_by"], r["reason"], r["cancelled_at"]) for r in rows]


Names = tuple[dict[str, str], dict[int, str]]  # centre id → name, province code → name


def _without(w: Window, ids: frozenset[str]) -> Window:
    """`w` without the rows of the centres `ids`."""
    def keep(frame: pl.DataFrame, column: str = "centre_id") -> pl.DataFrame:
        return frame.filter(~pl.col(column).is_in(list(ids))) if column in frame.columns \
            else frame
    return replace(
        w, centres=keep(w.centres, "id"), polls=keep(w.polls), latest=keep(w.latest),
        earlier={k: keep(v) for k, v in w.earlier.items()}, observed=keep(w.observed),
        poll_counts=keep(w.poll_counts))


def _centre_names(centres: pl.DataFrame) -> Names:
    rows = list(centres.iter_rows(named=True))
    return ({r["id"]: r["name"] for r in rows},
            {r["province_code"]: r["province_name"] for r in rows})


def outbox_row(o: lc.Outgoing, alerts: list[lc.AlertState], names: Names, now: int,
               silences: list[lc.Silence]) -> dict[str, Any]:
    """The `notifications` row queuing `o` for delivery now."""
    message = build_message(o, alerts, names, silences, now)
    return {"channel": o.channel, "group_key": o.group_key, "status": o.status,
            "payload": message.to_json(), "state": "pending", "attempts": 0,
            "next_attempt": now, "last_error": "", "created_at": now, "sent_at": None}


def build_message(o: lc.Outgoing, alerts: list[lc.AlertState], names: Names,
                  silences: Sequence[lc.Silence] = (), now: int | None = None) -> Any:
    """The notifier `Message` for one outgoing group: each alert with who acknowledged it
    (and their note), the silence in force at `now` that mutes it, if any, and an
    incident with its centres."""
    from metrics.alerts.notifiers.base import AlertItem, Message

    items = []
    for i in o.indexes:
        a = alerts[i]
        muting = lc.silence_of(a, silences, now) if now is not None else None
        name = names[0].get(a.centre_id or "")
        province = names[1].get(a.province_code) if a.province_code is not None else None
        grouped = (tuple(names[0].get(m.centre_id or "", m.centre_id or "")
                         for m in incidents.members(a, alerts)) if lc.is_incident(a) else ())
        items.append(AlertItem(
            fingerprint=a.fingerprint, rule=a.rule, severity=a.severity,
            centre_id=a.centre_id, centre_name=name, province_name=province,
            summary=a.summary, cause=a.cause,
            starts_at=_dt(a.firing_since or a.pending_since),
            ends_at=_dt(a.resolved_at) if a.state == "resolved" and a.resolved_at else None,
            labels=dict(a.labels), acked_by=a.acked_by, ack_note=a.ack_note,
            silenced_until=None if muting is None else _dt(muting.ends_at),
            silenced_by=None if muting is None else muting.created_by, centres=grouped))
    return Message(status=o.status, group_key=f"{o.channel}:{o.group_key}", alerts=tuple(items))


def notification_key(row: Any) -> str:
    """The idempotency key of an outbox row: the same on every attempt to deliver it, and
    different for every notification (its id and creation time)."""
    return f"ioc-{row.id}-{row.created_at}"


def _payload_fingerprints(payload: str) -> list[str]:
    try:
        return [str(a["fingerprint"]) for a in json.loads(payload)["alerts"]]
    except (ValueError, KeyError, TypeError):
        return []


def alert_observers(settings: Any, config_file: str | None = None) -> list[AlertEngine]:
    """The collector's alert engine (evaluates after every cycle, dispatcher thread started),
    on its own connection pool. Refuses (SystemExit 2) when alerts.yaml is invalid."""
    import sys

    from config.alerts import alerts_path, load_alerts
    from config.loader import ConfigError

    try:
        cfg = load_alerts(alerts_path(config_file), interval_s=settings.collector.interval_s)
    except ConfigError as exc:
        print(f"ioc: refusing to start, {len(exc.problems)} alert configuration problem(s):",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    from config.deployment import unwatched_ids

    left_out = unwatched_ids(settings, config_file)
    return [AlertEngine(Store.open(settings.store.url), cfg, unwatched=left_out).start()]
