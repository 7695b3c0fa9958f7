"""Alert frames as display tables for the alerts page (no I/O, no Streamlit).

Every cell is plain text in the page's language (what the engine stored is
never rendered as markdown or HTML); times in the display time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt
from dashboard.views import incidents as incident_view

ALERT_COLUMNS = ("id", "severity", "state", "centre", "rule", "summary", "start", "duration",
                 "handling")
ACKED_COLUMNS = ("id", "severity", "centre", "summary", "start", "duration", "acked_by",
                 "acked_at", "note", "handling")
RESOLVED_COLUMNS = ("id", "severity", "state", "centre", "rule", "summary", "start",
                    "resolved", "duration", "handling")


def _word(tr: Tr, prefix: str, value: str | None) -> str:
    """A known value's word, or the value itself (an engine may add states and severities)."""
    if value is None:
        return fmt.DASH
    try:
        return tr(f"{prefix}.{value}")
    except KeyError:
        return value


def _time(ts: datetime | None, tz: str) -> str:
    return fmt.DASH if ts is None else fmt.date_time(ts, tz)


def handling_text(row: dict, tr: Tr, tz: str, now: datetime | None = None) -> str:
    """What people did about an alert (`alert_stats.with_handling` columns), in one line:
    "Đã xác nhận bởi Lan: đã gọi VNPT · Tắt tiếng đến 15:30 bởi Minh", or "Chưa ai xử lý".
    The time is HH:MM on `now`'s local day, else with the date. Plain text: a page that
    renders Markdown escapes it."""
    parts = []
    if row.get("acked_by"):
        note = " ".join((row.get("ack_note") or "").split())
        parts.append(tr("alerts.handling.acked", who=row["acked_by"], note=note) if note
                     else tr("alerts.handling.acked_bare", who=row["acked_by"]))
    if (until := row.get("silenced_until")) is not None:
        same_day = now is not None and fmt.date(until, tz) == fmt.date(now, tz)
        parts.append(tr("alerts.handling.silenced",
                        until=fmt.clock(until, tz) if same_day else fmt.date_time(until, tz),
                        who=row.get("silenced_by") or fmt.DASH))
    return " · ".join(parts) or tr("alerts.handling.none")


def alerts_table(board: pl.DataFrame, tr: Tr, tz: str, columns: tuple[str, ...], *,
                 causes: Mapping[str, str] | None = None,
                 now: datetime | None = None) -> pl.DataFrame:
    """`alert_stats.board` rows (with `alert_stats.with_handling`'s columns) as text with
    the chosen `columns` (keys of alerts.col.*); `now` as in `handling_text`. An incident
    folded by `alert_stats.fold_incidents` names its cause (`causes`: rule → cause in the
    page's language) and centres, a centre alert grouped into one says so."""
    lang = tr.lang
    rows = []
    for row in board.iter_rows(named=True):
        where, what = incident_view.incident_cells(row, tr, causes or {}) or (
            row.get("centre") or row["centre_id"] or tr("wall2.alerts.whole"),
            alert_text.summary(row, tr))
        cell = {
            "id": str(row["id"]),
            "severity": alert_text.severity(row["severity"], tr),
            "state": (_word(tr, "alerts.state", row["state"])
                      + incident_view.grouped_note(row, tr)),
            "centre": where,
            "rule": alert_text.rule_name(row["rule"], tr),
            "summary": what,
            "start": _time(row["since"], tz),
            "resolved": _time(row["resolved_at"], tz),
            "duration": fmt.duration(row["duration_s"], lang),
            "acked_by": row["acked_by"] or fmt.DASH,
            "acked_at": _time(row["acked_at"], tz),
            "note": row["ack_note"] or "",
            "handling": handling_text(row, tr, tz, now),
        }
        rows.append({tr(f"alerts.col.{c}"): cell[c] for c in columns})
    return pl.DataFrame(rows, schema=dict.fromkeys([tr(f"alerts.col.{c}") for c in columns],
                                                   pl.String))


def ttr_table(ttr: pl.DataFrame, names: dict[str, str], tr: Tr) -> pl.DataFrame:
    """`alert_stats.time_to_recover` rows as text, with centre names."""
    lang = tr.lang
    columns = ("centre", "recovered", "median", "max")
    rows = [{tr("alerts.col.centre"): names.get(r["centre_id"], r["centre_id"]),
             tr("alerts.col.recovered"): fmt.number(r["recovered"], lang),
             tr("alerts.col.median"): fmt.duration(r["median_s"], lang),
             tr("alerts.col.max"): fmt.duration(r["max_s"], lang)}
            for r in ttr.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys([tr(f"alerts.col.{c}") for c in columns],
                                                   pl.String))


def failed_table(outbox: pl.DataFrame, tr: Tr, tz: str) -> pl.DataFrame:
    """Undelivered notifications (`alerts_read.notifications`) as text."""
    lang = tr.lang
    columns = ("channel", "kind", "state", "attempts", "next", "error", "created")
    rows = [{tr("alerts.col.channel"): r["channel"],
             tr("alerts.col.kind"): _word(tr, "alerts.state", r["status"]),
             tr("alerts.col.state"): _word(tr, "alerts.state", r["state"]),
             tr("alerts.col.attempts"): fmt.number(r["attempts"], lang),
             tr("alerts.col.next"): _time(r["next_attempt"], tz),
             tr("alerts.col.error"): r["last_error"],
             tr("alerts.col.created"): _time(r["created_at"], tz)}
            for r in outbox.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys([tr(f"alerts.col.{c}") for c in columns],
                                                   pl.String))


def option_label(row: dict, tr: Tr, causes: Mapping[str, str] | None = None) -> str:
    """How an alert is named in the action picker: "#12 · NGHIÊM TRỌNG · Phú Xuân · …"
    (an incident as in `alerts_table`), then "· Đã xác nhận bởi Lan" once acknowledged."""
    centre, summary = incident_view.incident_cells(row, tr, causes or {}) or (
        row.get("centre") or row["centre_id"] or tr("wall2.alerts.whole"),
            alert_text.summary(row, tr))
    summary = summary if len(summary) <= 80 else summary[:79] + "…"
    label = f"#{row['id']} · {alert_text.severity(row['severity'], tr)} · {centre} · {summary}"
    if row.get("acked_by"):  # an acknowledged alert says so in the picker too
        label += f" · {tr('alerts.handling.acked_bare', who=row['acked_by'])}"
    return label
