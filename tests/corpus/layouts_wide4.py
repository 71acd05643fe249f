"""Page arrangements of the ``wide4`` development pool, registered into tests/corpus/layouts.py.

Written from invoices as accounting tools and hand-made templates arrange them (never from
the held-out layouts):

Letterheads: ``split`` (Xero/QuickBooks: big title left, the company's name and address in
plain type right-aligned below it), ``bottom`` (Word templates: only the title on top, the
company in a three-column block at the page's foot), ``din`` (DATEV/Lexoffice, DIN 5008: the
name top right and a small sender line "Name · Street · City" over the window address).
Headers: ``three_col`` (Xero: bill-to | fields as label over value | the company again),
``kv_table`` (QuickBooks/SAP: bill-to left, a bordered label|value table right),
``leaders`` (hand-made: "Invoice number ........ 2026-17"), ``due_top`` (Stripe: the amount
due in large type above the fields). Tables (by ``Plan.border``): ``stacked`` (Shopify,
Amazon, Stripe receipts: "Description | Amount", with "2 x 45.00" under each item,
a multiplication sign for the x),
``unit_vat`` (Lexoffice, sevDesk, Pennylane: a unit column after the quantity and a VAT
rate column before the amount). Totals: ``strip`` (SAP/DATEV: the totals' labels in one row
over their values), ``leaders`` ("Total ........ 1,234.00").
"""

from __future__ import annotations

import re
import zlib

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.layouts import (
    ALIGN,
    HEADER_STYLES,
    LETTERHEADS,
    TABLE_STYLES,
    TOTAL_STYLES,
    WIDTHS,
    Plan,
    _customer,
    _fit,
)

__all__ = ["NAMES"]

UNITS = ("pcs", "h", "Stk.", "unit", "pce", "days", "ea", "Std.", "m²", "month")


# --------------------------------------------------------------------------- letterheads


def _split(pdf: FPDF, p: Plan) -> None:
    top = pdf.get_y()
    set_font(pdf, "B", 22)
    line(pdf, p.title, 11)
    pdf.set_y(top + 13)
    set_font(pdf, "", 9)
    for text in (p.vendor, *p.vendor_address):
        line(pdf, text, 4.5, "R")
    pdf.ln(4)
    set_font(pdf, "", 10)


def _bottom(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "B", 16)
    line(pdf, p.title, 10)
    top = pdf.get_y()
    pdf.set_y(-52)
    set_font(pdf, "", 8)
    third = pdf.epw / 3
    cell_row(
        pdf,
        [
            (third, p.vendor, "L"),
            (third, p.vendor_address[0], "C"),
            (third, p.vendor_address[1], "R"),
        ],
        4.5,
    )
    pdf.set_y(top + 4)
    set_font(pdf, "", 10)


def _din(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "B", 13)
    line(pdf, p.vendor, 7, "R")
    set_font(pdf, "", 8.5)
    for text in p.vendor_address:
        line(pdf, text, 4.2, "R")
    pdf.ln(4)
    set_font(pdf, "U", 7)
    line(pdf, " · ".join((p.vendor, *p.vendor_address)), 4.5)
    pdf.ln(1)
    set_font(pdf, "B", 14)
    line(pdf, p.title, 8)
    set_font(pdf, "", 10)


# --------------------------------------------------------------------------- header blocks


def _three_col(pdf: FPDF, p: Plan) -> None:
    third = pdf.epw / 3
    left = [p.customer_label, p.customer, *p.customer_address]
    middle = [text for pair in p.meta for text in pair]
    right = [p.vendor, *p.vendor_address]
    for i in range(max(len(left), len(middle), len(right))):
        cells = []
        for column, items in enumerate((left, middle, right)):
            text = items[i] if i < len(items) else ""
            cells.append((third, text, "R" if column == 2 else "L"))
        bold = (i == 0) or (i < len(middle) and i % 2 == 0)
        set_font(pdf, "B" if bold else "", 9)
        cell_row(pdf, cells, 4.8)
    pdf.ln(5)
    set_font(pdf, "", 10)


