"""The week-on-week comparison in words (pure): the briefing's section and sentence, the
wall's lines (`metrics.compare` holds the arithmetic, `dashboard.loaders.compare` the loader)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.i18n import Tr
from dashboard.views import fmt
from metrics import compare as cmp

NAMES_SHOWN = 5  # centres named in a note before "and n more"


@dataclass(frozen=True)
class WeekRow:
    key: str  # a `metrics.compare.COMPARED` key
    label: str
    now: int | None
    then: int | None
    change: int | None  # None: not stated (a side missing or the centres differ)
    ratio: float | None
    now_text: str
    then_text: str
    change_text: str  # "+133 (+11,6 %)"; fmt.DASH when not stated

    @property
    def change_short(self) -> str:
        """"+133; +11,6 %" (inside parentheses of a sentence)."""
        return self.change_text.replace(" (", "; ").rstrip(")")

    def tile(self, tr: Tr) -> str:
        """A tile's detail line: "tuần trước 1.150 (+133; +11,6 %)"."""
        if self.then is None:
            return tr("week.tile_missing")
        if self.change is None:
            return tr("week.tile_no_change", then=self.then_text)
        return tr("week.tile", then=self.then_text, change=self.change_short)

    def line(self, tr: Tr) -> str:
        """"Hồ sơ tiếp nhận: 1.283 · tuần trước 1.150 (+133; +11,6 %)"."""
        words = {"label": self.label, "now": self.now_text, "then": self.then_text}
        if self.change is None:
            return tr("week.line_no_change", **words)
        return tr("week.line", **words, change=self.change_short)


@dataclass(frozen=True)
class WeekDisplay:
    """The comparison in words for one language (the briefing's section, the wall's tile)."""

    title: str
    state: str  # `metrics.compare` state
    now_when: str  # "thứ Năm 03/07/2025, đến 10:00"
    then_when: str
    rows: tuple[WeekRow, ...]
    notes: tuple[str, ...]  # what last week's figure lacks, if anything
    sentence: str  # one sentence for the summary paragraph

    def row(self, key: str) -> WeekRow:
        return next(r for r in self.rows if r.key == key)

    def table(self, tr: Tr) -> pl.DataFrame:
        """Figure · today · last week · change, all as text (numbers written for the
        language)."""
        cols = (tr("week.col.metric"), tr("week.col.now", when=self.now_when),
                tr("week.col.then", when=self.then_when), tr("week.col.change"))
        rows = [(r.label, r.now_text, r.then_text, r.change_text) for r in self.rows]
        return pl.DataFrame(rows, schema={c: pl.String for c in cols}, orient="row")


def signed(value: int, lang: str) -> str:
    """+133 / −20 / 0, digits grouped for the language."""
    text = fmt.number(abs(value), lang)
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else text


def change_text(change: int | None, ratio: float | None, lang: str) -> str:
    """"+133 (+11,6 %)", "+5" when last week's was 0, fmt.DASH when not stated."""
    if change is None:
        return fmt.DASH
    if ratio is None:
        return signed(change, lang)
    pct = fmt.percent(abs(ratio), lang)
    sign = "+" if ratio > 0 else "\u2212" if ratio < 0 else ""
    return f"{signed(change, lang)} ({sign}{pct})"


def _names(ids: tuple[str, ...], c: cmp.WeekComparison, tr: Tr) -> str:
    shown = [c.names.get(i, i) for i in ids[:NAMES_SHOWN]]
    more = [tr("week.more", n=len(ids) - NAMES_SHOWN)] if len(ids) > NAMES_SHOWN else []
    return " ".join([", ".join(shown), *more])


def _when(side: cmp.Side, tr: Tr, tz: str) -> str:
    local = fmt.local(side.at, tz)
    return tr("week.when", weekday=tr(f"weekday.{local.weekday()}"), date=fmt.date(side.at, tz),
              t=fmt.clock(side.at, tz))


def display(c: cmp.WeekComparison, tr: Tr, tz: str) -> WeekDisplay:
    """The comparison's texts and values in `tr`'s language."""
    lang = tr.lang
    rows = tuple(WeekRow(
        key=key, label=tr(f"week.{key}"), now=c.now.totals[key], then=c.then.totals[key],
        change=c.change(key), ratio=c.ratio(key),
        now_text=fmt.number(c.now.totals[key], lang),
        then_text=fmt.number(c.then.totals[key], lang),
        change_text=change_text(c.change(key), c.ratio(key), lang)) for key in cmp.COMPARED)
    then_date = fmt.date(c.then.at, tz)
    notes: list[str] = []
    if c.state == cmp.NO_TODAY:
        notes.append(tr("week.note.no_today"))
    if c.state == cmp.MISSING:
        notes.append(tr("week.note.missing", date=then_date))
    if c.then.centres and c.missing_then:
        notes.append(tr("week.note.missing_then", n=len(c.missing_then),
                        names=_names(c.missing_then, c, tr)))
    if c.now.centres and c.missing_now:
        notes.append(tr("week.note.missing_now", n=len(c.missing_now),
                        names=_names(c.missing_now, c, tr)))
    for start, end in c.then_gaps:
        notes.append(tr("week.note.gap", start=fmt.clock(start, tz), end=fmt.clock(end, tz)))
    if c.then.centres and not c.then.exact:
        notes.append(tr(f"week.note.rollup.{c.then.resolution}", t=fmt.clock(c.then.until, tz)))
    weekday = tr(f"weekday.{fmt.local(c.then.at, tz).weekday()}")
    words = {"weekday": weekday, "date": then_date}
    if c.state in (cmp.MISSING, cmp.NO_TODAY):
        sentence = tr("week.sentence_missing", **words) if c.state == cmp.MISSING else ""
    else:
        for r in rows:
            words[f"{r.key}_then"] = (tr("week.no_figure") if r.then is None
                                      else tr("week.dossiers", n=r.then_text))
            words[f"{r.key}_change"] = "" if r.change is None else f" ({r.change_short})"
        sentence = tr("week.sentence", **words)
    return WeekDisplay(title=tr("week.title"), state=c.state, now_when=_when(c.now, tr, tz),
                       then_when=_when(c.then, tr, tz), rows=rows, notes=tuple(notes),
                       sentence=sentence)
