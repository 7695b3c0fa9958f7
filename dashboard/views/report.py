"""The briefing in words and files (pure): the summary paragraph, display tables, the
printable HTML report and the CSV export.

Everything a centre sends (names, poll details, alert texts) is untrusted: the
HTML escapes every value with `html.escape`, and the CSV neutralises cells a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import alert_text, fmt, xlsx
from dashboard.views import availability as availability_view
from dashboard.views import week as week_view
from dashboard.views.problem_words import problem_text
from metrics import briefing as br

COMMUNE_KINDS = {"xã", "phường", "đặc khu"}
COUNT_COLUMNS = ("received", "resolved", "on_time", "late", "returned")


def in_text(name: str, kind: str | None, lang: str) -> str:
    """A centre's name inside a Vietnamese sentence: "Phường Phú Xuân" → "phường Phú Xuân"."""
    if lang == "vi" and kind and name.startswith(kind.capitalize()):
        return kind + name[len(kind):]
    return name


def join(items: list[str], tr: Tr) -> str:
    """a, b và c (vi) / a, b and c (en)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + tr("briefing.and") + items[-1]


def _top(frame: pl.DataFrame, tr: Tr) -> str:
    return join([f"{in_text(r['name'], r['kind'], tr.lang)} ({fmt.number(r['value'], tr.lang)})"
                 for r in frame.iter_rows(named=True)], tr)


def summary(b: br.Briefing, tr: Tr, tz: str) -> str:
    """The briefing as one paragraph, like the Huế news quote in docs/domain.md."""
    lang = tr.lang
    kinds = set(b.centres["kind"].to_list())
    scope = tr("briefing.p.scope_commune") if kinds and kinds <= COMMUNE_KINDS else ""
    counted = b.counted_until or b.at  # earlier only where just roll-ups are kept (`Briefing`)
    when = {"t": fmt.clock(counted, tz), "date": fmt.date(b.at, tz), "n": b.centres.height,
            "scope": scope, "since": fmt.date(b.day_start, tz)}
    period = when["since"] != when["date"]  # counted from an earlier day (`Briefing.day_start`)
    t = b.totals
    if t["received"] is None:
        parts = [tr("briefing.p.no_data", **when)]
    else:
        parts = [tr("briefing.p.head_period" if period else "briefing.p.head", **when,
                    received=fmt.number(t["received"], lang),
                    resolved=fmt.number(t["resolved"], lang))]
        if t["resolved"] and None not in (t["on_time"], t["late"], t["returned"]):
            parts.append(tr("briefing.p.outcome", **{
                k: fmt.number(t[k], lang) for k in ("on_time", "late", "returned")}))
    if b.top_received.height:
        parts.append(tr("briefing.p.top_received", list=_top(b.top_received, tr)))
    if b.top_resolved.height:
        parts.append(tr("briefing.p.top_resolved", list=_top(b.top_resolved, tr)))
    if b.procedures:
        names = [tr(f"briefing.proc.{p}") for p, _ in b.procedures]
        parts.append(tr("briefing.p.procedures", list=", ".join(names)))
    if b.week is not None and (sentence := week_view.display(b.week, tr, tz).sentence):
        parts.append(sentence)
    prev = fmt.clock(b.previous, tz)
    if b.incidents.height:
        ongoing = b.incidents.filter(pl.col("ongoing"))["centre_id"].n_unique()
        parts.append(tr("briefing.p.incidents" if ongoing else "briefing.p.incidents_fixed",
                        prev=prev, n=b.incidents.height,
                        m=b.incidents["centre_id"].n_unique(), ongoing=ongoing))
    else:
        parts.append(tr("briefing.p.no_incidents", prev=prev))
    if b.alerts.height:
        parts.append(tr("briefing.p.alerts", n=b.alerts.height))
    if b.attention.height:
        parts.append(tr("briefing.p.attention", n=b.attention.height))
    return " ".join(parts)


def _when(ts: datetime | None, b: br.Briefing, tz: str) -> str:
    if ts is None:
        return fmt.DASH
    same_day = fmt.date(ts, tz) == fmt.date(b.at, tz)
    return fmt.clock(ts, tz) if same_day else fmt.date_time(ts, tz)


def _reason(code: str | None, tr: Tr) -> str:
    try:
        return tr(f"reason.{code}") if code else tr("reason.soft_down")
    except KeyError:
        return str(code)


def why(row: dict[str, Any], b: br.Briefing, tr: Tr, tz: str) -> str:
    """An attention row's reasons in words, most serious first."""
    lang, out = tr.lang, []
    for code in row["why"]:
        if code == "down":
            reason = _reason(row["reason"] if not row["poll_ok"] else None, tr)
            out.append(tr("briefing.why.down", t=_when(row["down_since"], b, tz), reason=reason)
                       if row.get("down_since") else tr("briefing.why.down_now", reason=reason))
        elif code == "stale":
            out.append(tr("briefing.why.stale", t=_when(row["last_poll"], b, tz)))
        elif code == "no_data":
            out.append(tr("briefing.why.no_data"))
        elif code == "incidents":
            out.append(tr("briefing.why.incidents", n=row["incidents"],
                          d=fmt.duration(row["outage_s"], lang)))
        elif code == "late":
            out.append(tr("briefing.why.late", rate=fmt.percent(row["on_time_rate"], lang),
                          late=fmt.number(row["late"], lang)))
        elif code.startswith("problem:"):
            out.append(problem_text(code.removeprefix("problem:"), row, tr))
    return "; ".join(out)


