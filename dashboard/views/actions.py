"""Assignments as display text, pure: tables for the commune, alerts and briefing pages, the
time to fix per unit, and the wall's overdue lines. Frames are `metrics.alerts.assignments`'s
(times int ms UTC) after `as_of` (with `status`); words are `dashboard/texts/actions.py`'s.
Every value from a person or a centre goes out as text for st.dataframe (which renders no
markup) or through `components.md_text` where markdown is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl

from config.assignments import Unit
from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt
from dashboard.widgets.components import md_text
from metrics.alerts import assignments as pure

Units = Mapping[str, Unit]
COLUMNS = ("id", "where", "subject", "unit", "due", "status", "by", "note")
CLOSED_COLUMNS = ("id", "where", "subject", "unit", "created", "closed", "took", "closed_by",
                  "result")


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def unit_name(key: str, units: Units, lang: str) -> str:
    """The unit's name in `lang`; the key itself for a unit no longer configured."""
    unit = units.get(key)
    if unit is None:
        return key
    return unit.en if lang == "en" else unit.vi


def where(row: Mapping[str, Any], tr: Tr) -> str:
    """The commune's name, 'toàn tỉnh …' for a province-wide incident, or the whole system."""
    if row.get("centre_id"):
        return row.get("centre") or row["centre_id"]
    if row.get("province"):
        return tr("actions.where.province", province=row["province"])
    return tr("actions.where.all")


def subject(row: Mapping[str, Any], tr: Tr) -> str:
    """What was assigned: an incident by its rule's name, or a commune needing attention."""
    if row.get("alert_id") is not None:
        return tr("actions.subject.incident", id=row["alert_id"],
                  rule=alert_text.rule_name(row.get("rule") or "", tr))
    return tr("actions.subject.commune")


def status(row: Mapping[str, Any], tr: Tr, now: int, tz: str) -> str:
    """'đang xử lý', 'QUÁ HẠN 2 giờ' (with 'đã báo HH:MM' once escalated) or 'đã xong'."""
    if row["status"] == pure.OVERDUE:
        text = tr("actions.status.overdue",
                  late=fmt.duration((now - row["due_at"]) / 1000, tr.lang))
        if row.get("escalated_at") is not None:
            text += f" · {tr('actions.escalated', t=fmt.date_time(_at(row['escalated_at']), tz))}"
        return text
    return tr(f"actions.status.{row['status']}")


def _cells(row: Mapping[str, Any], tr: Tr, tz: str, now: int, units: Units) -> dict[str, str]:
    def when(key: str) -> str:
        return fmt.DASH if row.get(key) is None else fmt.date_time(_at(row[key]), tz)

    took = (None if row.get("closed_at") is None
            else (row["closed_at"] - row["created_at"]) / 1000)
    return {
        "id": str(row["id"]), "where": where(row, tr), "subject": subject(row, tr),
        "unit": unit_name(row["unit"], units, tr.lang), "due": when("due_at"),
        "status": status(row, tr, now, tz), "by": row["created_by"], "note": row["note"],
        "created": when("created_at"), "closed": when("closed_at"),
        "took": fmt.duration(took, tr.lang), "closed_by": row.get("closed_by") or "",
        "result": row.get("close_note") or "",
    }


def table(frame: pl.DataFrame, tr: Tr, tz: str, now: int, units: Units,
          columns: tuple[str, ...] = COLUMNS) -> pl.DataFrame:
    """Assignments (after `as_of`) as text columns named in `tr`'s language."""
    names = [tr(f"actions.col.{c}") for c in columns]
    rows = [[_cells(r, tr, tz, now, units)[c] for c in columns]
            for r in frame.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")


def line(row: Mapping[str, Any], tr: Tr, tz: str, now: int, units: Units) -> str:
    """One open assignment as one markdown line, every value escaped."""
    c = _cells(row, tr, tz, now, units)
    text = tr("actions.line", id=c["id"], where=md_text(c["where"]),
              subject=md_text(c["subject"]), unit=md_text(c["unit"]), due=c["due"],
              status=md_text(c["status"]))
    return f"{text} — {md_text(row['note'])}" if row["note"] else text


def ttf_table(ttf: pl.DataFrame, tr: Tr, units: Units) -> pl.DataFrame:
    """`metrics.alerts.assignments.time_to_fix` as text: unit, done, median, longest, done after
    due, open, overdue."""
    keys = ("unit", "closed", "median", "longest", "late", "open", "overdue")
    names = [tr(f"actions.ttf.col.{k}") for k in keys]
    rows = [[unit_name(r["unit"], units, tr.lang), fmt.number(r["closed"], tr.lang),
             fmt.duration(r["median_s"], tr.lang), fmt.duration(r["longest_s"], tr.lang),
             fmt.number(r["late"], tr.lang), fmt.number(r["open"], tr.lang),
             fmt.number(r["overdue"], tr.lang)] for r in ttf.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")


def overdue_lines(frame: pl.DataFrame, tr: Tr, now: int, units: Units) -> list[str]:
    """The wall's overdue work, longest overdue first: 'Phường A · Nhà mạng · quá hạn 2 giờ'
    (plain text; escape it for a markdown element)."""
    late = pure.overdue(frame, now)
    return [tr("actions.wall.line", where=where(r, tr), unit=unit_name(r["unit"], units,
                                                                        tr.lang),
               late=fmt.duration((now - r["due_at"]) / 1000, tr.lang))
            for r in late.iter_rows(named=True)]
