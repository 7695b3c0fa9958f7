"""Reconciliations, pure: what the receiver got against the outbox, what the collector logged
against what the store holds. Each returns a list of problems (empty: consistent)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.alerts.notifiers.base import Message
from metrics.alerts.notifiers.webhook import payload as webhook_payload

Key = tuple[str, str, str]  # (fingerprint, "firing" | "resolved", startsAt)


def webhook_keys(body: dict[str, Any]) -> list[Key]:
    """The alerts one Alertmanager-style webhook document carries."""
    return [(a["fingerprint"], a["status"], a["startsAt"]) for a in body["alerts"]]


def outbox_keys(payload_json: str) -> list[Key]:
    """The same keys for an outbox row, through the webhook's own rendering."""
    return webhook_keys(webhook_payload(Message.from_json(payload_json), receiver="ioc"))


@dataclass(frozen=True)
class Arrival:
    at: float
    body: dict[str, Any]


def reconcile_notifications(outbox: Sequence[tuple[int, str, str]], arrivals: Sequence[Arrival],
                            kills: Iterable[float], redelivery_s: float = 1.0
                            ) -> tuple[list[str], list[str]]:
    """(problems, notes). `outbox` rows are (id, state, payload).

    Every row must be sent; no alert key may be queued in two rows (the engine queued a
    notice twice); the receiver must hold exactly the outbox's keys, each once. A second
    copy is only excused when a collector was SIGKILLed within `redelivery_s` after the
    first arrived — between sending and marking the row sent, the one documented
    at-least-once point (docs/alerts.md) — and is then reported as a note.
    """
    problems, notes = [], []
    queued: dict[Key, list[int]] = {}
    for row_id, state, payload in outbox:
        if state != "sent":
            problems.append(f"outbox row {row_id} is {state}, never delivered")
        for key in outbox_keys(payload):
            queued.setdefault(key, []).append(row_id)
    for key, rows in queued.items():
        if len(rows) > 1:
            problems.append(f"{key} queued {len(rows)} times (outbox rows {rows})")
    got: dict[Key, list[float]] = {}
    for a in arrivals:
        for key in webhook_keys(a.body):
            got.setdefault(key, []).append(a.at)
    kills = sorted(kills)
    for key, times in got.items():
        if key not in queued:
            problems.append(f"{key} received but never queued")
        if len(times) > 1:
            first = min(times)
            if len(times) == 2 and any(first <= k <= first + redelivery_s for k in kills):
                notes.append(f"{key} delivered twice: a collector was killed right after "
                             "the first delivery, before marking it sent")
            else:
                problems.append(f"{key} received {len(times)} times")
    for key in queued.keys() - got.keys():
        problems.append(f"{key} queued but never received")
    return problems, notes


def firing_key(alert: dict[str, Any]) -> tuple[str, str]:
    return alert["fingerprint"], str(alert["firing_since"] or alert["pending_since"])


def reconcile_cycles(cycles: Sequence[dict[str, Any]], stored_polls: int, stored_samples: int,
                     kills: int, centres: int) -> list[str]:
    """The collector's cycle lines against the store, across its restarts.

    Every cycle line says what happened to its polls: written, spooled (replayed later) or
    dropped past the spool's bound. Nothing that was not dropped may be missing, so the store
    holds at least the polls and samples the lines account for, and at most one cycle more
    per SIGKILL (a cycle stored or spooled just before the kill, never logged).
    """
    problems = []
    kept = sum(c["centres"] for c in cycles if "dropped" not in c)
    if stored_polls < kept:
        problems.append(f"the store holds {stored_polls} polls, the collector's lines account "
                        f"for {kept} (written or spooled): {kept - stored_polls} lost silently")
    if stored_polls > kept + kills * centres:
        problems.append(f"the store holds {stored_polls} polls, more than the {kept} logged "
                        f"plus {kills} killed cycles of {centres}")
    logged_samples = sum(c["samples"] for c in cycles)
    if stored_samples < logged_samples:
        problems.append(f"the collector reported {logged_samples} samples stored, the store "
                        f"holds {stored_samples}")
    return problems


def reconcile_gaps(cycles: Sequence[dict[str, Any]], gaps: Sequence[dict[str, Any]],
                   kills: int, slack_ms: float) -> list[str]:
    """The collector's dropped cycles against the `collection_gaps` rows.

    Every cycle line logged as dropped lies in a gap (the line comes after the cycle's
    polls, within `slack_ms` of the gap's last one), and the gaps hold exactly those
    cycles, plus at most one per SIGKILL (remembered on disk, killed before its line).
    """
    dropped = [c for c in cycles if "dropped" in c]
    held = sum(g["cycles"] for g in gaps)
    problems = []
    if not len(dropped) <= held <= len(dropped) + kills:
        problems.append(f"{len(dropped)} cycles logged as dropped, the store's gaps hold "
                        f"{held} (at most {kills} more allowed, one per SIGKILL)")
    for c in dropped:
        at = c["at"] * 1000
        if not any(g["start_ts"] <= at <= g["end_ts"] + slack_ms for g in gaps):
            problems.append(f"dropped cycle {c.get('cycle')} at {c['at']} is in no gap: {gaps}")
    if wrong := {g["reason"] for g in gaps} - {"spool_full"}:
        problems.append(f"gaps with another reason than spool_full: {sorted(wrong)}")
    return problems


def events(log_text: str, name: str) -> list[dict[str, Any]]:
    """The structured `name` events of a log, as plain (`{"event": …}`) or prefixed text
    lines (`ERROR ioc.collector: {"event": …}`)."""
    mark = f'"event": "{name}"'
    return [json.loads(line[line.index("{"):]) for line in log_text.splitlines()
            if mark in line and "{" in line]