def centre_table(b: br.Briefing, tr: Tr) -> pl.DataFrame:
    """Per-centre counts (numbers; null = no data) sorted by received, with a total row."""
    cols = {c: tr(f"briefing.col.{c}") for c in (*COUNT_COLUMNS, "on_time_rate")}
    body = b.counts.sort(["received", "name"], descending=[True, False], nulls_last=True)
    body = availability_view.with_columns(body, b.availability, tr)
    total = pl.DataFrame([{"name": tr("briefing.total_row"), **b.totals}])
    rates = pl.concat([body.select("name", *COUNT_COLUMNS, *avail_columns(b, tr)),
                       total.select("name", *COUNT_COLUMNS).cast(
                           {c: pl.Int64 for c in COUNT_COLUMNS})], how="diagonal")
    rate = pl.when(pl.col("resolved") > 0).then(pl.col("on_time") / pl.col("resolved"))
    return (rates.with_columns(rate.alias("on_time_rate"))
            .select("name", *COUNT_COLUMNS, "on_time_rate", *avail_columns(b, tr))
            .rename({"name": tr("briefing.col.centre"), **cols}))


def avail_columns(b: br.Briefing, tr: Tr) -> tuple[str, ...]:
    """The availability columns of `centre_table` (none when not loaded)."""
    if b.availability is None:
        return ()
    return (tr("avail.col.pct"), tr("avail.col.unknown"))


def centre_screen(b: br.Briefing, tr: Tr) -> pl.DataFrame:
    """`centre_table` for st.dataframe: counts and the rate written for the language."""
    digits = {tr(f"briefing.col.{c}"): 0 for c in COUNT_COLUMNS}
    if b.availability is not None:
        digits |= {tr("avail.col.pct"): availability_view.DIGITS, tr("avail.col.unknown"): 0}
    return fmt.texts(centre_table(b, tr), tr.lang, digits,
                     {tr("briefing.col.on_time_rate"): 1})


def xlsx_bytes(b: br.Briefing, tr: Tr, tz: str) -> bytes:
    """The briefing as an Excel workbook: the per-centre figures (numbers, the rate as a
    percentage), then the centres needing attention, incidents and alerts."""
    prev = fmt.date_time(b.previous, tz)
    return xlsx.workbook({
        tr("briefing.sec.centres"): centre_table(b, tr),
        tr("briefing.sec.attention"): attention_table(b, tr, tz),
        tr("briefing.sec.incidents", prev=prev): incident_table(b, tr, tz),
        tr("briefing.sec.alerts", prev=prev): alert_table(b, tr, tz),
    }, {tr("briefing.col.on_time_rate"): "percent"})


def incident_table(b: br.Briefing, tr: Tr, tz: str) -> pl.DataFrame:
    """Incidents as text: centre, start ("before HH:MM" when it began earlier), end, duration,
    cause (reason and the poll's detail, plain text)."""
    rows = []
    for r in b.incidents.iter_rows(named=True):
        start = _when(r["start"], b, tz)
        rows.append({
            "centre": r["name"] or r["centre_id"],
            "start": tr("briefing.before", t=start) if r["from_before"] else start,
            "end": tr("briefing.ongoing") if r["ongoing"] else _when(r["end"], b, tz),
            "duration": fmt.duration(r["duration_s"], tr.lang),
            "cause": f"{_reason(r['reason'], tr)} — {alert_text.poll_detail(r['detail'], tr)}"
            if r["detail"] else _reason(r["reason"], tr),
        })
    return _texts(rows, ("centre", "start", "end", "duration", "cause"), tr)


