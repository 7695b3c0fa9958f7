"""The KPI page's tables from `metrics.kpi` scorecards (pure; words from dashboard/texts/kpi.py
and the indicator names from metrics/kpi_text.py)."""

from __future__ import annotations

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import availability as availability_view
from dashboard.views import fmt
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
    """The indicator's name; an estimated one says so: "Mức độ hài lòng (ước tính)"."""
    words = WORDS[lang if lang in WORDS else "vi"]
    return words[f"name.{code}"] + (f" {words['estimated']}" if code in kpi.ESTIMATED else "")


def code_label(code: str, lang: str) -> str:
    """A column head for an indicator: "3.3", or "5.4 (ước tính)"."""
    words = WORDS[lang if lang in WORDS else "vi"]
    return f"{code} {words['estimated']}" if code in kpi.ESTIMATED else code


def group_label(n: int, tr: Tr) -> str:
    """"Nhóm 5 · Mức độ hài lòng (ước tính)": a group scored from an estimate says so."""
    label = f"{tr('kpi.group', n=n)} · {tr(f'kpi.group.{n}')}"
    if kpi.estimated_group(n):
        label += f" {WORDS[tr.lang if tr.lang in WORDS else 'vi']['estimated']}"
    return label


def on_time_note(counters: dict, card: kpi.Scorecard, tr: Tr) -> str:
    """Why indicator 2.1 and the wall's "Tỉ lệ đúng hạn" differ, with both figures for the
    same counters (`counters`: a `kpi.province_inputs` row)."""
    plain = kpi.plain_on_time(counters.get("dossiers_resolved_total"),
                              counters.get("dossiers_resolved_late_total"))
    multi = counters.get("dossiers_supplement_multi_total")
    score = card.scores["2.1"]
    return tr("kpi.on_time_vs_wall", v21=value_text(score, tr),
              wall=fmt.DASH if plain is None else fmt.percent(plain, tr.lang),
              multi=fmt.DASH if multi is None else fmt.number(multi, tr.lang))


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


def centre_screen(wide: pl.DataFrame, cards: dict[str, kpi.Scorecard], tr: Tr,
                  avail: pl.DataFrame | None = None) -> pl.DataFrame:
    """`centre_table` for st.dataframe: received, total points and availability written for
    the language (the rows keep the lowest-total-first order)."""
    return fmt.texts(centre_table(wide, cards, tr, avail), tr.lang,
                     {tr("kpi.col.received"): 0, tr("kpi.col.total"): 1,
                      tr("avail.col.pct"): availability_view.DIGITS, tr("avail.col.unknown"): 0})


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
        out |= {code_label(s.code, tr.lang): value_text(s, tr) for s in card.scores.values()}
        rows.append(out)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if rows and avail is not None:
        shown = availability_view.columns(avail, tr)
        frame = (frame.with_columns(pl.Series("id", [str(i) for i in wide["id"]]))
                 .join(shown, on="id", how="left", maintain_order="left").drop("id"))
    return frame.sort(tr("kpi.col.total"), nulls_last=True) if rows else frame
