""""Availability 24 h" as every page shows it: the same rounding, words and columns (pure)."""

from __future__ import annotations

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import fmt

DIGITS = 1  # the percentage's decimals, on every page


def percent(ratio: float | None) -> float | None:
    """The availability in % as tables hold it (a number, so columns sort)."""
    return None if ratio is None else round(ratio * 100, DIGITS)


def columns(avail: pl.DataFrame, tr: Tr) -> pl.DataFrame:
    """`id` and the two columns a table adds: availability in % and minutes without data."""
    return avail.select(
        pl.col("centre_id").alias("id"),
        (pl.col("availability") * 100).round(DIGITS).alias(tr("avail.col.pct")),
        (pl.col("unknown_s") / 60).round(0).alias(tr("avail.col.unknown")))


def with_columns(table: pl.DataFrame, avail: pl.DataFrame | None, tr: Tr,
                 on: str = "id") -> pl.DataFrame:
    """`table` (a column `on` holding centre ids) with the two columns; null where the
    centre was not polled in the 24 h."""
    if avail is None:
        return table
    return table.join(columns(avail, tr).rename({"id": on}), on=on, how="left",
                      maintain_order="left")


def line(row: dict | None, tr: Tr) -> tuple[str, str]:
    """(value, detail) of one centre: ("99,1 %", "không có dữ liệu 12 phút")."""
    if row is None or row["availability"] is None:
        return fmt.DASH, tr("avail.none")
    value = fmt.percent(row["availability"], tr.lang, DIGITS)
    unknown = round(row["unknown_s"])
    detail = (tr("avail.unknown", d=fmt.duration(unknown, tr.lang)) if unknown >= 1
              else tr("avail.all_known"))
    return value, detail