def alert_table(b: br.Briefing, tr: Tr, tz: str) -> pl.DataFrame:
    rows = [{
        "severity": alert_text.severity(r["severity"], tr),
        "centre": r["name"] or tr("briefing.province_wide"),
        "summary": alert_text.summary(r, tr), "start": _when(r["start"], b, tz),
        "end": _when(r["end"], b, tz) if r["end"] else tr("briefing.ongoing"),
        "duration": fmt.duration(r["duration_s"], tr.lang), "cause": alert_text.cause(r, tr),
    } for r in b.alerts.iter_rows(named=True)]
    return _texts(rows, ("severity", "centre", "summary", "start", "end", "duration", "cause"),
                  tr)


def attention_table(b: br.Briefing, tr: Tr, tz: str) -> pl.DataFrame:
    rows = [{"centre": r["name"], "why": why(r, b, tr, tz)}
            for r in b.attention.iter_rows(named=True)]
    return _texts(rows, ("centre", "why"), tr)


def _texts(rows: list[dict[str, Any]], keys: tuple[str, ...], tr: Tr) -> pl.DataFrame:
    names = {k: tr(f"briefing.col.{k}") for k in keys}
    schema = {names[k]: pl.String for k in keys}
    return pl.DataFrame([{names[k]: r[k] for k in keys} for r in rows], schema=schema)


def csv_bytes(b: br.Briefing, tr: Tr) -> bytes:
    """The per-centre figures as CSV for the page's language (`fmt.csv_bytes`)."""
    return fmt.csv_bytes(centre_table(b, tr), tr.lang, {tr("briefing.col.on_time_rate"): 4})


CSS = """
body { font-family: "Times New Roman", "DejaVu Serif", serif; color: #111; margin: 2rem;
       line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; margin: 1.4rem 0 .4rem; }
p.meta { color: #444; margin: 0 0 1rem; } p.summary { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid #999; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
@media print {
  body { margin: 1.2cm; font-size: 11pt; } h2 { break-after: avoid; }
  tr { break-inside: avoid; } thead { display: table-header-group; }
  @page { size: A4; margin: 1.5cm; }
}
"""


def _table(frame: pl.DataFrame, tr: Tr, numeric: tuple[str, ...] = (),
           total_last: bool = False, digits: dict[str, int] | None = None) -> str:
    if frame.is_empty():
        return f"<p>{html.escape(tr('briefing.none'))}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for i, row in enumerate(frame.iter_rows()):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            if col in (digits or {}):
                text = fmt.number(value, tr.lang, (digits or {})[col])
                cells.append(f'<td class="n">{html.escape(text)}</td>')
            elif col in numeric:
                text = fmt.percent(value, tr.lang) if isinstance(value, float) \
                    else fmt.number(value, tr.lang)
                cells.append(f'<td class="n">{html.escape(text)}</td>')
            else:
                cells.append(f"<td>{html.escape(fmt.DASH if value is None else str(value))}</td>")
        cls = ' class="total"' if total_last and i == frame.height - 1 else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _week_html(week: week_view.WeekDisplay, tr: Tr) -> tuple[str, str]:
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in week.notes)
    return week.title, _table(week.table(tr), tr) + notes


def html_report(b: br.Briefing, tr: Tr, tz: str, name: str) -> str:
    """The printable report: one self-contained HTML page (inline CSS, no font, no script)."""
    e = html.escape
    prev = fmt.date_time(b.previous, tz)
    centres = centre_table(b, tr)
    avail = avail_columns(b, tr)
    numeric = tuple(c for c in centres.columns[1:] if c not in avail)
    digits = dict(zip(avail, (availability_view.DIGITS, 0), strict=False))
    title = tr("briefing.report_title", name=name)
    sections = [
        (tr("briefing.summary"), f'<p class="summary">{e(summary(b, tr, tz))}</p>'),
        *([] if b.week is None else [_week_html(week_view.display(b.week, tr, tz), tr)]),
        (tr("briefing.sec.attention"), _table(attention_table(b, tr, tz), tr)),
        (tr("briefing.sec.incidents", prev=prev), _table(incident_table(b, tr, tz), tr)),
        (tr("briefing.sec.alerts", prev=prev), _table(alert_table(b, tr, tz), tr)),
        (tr("briefing.sec.centres"), _table(centres, tr, numeric, total_last=True,
                                              digits=digits)),
    ]
    body = "".join(f"<h2>{e(head)}</h2>{content}" for head, content in sections)
    meta = tr("briefing.report_made", t=fmt.clock(b.at, tz), date=fmt.date(b.at, tz), prev=prev)
    return (f'<!DOCTYPE html><html lang="{e(tr.lang)}"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
            f'<h1>{e(title)}</h1><p class="meta">{e(meta)}</p>{body}</body></html>')
