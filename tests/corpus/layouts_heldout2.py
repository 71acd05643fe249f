"""Layout arrangements drawn only by the second held-out half (pools_heldout2.py).

Importing this module adds its arrangements to tests/corpus/layouts.py's tables (new keys
only; nothing there changes), so :func:`tests.corpus.layouts.draw` can draw them:

- letterhead ``banner``: the title and the vendor's name on one line (title left, name
  right, as many invoice templates print them), the address right-aligned under it;
- letterhead ``contact``: a small "name · street · city" line above a big title, the way
  accounting tools print a sender line;
- header ``sidebox``: bill-to block on the left, a right-hand block of right-aligned labels
  each followed by its value in a separate cell;
- header ``strip``: the header fields in unbordered rows of up to four, small grey labels
  above bold values;
- totals ``oneline``: the net sum, the tax and the total on one line;
- totals ``underlined``: right-hand totals with a rule above the grand total.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.layouts import HEADER_STYLES, LETTERHEADS, TOTAL_STYLES, Plan, _customer

__all__ = ["HEADER_STYLES2", "LETTERHEADS2", "TOTAL_STYLES2"]


def _shrink(pdf: FPDF, text: str, width: float, size: float) -> None:
    """Font size ``size`` or less, so that ``text`` fits ``width`` with a gap (down to 6 pt)."""
    set_font(pdf, size=size)
    while size > 6 and pdf.get_string_width(text) > width - 3:
        size -= 0.5
        set_font(pdf, size=size)


def _lh_banner(pdf: FPDF, p: Plan) -> None:
    half = pdf.epw / 2
    set_font(pdf, "B", 16)
    pdf.cell(half, 10, p.title, align="L")
    set_font(pdf, "B", 13)
    _shrink(pdf, p.vendor, half, 13)
    pdf.cell(half, 10, p.vendor, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    set_font(pdf, "", 8.5)
    for text in p.vendor_address:
        line(pdf, text, 4.2, "R")
    pdf.ln(5)


def _lh_contact(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "B", 12)
    line(pdf, p.vendor, 6)
    set_font(pdf, "", 7.5)
    line(pdf, " · ".join(p.vendor_address), 4)
    pdf.ln(4)
    set_font(pdf, "B", 18)
    line(pdf, p.title, 10)
    pdf.ln(2)


def _sidebox(pdf: FPDF, p: Plan) -> None:
    left = [p.customer_label, p.customer, *p.customer_address]
    x_label, w_label = pdf.l_margin + pdf.epw * 0.48, pdf.epw * 0.27
    w_value = pdf.epw - (x_label - pdf.l_margin) - w_label
    top = pdf.get_y()
    for i, text in enumerate(left):
        set_font(pdf, "B" if i == 0 else "", 10)
        line(pdf, text, 5.5)
    bottom = pdf.get_y()
    pdf.set_y(top)
    for label, value in p.meta:
        pdf.set_x(x_label)
        set_font(pdf, "B", 9)
        _shrink(pdf, label, w_label, 9)
        pdf.cell(w_label, 5.5, label, align="R")
        set_font(pdf, "", 9.5)
        pdf.cell(w_value, 5.5, "  " + value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()))
    pdf.ln(5)


def _strip(pdf: FPDF, p: Plan) -> None:
    per_row = (len(p.meta) + 1) // 2 if len(p.meta) > 4 else len(p.meta)
    width = pdf.epw / per_row
    for start in range(0, len(p.meta), per_row):
        chunk = p.meta[start : start + per_row]
        pdf.set_text_color(100, 100, 100)
        for label, _ in chunk:
            set_font(pdf, "")
            _shrink(pdf, label, width, 7.5)
            pdf.cell(width, 4.5, label)
        pdf.ln(4.5)
        pdf.set_text_color(0, 0, 0)
        for _, value in chunk:
            set_font(pdf, "B")
            _shrink(pdf, value, width, 9.5)
            pdf.cell(width, 5.5, value)
        pdf.ln(8)
    set_font(pdf, "", 10)
    _customer(pdf, p)


def _tot_oneline(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "", 9.5)
    *rest, (label, value) = p.totals
    text = "     ".join(f"{lbl}{p.sep}{val}" for lbl, val in rest)
    if text:
        line(pdf, text, 6, align="R")
    set_font(pdf, "B", 11)
    line(pdf, f"{label}{p.sep}{value}", 7, align="R")


def _tot_underlined(pdf: FPDF, p: Plan) -> None:
    x = pdf.l_margin + pdf.epw - 100
    for i, (label, value) in enumerate(p.totals):
        last = i == len(p.totals) - 1
        if last:
            pdf.line(x, pdf.get_y() + 0.5, pdf.l_margin + pdf.epw, pdf.get_y() + 0.5)
            pdf.ln(1)
        set_font(pdf, "B" if last else "", 10.5 if last else 9.5)
        cell_row(pdf, [(60, label, "R"), (40, value, "R")], 6, x=x)


LETTERHEADS2 = {"banner": _lh_banner, "contact": _lh_contact}
HEADER_STYLES2 = {"sidebox": _sidebox, "strip": _strip}
TOTAL_STYLES2 = {"oneline": _tot_oneline, "underlined": _tot_underlined}

for _table, _extra in (
    (LETTERHEADS, LETTERHEADS2),
    (HEADER_STYLES, HEADER_STYLES2),
    (TOTAL_STYLES, TOTAL_STYLES2),
):
    for _key, _fn in _extra.items():
        _table.setdefault(_key, _fn)
