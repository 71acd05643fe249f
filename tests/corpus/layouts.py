"""Drawing one generated document from its :class:`Plan`: letterhead, header block, line-item
table, totals and footer, each in one of several arrangements the pools choose from.

Header arrangements (``HEADER_STYLES``): ``inline`` ("Label: value" lines), ``columns`` (a
label column and a value column), ``beside`` (bill-to block left, details right),
``pipe`` ("Label: v | Label: v" on one or two lines), ``stacked`` (label above value),
``grid`` (a table-form header: a row of labels over a row of values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from tests.corpus.draw import cell_row, line, set_font

__all__ = ["HEADER_STYLES", "LETTERHEADS", "TABLE_STYLES", "TOTAL_STYLES", "Plan", "draw"]

WIDTHS = {"pos": 11.0, "code": 24.0, "quantity": 17.0, "unit_price": 30.0, "amount": 32.0}
ALIGN = {"pos": "C", "code": "L", "description": "L"}


@dataclass(frozen=True)
class Plan:
    """Every printed string of one document and where it goes."""

    font: str
    letter: bool
    issued: date
    title: str
    letterhead: str
    header_style: str
    sep: str
    vendor: str
    vendor_address: tuple[str, ...]
    vendor_label: str
    customer: str
    customer_address: tuple[str, ...]
    customer_label: str
    meta: tuple[tuple[str, str], ...]  # (label, value), in printed order
    columns: tuple[str, ...]  # column keys
    headers: tuple[str, ...]  # header words, same order
    border: str
    rows: tuple[dict[str, str], ...]  # column key -> text; "detail" = description's 2nd line
    totals: tuple[tuple[str, str], ...]  # (label, value); the last is the grand total
    total_style: str
    footer: tuple[str, ...]


# --------------------------------------------------------------------------- letterheads


def _vendor_block(pdf: FPDF, p: Plan, align: str) -> None:
    set_font(pdf, "B", 17)
    line(pdf, p.vendor, 9, align)
    set_font(pdf, "", 8.5)
    for text in p.vendor_address:
        line(pdf, text, 4.2, align)
    pdf.ln(3)


def _title(pdf: FPDF, p: Plan, align: str) -> None:
    set_font(pdf, "B", 15)
    line(pdf, p.title, 9, align)
    set_font(pdf, "", 10)


def _lh_left(pdf: FPDF, p: Plan) -> None:
    _vendor_block(pdf, p, "L")
    _title(pdf, p, "R")


def _lh_right(pdf: FPDF, p: Plan) -> None:
    _title(pdf, p, "L")
    pdf.set_y(15)
    _vendor_block(pdf, p, "R")


def _lh_center(pdf: FPDF, p: Plan) -> None:
    _vendor_block(pdf, p, "C")
    _title(pdf, p, "C")


def _lh_labelled(pdf: FPDF, p: Plan) -> None:
    _title(pdf, p, "L")
    set_font(pdf, "", 10)
    line(pdf, f"{p.vendor_label}{p.sep}{p.vendor}", 5.5)
    for text in p.vendor_address:
        line(pdf, text, 5, x=pdf.l_margin + 4)
    pdf.ln(3)


LETTERHEADS: dict[str, Callable[[FPDF, Plan], None]] = {
    "left": _lh_left,
    "right": _lh_right,
    "center": _lh_center,
    "labelled": _lh_labelled,
}


# --------------------------------------------------------------------------- header block


def _customer(pdf: FPDF, p: Plan, x: float | None = None) -> None:
    set_font(pdf, "B", 10)
    line(pdf, p.customer_label, 5.5, x=x)
    set_font(pdf, "", 10)
    for text in (p.customer, *p.customer_address):
        line(pdf, text, 5, x=x)
    pdf.ln(3)


def _inline(pdf: FPDF, p: Plan) -> None:
    _customer(pdf, p)
    for label, value in p.meta:
        line(pdf, f"{label}{p.sep}{value}", 5.5)
    pdf.ln(4)


def _columns(pdf: FPDF, p: Plan) -> None:
    width = max(pdf.get_string_width(label) for label, _ in p.meta) + 8
    for label, value in p.meta:
        set_font(pdf, "B")
        pdf.cell(width, 5.5, label)
        set_font(pdf, "")
        pdf.cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _customer(pdf, p)


def _beside(pdf: FPDF, p: Plan) -> None:
    left = [p.customer_label, p.customer, *p.customer_address]
    right = [f"{label}{p.sep}{value}" for label, value in p.meta]
    half = pdf.epw / 2 + 8
    for i in range(max(len(left), len(right))):
        set_font(pdf, "B" if i == 0 else "")
        pdf.cell(half, 5.5, left[i] if i < len(left) else "")
        set_font(pdf, "")
        pdf.cell(0, 5.5, right[i] if i < len(right) else "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)


def _pipe(pdf: FPDF, p: Plan) -> None:
    parts = [f"{label}{p.sep}{value}" for label, value in p.meta]
    cut = (len(parts) + 1) // 2
    set_font(pdf, "", 9)
    for chunk in (parts[:cut], parts[cut:]):
        if chunk:
            line(pdf, " | ".join(chunk), 5)
    line(pdf, f"{p.customer_label}{p.sep}{p.customer}, {', '.join(p.customer_address)}", 5)
    set_font(pdf, "", 10)
    pdf.ln(4)


def _stacked(pdf: FPDF, p: Plan) -> None:
    _customer(pdf, p)
    x = pdf.l_margin + pdf.epw * 0.55
    top = pdf.get_y() - 30 if pdf.get_y() > 70 else pdf.get_y()
    pdf.set_y(top)
    for label, value in p.meta:
        set_font(pdf, "", 8)
        pdf.set_text_color(90, 90, 90)
        line(pdf, label, 4, x=x)
        pdf.set_text_color(0, 0, 0)
        set_font(pdf, "B", 10)
        line(pdf, value, 5.5, x=x)
    set_font(pdf, "", 10)
    pdf.set_y(max(pdf.get_y(), top + 32))
    pdf.ln(4)


def _grid(pdf: FPDF, p: Plan) -> None:
    per_row = 3 if len(p.meta) > 4 else len(p.meta)
    width = pdf.epw / per_row
    for start in range(0, len(p.meta), per_row):
        chunk = p.meta[start : start + per_row]
        set_font(pdf, "B", 8.5)
        cell_row(pdf, [(width, label, "L") for label, _ in chunk], 5.5, border=1)
        set_font(pdf, "", 10)
        cell_row(pdf, [(width, value, "L") for _, value in chunk], 6.5, border=1)
    pdf.ln(4)
    _customer(pdf, p)


HEADER_STYLES: dict[str, Callable[[FPDF, Plan], None]] = {
    "inline": _inline,
    "columns": _columns,
    "beside": _beside,
    "pipe": _pipe,
    "stacked": _stacked,
    "grid": _grid,
}


# --------------------------------------------------------------------------- table, totals


def _fit(pdf: FPDF, text: str, width: float, size: float) -> None:
    """Shrink the font until ``text`` fits ``width`` (down to 6 pt)."""
    while size > 6 and pdf.get_string_width(text) > width - 2.5:
        size -= 0.5
        set_font(pdf, size=size)


def _table(pdf: FPDF, p: Plan) -> None:
    fixed = sum(WIDTHS.get(key, 0.0) for key in p.columns)
    widths = [WIDTHS.get(key, pdf.epw - fixed) for key in p.columns]
    aligns = [ALIGN.get(key, "R") for key in p.columns]
    grid, shaded = p.border == "grid", p.border == "shaded"
    pdf.set_fill_color(225, 225, 225)
    set_font(pdf, "B", 9)
    for width, text, align in zip(widths, p.headers, aligns, strict=True):
        _fit(pdf, text, width, 9)
        pdf.cell(width, 7, text, border=1 if grid else 0, align=align, fill=shaded)
        set_font(pdf, "B", 9)
    pdf.ln(7)
    if p.border == "rules":
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    for row in p.rows:
        detail = row.get("detail", "")
        for key, width, align in zip(p.columns, widths, aligns, strict=True):
            set_font(pdf, "", 9)
            _fit(pdf, row[key], width, 9)
            border = ("LTR" if detail else 1) if grid else 0
            pdf.cell(width, 6, row[key], border=border, align=align)
        pdf.ln(6)
        if detail:
            set_font(pdf, "", 8)
            for key, width in zip(p.columns, widths, strict=True):
                text = detail if key == "description" else ""
                pdf.cell(width, 5, text, border="LBR" if grid else 0)
            pdf.ln(5)
    if p.border in ("rules", "shaded"):
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    set_font(pdf, "", 10)
    pdf.ln(3)


def _tot_right(pdf: FPDF, p: Plan) -> None:
    for i, (label, value) in enumerate(p.totals):
        last = i == len(p.totals) - 1
        set_font(pdf, "B" if last else "", 11 if last else 10)
        cell_row(pdf, [(pdf.epw - 40, label, "R"), (40, value, "R")], 6.5 if last else 5.5)


def _tot_left(pdf: FPDF, p: Plan) -> None:
    x = pdf.l_margin + pdf.epw * 0.45
    for i, (label, value) in enumerate(p.totals):
        set_font(pdf, "B" if i == len(p.totals) - 1 else "", 10)
        cell_row(pdf, [(pdf.epw * 0.3, label, "L"), (pdf.epw * 0.25, value, "R")], 6, x=x)


def _tot_inline(pdf: FPDF, p: Plan) -> None:
    for i, (label, value) in enumerate(p.totals):
        set_font(pdf, "B" if i == len(p.totals) - 1 else "", 10)
        line(pdf, f"{label}{p.sep}{value}", 6, align="R")


def _tot_boxed(pdf: FPDF, p: Plan) -> None:
    x = pdf.l_margin + pdf.epw - 95
    for i, (label, value) in enumerate(p.totals):
        last = i == len(p.totals) - 1
        set_font(pdf, "B" if last else "", 10)
        cell_row(pdf, [(55, label, "L"), (40, value, "R")], 7, border=1 if last else 0, x=x)


TOTAL_STYLES: dict[str, Callable[[FPDF, Plan], None]] = {
    "right": _tot_right,
    "left": _tot_left,
    "inline": _tot_inline,
    "boxed": _tot_boxed,
}


# Tables drawn other than by _table, by ``Plan.border`` (tests/corpus/layouts_wide4.py adds them).
TABLE_STYLES: dict[str, Callable[[FPDF, Plan], None]] = {}


def draw(pdf: FPDF, p: Plan) -> None:
    """The whole document on one page."""
    pdf.add_page()
    LETTERHEADS[p.letterhead](pdf, p)
    set_font(pdf, "", 10)
    HEADER_STYLES[p.header_style](pdf, p)
    TABLE_STYLES.get(p.border, _table)(pdf, p)
    TOTAL_STYLES[p.total_style](pdf, p)
    pdf.set_y(-32)
    set_font(pdf, "", 7.5)
    for text in p.footer:
        line(pdf, text, 4, align="C")
