"""The briefing as an editable Word document laid out as a Vietnamese administrative report
(Nghị định 30/2020/NĐ-CP): the letterhead (the body and the IOC on the left, the national
motto on the right), place and date, title, numbered sections (I., II.; 1., 2.) with tables,
and a signature block staff sign after printing.

Two steps, both from the one `metrics.briefing.Briefing` the page shows (never recomputed):
`outline` turns it into `Section`s (words and display tables, the figures written as the
page writes them), each made by one function of `SECTIONS`; `docx_bytes` lays them out.
Another part of the briefing adds its section by adding its function to `SECTIONS` (or
passing its own list): numbering follows the list.

Everything a centre sends is untrusted; python-docx writes it as text (XML-escaped).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from config.registry import provinces
from config.settings import Settings
from dashboard.i18n import Tr
from dashboard.views import actions as actions_view
from dashboard.views import fmt, report
from dashboard.views import week as week_view
from metrics import briefing as br
from metrics.alerts import assignments

MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
BODY_PT, TABLE_PT = 13, 11
SIGN_LINES = 4
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


@dataclass(frozen=True)
class Table:
    """A display table: every cell text; `right`: the columns aligned right (figures);
    `total_last`: the last row is a total (bold)."""

    frame: pl.DataFrame
    right: tuple[str, ...] = ()
    total_last: bool = False


@dataclass(frozen=True)
class Section:
    """A numbered section: its title and its blocks in order (a paragraph, a table, or a
    subsection, numbered 1., 2. under a top-level section I., II.)."""

    title: str
    blocks: tuple[str | Table | Section, ...] = field(default_factory=tuple)


SectionBuilder = Callable[[br.Briefing, Tr, str], "Section | None"]


@dataclass(frozen=True)
class Letterhead:
    organisation: str | None  # the body the IOC belongs to (upper line, left)
    unit: str  # the IOC (bold, left)
    place: str | None  # before the date; None: dots to fill in


def letterhead(cfg: Settings, tr: Tr) -> Letterhead:
    """The letterhead from `deployment` (name, organisation, place), the province's name
    filling what is not set."""
    dep = cfg.deployment
    info = provinces().get(dep.province) if dep.province is not None else None
    org = dep.organisation
    if org is None and info is not None:
        org = tr("doc.default_org", province=info.name)
    place = dep.place
    if place is None and info is not None:
        place = info.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    return Letterhead(organisation=org, unit=dep.name, place=place)


def place_date(when: datetime, place: str | None, tr: Tr, tz: str) -> str:
    """"Huế, ngày 03 tháng 7 năm 2025": the day with two digits, the month with two below
    March (Nghị định 30/2020); English "Huế, 3 July 2025"."""
    local = fmt.local(when, tz)
    return tr("doc.place_date", place=place or tr("doc.no_place"), day=f"{local.day:02d}"
              if tr.lang == "vi" else str(local.day),
              month=f"{local.month:02d}" if local.month < 3 else str(local.month),
              month_name=MONTHS_EN[local.month - 1], year=local.year)


def _table(frame: pl.DataFrame, right: Sequence[str] = (), total_last: bool = False) -> Table:
    texts = frame.with_columns(pl.all().cast(pl.String).fill_null(fmt.DASH))
    return Table(texts, tuple(right), total_last)


def _or_none(frame: pl.DataFrame, tr: Tr, right: Sequence[str] = ()) -> str | Table:
    return tr("briefing.none") if frame.is_empty() else _table(frame, right)


def dossiers_section(b: br.Briefing, tr: Tr, tz: str) -> Section:
    """I. The day's dossiers: the summary, the totals (the page's tiles), the leading
    centres, the week's comparison and the figures per centre."""
    figure, count = tr("doc.col.figure"), tr("doc.col.count")
    totals = pl.DataFrame({figure: [tr(f"briefing.{k}") for k in report.COUNT_COLUMNS],
                           count: [fmt.number(b.totals[k], tr.lang)
                                   for k in report.COUNT_COLUMNS]})
    blocks: list[str | Table | Section] = [
        report.summary(b, tr, tz),
        Section(tr("doc.sec.totals"), (_table(totals, (count,)),)),
    ]
    leaders: list[str | Table | Section] = []
    for key, frame in (("top_received", b.top_received), ("top_resolved", b.top_resolved)):
        col = tr("briefing.col.received" if key == "top_received" else "briefing.col.resolved")
        # Written in Python, not by map_elements (`fmt.texts` says why).
        shown = frame.select(pl.col("name").alias(tr("briefing.col.centre"))).with_columns(
            pl.Series(col, [None if v is None else fmt.number(v, tr.lang)
                            for v in frame["value"].to_list()], dtype=pl.String))
        leaders += [tr(f"briefing.{key}") + ":", _or_none(shown, tr, (col,))]
    blocks.append(Section(tr("briefing.sec.top"), tuple(leaders)))
    if b.week is not None:
        week = week_view.display(b.week, tr, tz)
        shown = week.table(tr)
        blocks.append(Section(week.title, (_table(shown, shown.columns[1:]), *week.notes)))
    centres = report.centre_screen(b, tr)
    blocks.append(Section(tr("briefing.sec.centres"),
                          (_table(centres, centres.columns[1:], total_last=True),)))
    return Section(tr("doc.sec.dossiers"), tuple(blocks))