def _kv_table(pdf: FPDF, p: Plan) -> None:
    top = pdf.get_y()
    x = pdf.l_margin + pdf.epw * 0.5
    for label, value in p.meta:
        set_font(pdf, "B", 9)
        pdf.set_x(x)
        pdf.cell(pdf.epw * 0.24, 6, label, border=1, fill=False)
        set_font(pdf, "", 9)
        pdf.cell(pdf.epw * 0.26, 6, value, border=1, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_y(top)
    _customer(pdf, p)
    pdf.set_y(max(bottom, pdf.get_y()) + 4)
    set_font(pdf, "", 10)


def _dots(pdf: FPDF, label: str, value: str, width: float, x: float | None = None) -> None:
    """``label .......... value`` across ``width``, the dots filling the gap."""
    room = width - pdf.get_string_width(f"{label}  {value}") - 2
    dots = "." * max(3, int(room / max(pdf.get_string_width("."), 0.1)))
    if x is not None:
        pdf.set_x(x)
    pdf.cell(width, 5.5, f"{label} {dots} {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _leaders(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "", 9.5)
    for label, value in p.meta:
        _dots(pdf, label, value, pdf.epw * 0.6)
    pdf.ln(4)
    _customer(pdf, p)


def _due_top(pdf: FPDF, p: Plan) -> None:
    label, value = p.totals[-1]
    set_font(pdf, "B", 20)
    line(pdf, value, 10)
    set_font(pdf, "", 9)
    pdf.set_text_color(100, 100, 100)
    line(pdf, label, 5)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    set_font(pdf, "", 9.5)
    for label, value in p.meta:
        cell_row(pdf, [(45, label, "L"), (60, value, "L")], 5)
    pdf.ln(3)
    _customer(pdf, p)


# --------------------------------------------------------------------------- tables


def _header(pdf: FPDF, p: Plan, key: str) -> str:
    return p.headers[p.columns.index(key)] if key in p.columns else ""


def _stacked(pdf: FPDF, p: Plan) -> None:
    set_font(pdf, "B", 9)
    cell_row(
        pdf,
        [(pdf.epw - 40, _header(pdf, p, "description"), "L"), (40, _header(pdf, p, "amount"), "R")],
        7,
    )
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    for row in p.rows:
        set_font(pdf, "", 9.5)
        cell_row(pdf, [(pdf.epw - 40, row["description"], "L"), (40, row["amount"], "R")], 5.5)
        set_font(pdf, "", 8)
        pdf.set_text_color(100, 100, 100)
        if row.get("detail"):
            line(pdf, row["detail"], 4.2)
        if "quantity" in row and "unit_price" in row:
            line(pdf, f"{row['quantity']} \u00d7 {row['unit_price']}", 4.2)
        elif "quantity" in row:
            line(pdf, f"{_header(pdf, p, 'quantity')}: {row['quantity']}", 4.2)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    set_font(pdf, "", 10)
    pdf.ln(3)


def _rate(p: Plan) -> str:
    found = re.search(r"(\d+)\s*%", p.totals[-2][0]) if len(p.totals) > 1 else None
    return f"{found.group(1) if found else 0} %"


def _unit_vat(pdf: FPDF, p: Plan) -> None:
    keys: list[str] = []
    for key in p.columns:
        if key == "amount":
            keys.append("vat")
        keys.append(key)
        if key == "quantity":
            keys.append("unit")
    extra = {"vat": 14.0, "unit": 13.0}
    fixed = sum(WIDTHS.get(k, extra.get(k, 0.0)) for k in keys)
    widths = [WIDTHS.get(k, extra.get(k, pdf.epw - fixed)) for k in keys]
    aligns = [ALIGN.get(k, "C" if k in extra else "R") for k in keys]
    heads = {"vat": "VAT", "unit": "Unit"}
    set_font(pdf, "B", 9)
    for key, width, align in zip(keys, widths, aligns, strict=True):
        text = heads.get(key) or p.headers[p.columns.index(key)]
        _fit(pdf, text, width, 9)
        pdf.cell(width, 7, text, border="B", align=align)
        set_font(pdf, "B", 9)
    pdf.ln(7)
    rate = _rate(p)
    for row in p.rows:
        unit = UNITS[zlib.crc32(row["description"].encode()) % len(UNITS)]
        cells = {**row, "vat": rate, "unit": unit}
        for key, width, align in zip(keys, widths, aligns, strict=True):
            set_font(pdf, "", 9)
            _fit(pdf, cells[key], width, 9)
            pdf.cell(width, 6, cells[key], align=align)
        pdf.ln(6)
        if row.get("detail"):
            set_font(pdf, "", 8)
            for key, width in zip(keys, widths, strict=True):
                pdf.cell(width, 4.5, row["detail"] if key == "description" else "")
            pdf.ln(4.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    set_font(pdf, "", 10)
    pdf.ln(3)


# --------------------------------------------------------------------------- totals


def _tot_strip(pdf: FPDF, p: Plan) -> None:
    width = pdf.epw / len(p.totals)
    set_font(pdf, "B", 8.5)
    cell_row(pdf, [(width, label, "C") for label, _ in p.totals], 5.5, border=1)
    set_font(pdf, "", 10)
    cell_row(pdf, [(width, value, "C") for _, value in p.totals], 7, border=1)


def _tot_leaders(pdf: FPDF, p: Plan) -> None:
    x = pdf.l_margin + pdf.epw * 0.4
    for i, (label, value) in enumerate(p.totals):
        set_font(pdf, "B" if i == len(p.totals) - 1 else "", 10)
        _dots(pdf, label, value, pdf.epw * 0.6, x=x)


NAMES = {
    "letterheads": ("split", "bottom", "din"),
    "headers": ("three_col", "kv_table", "leaders", "due_top"),
    "tables": ("stacked", "unit_vat"),
    "totals": ("strip", "leaders"),
}
LETTERHEADS.update({"split": _split, "bottom": _bottom, "din": _din})
HEADER_STYLES.update(
    {"three_col": _three_col, "kv_table": _kv_table, "leaders": _leaders, "due_top": _due_top}
)
TABLE_STYLES.update({"stacked": _stacked, "unit_vat": _unit_vat})
TOTAL_STYLES.update({"strip": _tot_strip, "leaders": _tot_leaders})
