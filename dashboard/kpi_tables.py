"""The KPI page's tables from `metrics.kpi` scorecards (pure; words from dashboard/texts/kpi.py
and the indicator names from metrics/kpi_text.py)."""

from __future__ import annotations

import polars as pl

from dashboard import availability_view, fmt
from dashboard.i18n import Tr
from metrics import kpi
from metrics.kpi_text import WORDS, fnum, fsec


def value_text(s: kpi.Score, tr: Tr) -> str:
    """The indicator's result: 96,6 % · 2 ngày · "không có dữ liệu"."""
    if s.value is None:
        return tr("kpi.no_data")
    return fsec(s.value, tr.lang) if s.code == "2.2" else fmt.percent(s.value, tr.lang)


def points_text(s: kpi.Score, tr: Tr) -> str:
    if s.status == kpi.NOT_SCORED:
        return tr("kpi.not_scored")
    if s.points is None:
        return tr("kpi.no_data")
    return fnum(round(s.points, 2), tr.lang, 2)


def name(code: str, lang: str) -> str:
    return WORDS[lang if lang in WORDS else "vi"][f"name.{code}"]


def indicator_table(card: kpi.Scorecard, tr: Tr) -> pl.DataFrame:
    """One row per indicator: code, name, result, points, maximum, points lost (as text)."""
    rows = [{
        tr("kpi.col.code"): s.code,
        tr("kpi.col.name"): name(s.code, tr.lang),
        tr("kpi.col.value"): value_text(s, tr),
        tr("kpi.col.points"): points_text(s, tr),
        tr("kpi.col.max"): fnum(s.max_points, tr.lang, 2) if s.max_points else fmt.DASH,
        tr("kpi.col.lost"): fmt.DASH if s.lost is None else fnum(round(s.lost, 2), tr.lang, 2),
    } for s in card.scores.values()]
    return pl.DataFrame(rows)


def group_text(g: kpi.Group, tr: Tr) -> str:
    """"16,4/18" — or "không có dữ liệu" when no indicator of the group has data."""
    if g.points is None:
        return tr("kpi.no_data")
    return f"{fnum(round(g.points, 1), tr.lang, 1)}/{fnum(g.max_points, tr.lang)}"


def centre_table(wide: pl.DataFrame, cards: dict[str, kpi.Scorecard], tr: Tr,
                 avail: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per centre: name, dossiers received, total points (number, for sorting; null
    when no data), each group "x/max" and each indicator's result, then the availability
    over 24 h and the minutes without data in them (`avail`: `availability.summarise`,
    None: left out); lowest total first."""
    rows = []
    for row in wide.iter_rows(named=True):
        card = cards[str(row["id"])]
        total = card.total
        out = {
            tr("kpi.col.centre"): row["name"],
            tr("kpi.col.received"): None if row["dossiers_received_total"] is None
            else round(row["dossiers_received_total"]),
            tr("kpi.col.total"): None if total is None else round(total, 1),
        }
        out |= {tr("kpi.group", n=n): group_text(g, tr) for n, g in card.groups.items()}
        out |= {s.code: value_text(s, tr) for s in card.scores.values()}
        rows.append(out)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if rows and avail is not None:
        shown = availability_view.columns(avail, tr)
        frame = (frame.with_columns(pl.Series("id", [str(i) for i in wide["id"]]))
                 .join(shown, on="id", how="left", maintain_order="left").drop("id"))
    return frame.sort(tr("kpi.col.total"), nulls_last=True) if rows else frame
