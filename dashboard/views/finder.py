"""The finder's table as people read it: localised headings, numbers in display units,
each row's broken rules in plain words, and the CSV and Excel exports (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import fmt, xlsx
from metrics import lagging
from metrics import queries as q
from metrics.lagging import Rule

SHOWN_METRICS = ("on_time_rate_today", "availability_24h", "sync_lag_s", "otp_p95_s",
                 "overdue", "unsynced")
DIGITS = {"on_time_rate_today": 1, "availability_24h": 1, "sync_lag_s": 0, "otp_p95_s": 0,
          "overdue": 0, "unsynced": 0}


def rule_name(rule: Rule, tr: Tr) -> str:
    """The rule's configured label, else its metric's name in the page's language."""
    return rule.label or tr(f"finder.metric.{rule.metric}")


def value_text(metric: str, value: float | None, tr: Tr) -> str:
    """A metric's value in display units with its unit: "82,5 %", "180 phút"."""
    if value is None:
        return fmt.DASH
    shown = fmt.number(lagging.to_display(metric, value), tr.lang, DIGITS[metric])
    unit = tr(f"finder.unit.{metric}")
    return f"{shown} {unit}" if unit != "%" or tr.lang == "vi" else f"{shown}%"


def rule_text(rule: Rule, tr: Tr) -> str:
    """"Tỉ lệ đúng hạn hôm nay dưới 90,0 %"."""
    return (f"{rule_name(rule, tr)} {tr(f'finder.{rule.comparison}')} "
            f"{value_text(rule.metric, rule.threshold, tr)}")


def broken_text(row: dict, rules: Sequence[Rule], tr: Tr) -> str:
    """Which rules a row breaks, with its value: "Trễ đồng bộ 180 phút (trên 30 phút)"."""
    parts = []
    for i in row["broken"]:
        rule = rules[i]
        parts.append(f"{rule_name(rule, tr)} {value_text(rule.metric, row[rule.metric], tr)} "
                     f"({tr(f'finder.{rule.comparison}')} "
                     f"{value_text(rule.metric, rule.threshold, tr)})")
    return "; ".join(parts)


def metric_heading(metric: str, tr: Tr) -> str:
    return f"{tr(f'finder.metric.{metric}')} ({tr(f'finder.unit.{metric}')})"


def display_table(rows: pl.DataFrame, rules: Sequence[Rule], tr: Tr,
                  problems: Sequence[str] | None = None) -> pl.DataFrame:
    """One display row per centre: a link to its drill-down, names, status, its problems
    (`problems`, one text per row: the wall's "why"), the metrics in display units
    (numbers, so the table sorts them right) and the service-level rules broken."""
    link = tr("finder.col.link")
    out = rows.select(
        pl.format("commune?centre={}&" + urlencode({"lang": tr.lang}), pl.col("id"))
        .alias(link),
        pl.col("id").alias(tr("finder.col.id")),
        pl.col("name").alias(tr("finder.col.name")),
        pl.col("province_name").alias(tr("finder.col.province")),
        pl.col("kind").alias(tr("finder.col.kind")),
        pl.col("status").replace_strict({s: tr(f"status.{s}") for s in q.STATUSES},
                                        return_dtype=pl.String).alias(tr("finder.col.status")),
        pl.Series(tr("finder.col.problems"),
                  list(problems) if problems is not None else [""] * rows.height, pl.String),
        *((pl.col(m) * lagging.METRICS[m]).round(DIGITS[m]).alias(metric_heading(m, tr))
          for m in SHOWN_METRICS),
        # Apart from availability: time no poll covered (availability_view's column).
        (pl.col("unknown_24h_s") / 60).round(0).alias(tr("avail.col.unknown")),
    )
    broken = [broken_text(r, rules, tr) for r in rows.iter_rows(named=True)]
    return out.with_columns(pl.Series(tr("finder.col.broken"), broken, pl.String))


def screen_table(table: pl.DataFrame, tr: Tr) -> pl.DataFrame:
    """`display_table` for st.dataframe: its numbers written for the page's language."""
    return fmt.texts(table, tr.lang, _digits(tr))


def _digits(tr: Tr) -> dict[str, int]:
    """Each numeric column's decimals (the metrics', then the minutes without data)."""
    return {**{metric_heading(m, tr): DIGITS[m] for m in SHOWN_METRICS},
            tr("avail.col.unknown"): 0}


def xlsx_bytes(table: pl.DataFrame, tr: Tr) -> bytes:
    """The table (without its link column) as an Excel workbook, numbers as numbers."""
    return xlsx.workbook({tr("finder.title"): table.drop(tr("finder.col.link"))},
                         dict.fromkeys((metric_heading(m, tr) for m in SHOWN_METRICS),
                                       "decimal"))


def csv_bytes(table: pl.DataFrame, tr: Tr) -> bytes:
    """The table (without its link column) as UTF-8 CSV with a byte-order mark."""
    return fmt.csv_bytes(table.drop(tr("finder.col.link")), tr.lang, _digits(tr))