def operations_section(b: br.Briefing, tr: Tr, tz: str) -> Section:
    """II. The systems: the centres needing attention, incidents and alerts since the
    previous conference (the page's tables)."""
    prev = fmt.date_time(b.previous, tz)
    return Section(tr("doc.sec.operations"), (
        Section(tr("briefing.sec.attention"), (_or_none(report.attention_table(b, tr, tz), tr),)),
        Section(tr("briefing.sec.incidents", prev=prev),
                (_or_none(report.incident_table(b, tr, tz), tr),)),
        Section(tr("briefing.sec.alerts", prev=prev),
                (_or_none(report.alert_table(b, tr, tz), tr),)),
    ))


# The document's top-level sections, in order (numbered I., II., … as listed).
SECTIONS: list[SectionBuilder] = [dossiers_section, operations_section]


def actions_section(window: assignments.SinceConference, units: actions_view.Units
                    ) -> SectionBuilder:
    """The follow-up section: the assignments opened, closed and overdue since the previous
    conference (`window`: `data_actions.since_conference` at the briefing's moment, what the
    page lists), in the page's tables."""
    def build(b: br.Briefing, tr: Tr, tz: str) -> Section:
        blocks: list[str | Table | Section] = []
        for part, columns in (("opened", actions_view.COLUMNS),
                              ("closed", actions_view.CLOSED_COLUMNS),
                              ("overdue", actions_view.COLUMNS)):
            frame: pl.DataFrame = getattr(window, part)
            shown = actions_view.table(frame, tr, tz, window.end, units, columns)
            blocks.append(Section(tr(f"actions.briefing.{part}", n=frame.height),
                                  (_or_none(shown, tr),)))
        return Section(tr("actions.briefing.title", prev=fmt.date_time(b.previous, tz)),
                       tuple(blocks))
    return build


def outline(b: br.Briefing, tr: Tr, tz: str,
            builders: Sequence[SectionBuilder] | None = None) -> list[Section]:
    """The document's sections from `builders` (default `SECTIONS`); a builder returning
    None adds nothing."""
    made = (build(b, tr, tz) for build in (SECTIONS if builders is None else builders))
    return [s for s in made if s is not None]


def _run(paragraph, text: str, *, bold: bool = False, italic: bool = False,
         underline: bool = False, size: float | None = None):
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    if size is not None:
        run.font.size = Pt(size)
    return run


def _para(container, text: str = "", *, align=None, bold: bool = False, italic: bool = False,
          underline: bool = False, size: float | None = None, space_after: float = 0,
          indent: bool = False):
    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = _run(p, line, bold=bold, italic=italic, underline=underline, size=size)
        if i < len(lines) - 1:
            run.add_break()
    return p


def _cell_para(cell, text: str, **kw):
    """Write `text` into a table cell's first paragraph (a new cell has one, empty)."""
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(kw.pop("space_after", 0))
    if (align := kw.pop("align", None)) is not None:
        p.alignment = align
    _run(p, text, **kw)
    return p


def _font(style) -> None:
    """Times New Roman for every script, the template's theme fonts (Calibri in headings)
    taken off: a theme font would win over the named one in Word."""
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    _font(normal)
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", BODY_PT), ("Heading 2", BODY_PT)):
        style = doc.styles[name]
        _font(style)
        style.font.size, style.font.bold = Pt(size), True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(8)
        style.paragraph_format.space_after = Pt(4)


def _page(doc) -> None:
    """A4 portrait, margins of Nghị định 30/2020 (top/bottom 2 cm, left 3 cm, right 1.5 cm)."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)


def _head(doc, b: br.Briefing, head: Letterhead, tr: Tr, tz: str) -> None:
    grid = doc.add_table(rows=1, cols=2)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = grid.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    centre = WD_ALIGN_PARAGRAPH.CENTER
    if head.organisation:
        _cell_para(left, head.organisation.upper(), align=centre, size=12)
        _para(left, head.unit.upper(), align=centre, bold=True, size=12)
    else:
        _cell_para(left, head.unit.upper(), align=centre, bold=True, size=12)
    _para(left, tr("doc.number"), align=centre, size=12, space_after=0)
    _cell_para(right, tr("doc.nation"), align=centre, bold=True, size=12)
    _para(right, tr("doc.motto"), align=centre, bold=True, underline=True, size=13)
    _para(doc, place_date(b.at, head.place, tr, tz), align=WD_ALIGN_PARAGRAPH.RIGHT,
          italic=True, space_after=12)
    _para(doc, tr("doc.title"), align=centre, bold=True, size=14)
    _para(doc, tr("doc.subtitle", t=fmt.clock(b.at, tz), date=fmt.date(b.at, tz)),
          align=centre, bold=True, space_after=12)
    counted = b.counted_until or b.at
    since = fmt.date(b.day_start, tz)  # an earlier day: the dossiers of a period (`?since=`)
    basis = "doc.basis" if since == fmt.date(b.at, tz) else "doc.basis_period"
    _para(doc, tr(basis, t=fmt.clock(counted, tz), date=fmt.date(b.at, tz), since=since,
                  prev=fmt.date_time(b.previous, tz)), italic=True, indent=True, space_after=6)


def _write_table(doc, table: Table) -> None:
    frame = table.frame
    grid = doc.add_table(rows=1, cols=frame.width)
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    right = WD_ALIGN_PARAGRAPH.RIGHT
    for cell, name in zip(grid.rows[0].cells, frame.columns, strict=True):
        _cell_para(cell, name, bold=True, size=TABLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, row in enumerate(frame.iter_rows()):
        cells = grid.add_row().cells
        bold = table.total_last and i == frame.height - 1
        for cell, name, value in zip(cells, frame.columns, row, strict=True):
            _cell_para(cell, fmt.DASH if value is None else str(value), bold=bold,
                       size=TABLE_PT, align=right if name in table.right else None)
    _para(doc, space_after=4)


def _write(doc, section: Section, number: str, depth: int) -> None:
    title = section.title.upper() if depth == 0 else section.title
    doc.add_heading(f"{number}. {title}", level=depth + 1)
    sub = 0
    for block in section.blocks:
        if isinstance(block, Section):
            sub += 1
            _write(doc, block, str(sub), depth + 1)
        elif isinstance(block, Table):
            _write_table(doc, block)
        else:
            _para(doc, block, indent=True, space_after=6)


def _signature(doc, head: Letterhead, tr: Tr) -> None:
    grid = doc.add_table(rows=1, cols=2)
    left, right = grid.rows[0].cells
    left.width, right.width = Mm(80), Mm(85)
    _cell_para(left, tr("doc.recipients"), bold=True, italic=True, size=12)
    if head.organisation:
        _para(left, tr("doc.recipient.leaders", org=head.organisation), size=11)
    _para(left, tr("doc.recipient.archive"), size=11)
    centre = WD_ALIGN_PARAGRAPH.CENTER
    _cell_para(right, tr("doc.signer"), align=centre, bold=True)
    _para(right, tr("doc.sign_hint"), align=centre, italic=True)
    for _ in range(SIGN_LINES):  # room for the signature and the stamp
        _para(right)


def docx_bytes(b: br.Briefing, tr: Tr, tz: str, head: Letterhead,
               builders: Sequence[SectionBuilder] | None = None) -> bytes:
    """The briefing as a .docx (`outline`'s sections under the letterhead, then the
    signature block)."""
    doc = Document()
    _styles(doc)
    _page(doc)
    props = doc.core_properties
    props.title = f"{tr('doc.title')} — {head.unit}"
    props.author = head.unit
    props.language = tr.lang
    props.created = props.modified = b.at.astimezone(UTC).replace(tzinfo=None)
    _head(doc, b, head, tr, tz)
    for i, section in enumerate(outline(b, tr, tz, builders)):
        _write(doc, section, ROMAN[i] if i < len(ROMAN) else str(i + 1), 0)
    _para(doc, space_after=6)
    _signature(doc, head, tr)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
