"""Deterministic synthetic invoice PDFs with known answers.

The corpus is meant for measuring an invoice-field extractor. Every :class:`Invoice` carries the
ground truth (invoice number, ISO date, vendor, grand total, currency, line items) and
:func:`make_invoice` renders it in one of several layouts that differ in labels, field order,
date format, number format, currency notation, fonts and table style.

Everything is derived from ``random.Random(seed)``; per-document decoration that is not part of
the answer (customer, addresses, due date, reference numbers) comes from a string-seeded
``random.Random`` built from the invoice itself, and the PDF creation date is pinned. The same
call therefore produces the same invoices and byte-identical PDFs.

Only the fpdf2 core fonts are used, so all text is Latin-1: euros are written "EUR", dollars
and pounds as "$" and "£".

Run ``python -m tests.corpus.invoices`` from the repository root for a self-check that writes
the corpus, verifies every answer is present in the extracted text and prints one invoice per
layout.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

__all__ = [
    "LAYOUTS",
    "Invoice",
    "corpus",
    "date_text",
    "make_invoice",
    "missing_in_text",
    "money_text",
    "number_text",
    "printed_fields",
    "printed_line_items",
    "write_corpus",
]


@dataclass(frozen=True)
class Invoice:
    """Ground truth for one synthetic invoice.

    ``invoice_date`` and ``total`` are the normalised answers; the PDF prints them in the
    layout's own format (see :func:`printed_fields`). ``line_items`` holds dicts with keys
    ``description``, ``quantity``, ``unit_price`` and ``amount`` (``amount`` is
    ``quantity * unit_price`` rounded to cents). ``total`` is the sum of the amounts plus,
    in layouts that print one, a tax line.
    """

    layout: str
    invoice_number: str
    invoice_date: str
    vendor: str
    total: float
    currency: str
    line_items: tuple[dict[str, Any], ...]


LAYOUTS: tuple[str, ...] = ("classic", "us", "german", "uk", "two-column", "compact")

VENDORS: tuple[str, ...] = (
    "Acme Tools GmbH",
    "Globex Ltd",
    "Initech LLC",
    "Umbrella Corp",
    "Stark Industries Inc",
    "Wayne Enterprises",
    "Nordwind Logistik AG",
    "Blue Harbor Trading Ltd",
    "Alpenblick Software AG",
    "Cyberdyne Systems Corp",
    "Müller & Söhne Metallbau KG",
    "Soylent Foods BV",
)

CUSTOMERS: tuple[str, ...] = (
    "Vandelay Industries",
    "Prestige Worldwide",
    "Oceanic Airlines",
    "Dunder Mifflin Paper Co",
    "Tyrell Corporation",
    "Kramerica Industries",
    "Sterling Cooper",
    "Pied Piper Inc",
)

ITEMS_EN: tuple[str, ...] = (
    "Consulting services",
    "Software license (annual)",
    "Steel bolts M8 (box of 100)",
    "On-site installation",
    "Freight and handling",
    "Cloud hosting - standard plan",
    "Office chairs",
    "Training workshop",
    "Spare parts kit",
    "Technical support hours",
    "Printer toner cartridge",
    "Network switch 24-port",
)

ITEMS_DE: tuple[str, ...] = (
    "Beratungsleistung",
    "Softwarelizenz (jährlich)",
    "Montage vor Ort",
    "Fracht und Verpackung",
    "Wartungsvertrag",
    "Schrauben M8 (100 Stück)",
    "Schulung für Mitarbeiter",
    "Ersatzteilset",
    "Büromöbel",
    "Programmierung (Stunden)",
)

CENT = Decimal("0.01")
FIRST_DAY = date(2025, 1, 1)
DAYS = (date(2026, 12, 31) - FIRST_DAY).days + 1
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SYMBOLS = {"USD": "$", "GBP": "£"}

# Ranges for the pre-tax sum; corpus() cycles each layout through all of them. The top is kept
# at 40,000 so that totals including 19-20% tax stay below 50,000.
TIERS: tuple[tuple[float, float], ...] = ((10.0, 999.0), (1_000.0, 9_999.0), (10_000.0, 40_000.0))
PHONE_PREFIXES = {"us": "+1", "uk": "+44", "de": "+49", "ch": "+41"}


@dataclass(frozen=True)
class _Style:
    """How :func:`corpus` fills in values for one layout."""

    currencies: tuple[str, ...]
    tax_rates: tuple[int, ...]  # whole percent; 0 means no subtotal/tax lines
    descriptions: tuple[str, ...]
    numbers: tuple[Callable[[random.Random, date], str], ...] = field(default=())


def _n(rng: random.Random, low: int, high: int, width: int = 0) -> str:
    """Random integer in ``[low, high]`` zero-padded to ``width``."""
    return f"{rng.randint(low, high):0{width}d}"


STYLES: dict[str, _Style] = {
    "classic": _Style(
        ("EUR", "USD", "GBP", "CHF"),
        (0, 0, 20),
        ITEMS_EN,
        (
            lambda r, d: f"INV-{_n(r, 1000, 9999)}",
            lambda r, d: f"INV-{d.year}-{_n(r, 1, 999, 5)}",
        ),
    ),
    "us": _Style(
        ("USD",),
        (0, 8),
        ITEMS_EN,
        (
            lambda r, d: _n(r, 10000, 99999),
            lambda r, d: f"{_n(r, 100, 999)}-{_n(r, 1000, 9999)}",
        ),
    ),
    "german": _Style(
        ("EUR",),
        (19, 19, 7),
        ITEMS_DE,
        (
            lambda r, d: f"RE-{d.year}-{_n(r, 1, 9999, 4)}",
            lambda r, d: f"R{d:%y}{_n(r, 1, 99999, 5)}",
        ),
    ),
    "uk": _Style(
        ("GBP",),
        (20,),
        ITEMS_EN,
        (
            lambda r, d: f"{d.year}/{_n(r, 1, 999)}",
            lambda r, d: f"SI-{_n(r, 1, 99999, 6)}",
        ),
    ),
    "two-column": _Style(
        ("CHF", "CHF", "EUR"),
        (0,),
        ITEMS_EN,
        (
            lambda r, d: f"INV-{_n(r, 10, 999)}",
            lambda r, d: f"CH-{d:%y}-{_n(r, 1, 9999, 4)}",
        ),
    ),
    "compact": _Style(
        ("EUR", "USD", "GBP", "CHF"),
        (0,),
        ITEMS_EN,
        (
            lambda r, d: f"{r.choice('ABCKMX')}-{_n(r, 100, 9999)}",
            lambda r, d: f"{r.choice('ABCKMX')}{_n(r, 10000, 99999)}",
        ),
    ),
}


# --------------------------------------------------------------------------- formatting


def _cents(value: float | Decimal) -> Decimal:
    """Round to cents, half up, going through ``str`` so floats like 1234.5 stay exact."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _separators(inv: Invoice) -> tuple[str, str]:
    """(thousands, decimal) separators the layout uses for this invoice."""
    if inv.layout == "german":
        return ".", ","
    if inv.layout == "compact":
        return "", "."
    if inv.layout == "two-column" and inv.currency == "CHF":
        return "'", "."
    return ",", "."


def number_text(inv: Invoice, value: float | Decimal) -> str:
    """A money amount without currency, as printed in ``inv``'s layout (e.g. ``1.234,50``)."""
    thousands, decimal = _separators(inv)
    plain = f"{_cents(value):,.2f}"
    return plain.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def money_text(inv: Invoice, value: float | Decimal) -> str:
    """A money amount with currency, as printed on ``inv``'s total line."""
    amount = number_text(inv, value)
    if inv.layout in ("classic", "german"):
        return f"{amount} {inv.currency}"
    if inv.layout in ("us", "uk"):
        symbol = SYMBOLS.get(inv.currency)
        return f"{symbol}{amount}" if symbol else f"{inv.currency} {amount}"
    return f"{inv.currency} {amount}"


def _item_money(inv: Invoice, value: float | Decimal) -> str:
    """A money amount as printed inside the line-items table."""
    return money_text(inv, value) if inv.layout in ("us", "uk") else number_text(inv, value)


def _quantity_text(inv: Invoice, quantity: float) -> str:
    """Quantity as printed: ``3`` for whole numbers, ``2.5`` (``2,5`` in German) otherwise."""
    text = str(int(quantity)) if float(quantity).is_integer() else f"{quantity:g}"
    return text.replace(".", ",") if inv.layout == "german" else text


def date_text(inv: Invoice, day: date | str) -> str:
    """A date as printed in ``inv``'s layout (``day`` may be a date or an ISO string)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    if inv.layout == "us":
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    if inv.layout == "german":
        return f"{day:%d.%m.%Y}"
    if inv.layout == "uk":
        return f"{day:%d/%m/%Y}"
    if inv.layout == "two-column":
        return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"
    return day.isoformat()


def _tax(inv: Invoice) -> tuple[Decimal, Decimal, int]:
    """(subtotal, tax, whole-percent rate) implied by the line items and the total."""
    subtotal = sum((_cents(item["amount"]) for item in inv.line_items), Decimal("0.00"))
    tax = _cents(inv.total) - subtotal
    rate = int((tax / subtotal * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if tax else 0
    return subtotal, tax, rate


def printed_fields(inv: Invoice) -> dict[str, str]:
    """The answer fields exactly as they appear in the PDF text."""
    return {
        "invoice_number": inv.invoice_number,
        "invoice_date": date_text(inv, inv.invoice_date),
        "vendor": inv.vendor,
        "total": money_text(inv, inv.total),
    }


def printed_line_items(inv: Invoice) -> list[dict[str, str]]:
    """The line items exactly as they appear in the PDF table."""
    return [
        {
            "description": item["description"],
            "quantity": _quantity_text(inv, item["quantity"]),
            "unit_price": _item_money(inv, item["unit_price"]),
            "amount": _item_money(inv, item["amount"]),
        }
        for item in inv.line_items
    ]


# --------------------------------------------------------------------------- decoration


@dataclass(frozen=True)
class _Decor:
    """Non-answer content (distractors) derived deterministically from an invoice."""

    customer: str
    customer_address: tuple[str, ...]
    vendor_address: tuple[str, ...]
    due_date: date
    service_date: date
    reference: str
    phone: str
    tax_id: str
    iban: str


ADDRESSES: dict[str, tuple[tuple[str, ...], ...]] = {
    "us": (
        ("1200 Industrial Pkwy, Suite 400", "Springfield, IL 62704"),
        ("77 Harbor Blvd", "Oakland, CA 94607"),
        ("350 Fifth Avenue, Floor 21", "New York, NY 10118"),
        ("9 Commerce Drive", "Austin, TX 78701"),
    ),
    "uk": (
        ("Unit 4, Riverside Park", "Leeds LS11 5QT"),
        ("22 Cheapside", "London EC2V 6AA"),
        ("3 Dock Road", "Bristol BS1 4RJ"),
    ),
    "de": (
        ("Industriestraße 12", "80331 München"),
        ("Hafenweg 3", "20457 Hamburg"),
        ("Königsallee 45", "40212 Düsseldorf"),
    ),
    "ch": (
        ("Bahnhofstrasse 21", "8001 Zürich"),
        ("Rue du Rhône 8", "1204 Genève"),
        ("Seestrasse 110", "6006 Luzern"),
    ),
}
REGIONS = {"us": "us", "german": "de", "uk": "uk", "two-column": "ch"}


def _decor(inv: Invoice) -> _Decor:
    """Build the distractor content for ``inv`` from a seed derived from the invoice itself."""
    rng = random.Random(f"{inv.layout}|{inv.invoice_number}|{inv.invoice_date}|{inv.vendor}")
    region = REGIONS.get(inv.layout) or rng.choice(sorted(ADDRESSES))
    issued = date.fromisoformat(inv.invoice_date)
    vendor_address, customer_address = rng.sample(ADDRESSES[region], 2)
    return _Decor(
        customer=rng.choice(CUSTOMERS),
        customer_address=customer_address,
        vendor_address=vendor_address,
        due_date=issued + timedelta(days=rng.choice((14, 30, 45))),
        service_date=issued - timedelta(days=rng.randint(1, 20)),
        reference=f"{rng.choice(('PO', 'ORD', '45'))}{_n(rng, 1000000, 9999999)}",
        phone=f"{PHONE_PREFIXES[region]} {_n(rng, 20, 99)} {_n(rng, 1000000, 9999999)}",
        tax_id=_n(rng, 100000000, 999999999),
        iban=f"DE{_n(rng, 10, 99)} {_n(rng, 1000, 9999)} {_n(rng, 1000, 9999)} "
        f"{_n(rng, 1000, 9999)} {_n(rng, 1000, 9999)} {_n(rng, 10, 99)}",
    )


# --------------------------------------------------------------------------- drawing helpers


def _font(pdf: FPDF, style: str = "", size: float | None = None) -> None:
    """Change style and/or size, keeping the current font family."""
    pdf.set_font(pdf.font_family, style, size or pdf.font_size_pt)


def _line(pdf: FPDF, text: str, h: float = 6, align: str = "L") -> None:
    """One full-width line of text, then move to the start of the next line."""
    pdf.cell(0, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _row(
    pdf: FPDF, cells: Sequence[tuple[float, str, str]], h: float = 6, border: str = ""
) -> None:
    """A row of (width, text, align) cells, then move to the start of the next line.

    Label cells are always wider than their text: a label cell sized exactly to its text makes
    pypdf glue it to the next cell ("Total:99.00").
    """
    for width, text, align in cells:
        pdf.cell(width, h, text, border=border or 0, align=align)
    pdf.ln(h)


def _items_table(
    pdf: FPDF,
    inv: Invoice,
    headers: Sequence[str],
    widths: Sequence[float],
    *,
    numbered: bool = False,
    border: str = "",
    fill: bool = False,
    h: float = 7,
) -> None:
    """Draw the line-items table: [pos,] description, quantity, unit price, amount."""
    aligns = ("C", "L", "R", "R", "R") if numbered else ("L", "R", "R", "R")
    _font(pdf, "B")
    pdf.set_fill_color(225, 225, 225)
    for width, text, align in zip(widths, headers, aligns, strict=True):
        pdf.cell(width, h, text, border=border or 0, align=align, fill=fill)
    pdf.ln(h)
    _font(pdf, "")
    for pos, item in enumerate(printed_line_items(inv), start=1):
        values = [item["description"], item["quantity"], item["unit_price"], item["amount"]]
        if numbered:
            values.insert(0, str(pos))
        _row(pdf, list(zip(widths, values, aligns, strict=True)), h, border)


# --------------------------------------------------------------------------- layouts


def _classic(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """Labelled fields, "From:"/"Bill To:" blocks, boxed table, "Total: 1,234.50 EUR"."""
    pdf.set_font("Helvetica", "B", 22)
    _line(pdf, "INVOICE", 12)
    pdf.set_font("Helvetica", "", 11)
    _line(pdf, f"Invoice Number: {inv.invoice_number}")
    _line(pdf, f"Invoice Date: {date_text(inv, inv.invoice_date)}")
    _line(pdf, f"Due Date: {date_text(inv, d.due_date)}")
    _line(pdf, f"Order Ref: {d.reference}")
    pdf.ln(4)
    _line(pdf, f"From: {inv.vendor}")
    for text in d.vendor_address:
        _line(pdf, f"      {text}")
    pdf.ln(2)
    _line(pdf, f"Bill To: {d.customer}")
    for text in d.customer_address:
        _line(pdf, f"      {text}")
    pdf.ln(6)
    _items_table(
        pdf,
        inv,
        ("Description", "Qty", "Unit Price", f"Amount ({inv.currency})"),
        (90, 20, 35, 35),
        border="1",
    )
    pdf.ln(3)
    subtotal, tax, rate = _tax(inv)
    if tax:
        _row(pdf, [(145, "Subtotal:", "R"), (35, money_text(inv, subtotal), "R")])
        _row(pdf, [(145, f"Tax ({rate}%):", "R"), (35, money_text(inv, tax), "R")])
    _font(pdf, "B")
    _row(pdf, [(145, "Total:", "R"), (35, money_text(inv, inv.total), "R")])
    _font(pdf, "", 9)
    pdf.ln(8)
    _line(pdf, f"Payment within 30 days. Questions? Call {d.phone}.")


def _us(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """Vendor as letterhead, side-by-side bill-to and invoice details, "Amount Due: $..."."""
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(120, 11, inv.vendor)
    pdf.set_text_color(120, 120, 120)
    pdf.cell(0, 11, "INVOICE", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 10)
    for text in d.vendor_address:
        _line(pdf, text, 5)
    _line(pdf, f"Phone {d.phone}", 5)
    pdf.ln(8)
    left = ["Bill To:", d.customer, *d.customer_address]
    right = [
        f"Invoice #: {inv.invoice_number}",
        f"Date: {date_text(inv, inv.invoice_date)}",
        f"Due Date: {date_text(inv, d.due_date)}",
        f"P.O. #: {d.reference}",
    ]
    for i in range(max(len(left), len(right))):
        _font(pdf, "B" if i == 0 else "")
        pdf.cell(110, 5.5, left[i] if i < len(left) else "")
        _font(pdf, "")
        pdf.cell(0, 5.5, right[i] if i < len(right) else "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    headers = ("Item Description", "Qty", "Rate", "Amount")
    _items_table(pdf, inv, headers, (89, 16, 40, 40), fill=True)  # letter: 185 mm usable
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 185, pdf.get_y())
    pdf.ln(3)
    subtotal, tax, rate = _tax(inv)
    if tax:
        _row(pdf, [(145, "Subtotal", "R"), (40, money_text(inv, subtotal), "R")])
        _row(pdf, [(145, f"Sales Tax ({rate}%)", "R"), (40, money_text(inv, tax), "R")])
    _font(pdf, "B", 12)
    _row(pdf, [(145, "Amount Due:", "R"), (40, money_text(inv, inv.total), "R")], 8)
    _font(pdf, "I", 10)
    pdf.ln(10)
    _line(pdf, "Thank you for your business!", align="C")


def _german(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """German: vendor letterhead, "Rechnungsnummer", dd.mm.yyyy, 1.234,50 EUR, MwSt."""
    pdf.set_font("Times", "B", 18)
    _line(pdf, inv.vendor, 9)
    pdf.set_font("Times", "", 9)
    _line(pdf, f"{' · '.join(d.vendor_address)} · Tel. {d.phone}", 5)
    pdf.ln(10)
    pdf.set_font("Times", "", 11)
    _line(pdf, d.customer, 5.5)
    for text in d.customer_address:
        _line(pdf, text, 5.5)
    pdf.ln(10)
    pdf.set_font("Times", "B", 16)
    _line(pdf, "Rechnung", 9)
    pdf.set_font("Times", "", 11)
    _line(pdf, f"Rechnungsnummer: {inv.invoice_number}")
    _line(pdf, f"Rechnungsdatum: {date_text(inv, inv.invoice_date)}")
    _line(pdf, f"Leistungsdatum: {date_text(inv, d.service_date)}")
    _line(pdf, f"Ihre Bestellung: {d.reference}")
    pdf.ln(6)
    _items_table(
        pdf,
        inv,
        ("Pos.", "Beschreibung", "Menge", "Einzelpreis", "Gesamt"),
        (12, 80, 20, 34, 34),
        numbered=True,
        border="B",
    )
    pdf.ln(3)
    subtotal, tax, rate = _tax(inv)
    if tax:
        _row(pdf, [(146, "Nettobetrag:", "R"), (34, money_text(inv, subtotal), "R")])
        _row(pdf, [(146, f"zzgl. {rate}% MwSt.:", "R"), (34, money_text(inv, tax), "R")])
    _font(pdf, "B")
    _row(pdf, [(146, "Gesamtbetrag:", "R"), (34, money_text(inv, inv.total), "R")])
    _font(pdf, "")
    pdf.ln(8)
    _line(pdf, f"Zahlbar ohne Abzug bis zum {date_text(inv, d.due_date)}.")
    pdf.set_y(-30)
    pdf.set_font("Times", "", 8)
    _line(pdf, f"{inv.vendor} · USt-IdNr.: DE{d.tax_id} · IBAN: {d.iban}", 4, align="C")


def _uk(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """UK: "Supplier:", "Invoice No.", dd/mm/yyyy, £ amounts, VAT, "Balance due:"."""
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, "TAX INVOICE", 10, align="R")
    pdf.set_font("Helvetica", "", 10)
    _line(pdf, f"Supplier: {inv.vendor}")
    for text in d.vendor_address:
        _line(pdf, text, 5)
    _line(pdf, f"VAT Reg No: GB {d.tax_id[:3]} {d.tax_id[3:7]} {d.tax_id[7:]}", 5)
    pdf.ln(5)
    _line(pdf, f"Invoice No. {inv.invoice_number}")
    _line(pdf, f"Invoice date {date_text(inv, inv.invoice_date)}")
    _line(pdf, f"Payment due {date_text(inv, d.due_date)}")
    _line(pdf, f"Customer: {d.customer}, {', '.join(d.customer_address)}")
    pdf.ln(5)
    _items_table(
        pdf,
        inv,
        ("Description", "Qty", "Unit price", "Net amount"),
        (95, 15, 35, 35),
        border="TB",
        fill=True,
    )
    pdf.ln(3)
    subtotal, tax, rate = _tax(inv)
    if tax:
        _row(pdf, [(145, "Net total", "R"), (35, money_text(inv, subtotal), "R")])
        _row(pdf, [(145, f"VAT @ {rate}%", "R"), (35, money_text(inv, tax), "R")])
    _font(pdf, "B")
    _row(pdf, [(145, "Balance due:", "R"), (35, money_text(inv, inv.total), "R")])
    _font(pdf, "", 9)
    pdf.ln(8)
    _line(pdf, f"Please quote invoice number {inv.invoice_number} with your payment.", 5)


def _two_column(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """Label column + value column on the same line, "14 Mar 2026", "Grand total CHF 1'234.50"."""
    pdf.set_font("Helvetica", "B", 14)
    _line(pdf, "Invoice", 9)
    pdf.set_font("Helvetica", "", 10)
    pairs = [
        ("Invoice number", inv.invoice_number),
        ("Invoice date", date_text(inv, inv.invoice_date)),
        ("Due date", date_text(inv, d.due_date)),
        ("Issued by", inv.vendor),
        ("Address", ", ".join(d.vendor_address)),
        ("Billed to", d.customer),
        ("Customer reference", d.reference),
        ("Currency", inv.currency),
    ]
    for label, value in pairs:
        _font(pdf, "B")
        pdf.cell(50, 6, label)
        _font(pdf, "")
        pdf.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    _items_table(pdf, inv, ("Description", "Quantity", "Unit price", "Amount"), (85, 25, 35, 35))
    pdf.ln(4)
    _font(pdf, "B", 11)
    pdf.cell(50, 7, "Grand total")
    pdf.cell(0, 7, money_text(inv, inv.total), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _compact(pdf: FPDF, inv: Invoice, d: _Decor) -> None:
    """Terse monospaced receipt: "No: A-991 | Date: 2026-03-14 | Vendor: ...", "TOTAL EUR ..."."""
    pdf.set_font("Courier", "", 9)
    date_ = date_text(inv, inv.invoice_date)
    _line(pdf, f"No: {inv.invoice_number} | Date: {date_} | Vendor: {inv.vendor}", 4.5)
    _line(pdf, f"To: {d.customer} | Due: {date_text(inv, d.due_date)} | Ref: {d.reference}", 4.5)
    _line(pdf, "-" * 90, 4.5)
    _items_table(pdf, inv, ("ITEM", "QTY", "UNIT", "AMT"), (80, 15, 30, 30), h=4.5)
    _line(pdf, "-" * 90, 4.5)
    _font(pdf, "B")
    _line(pdf, f"TOTAL {money_text(inv, inv.total)}", 4.5)


RENDERERS: dict[str, Callable[[FPDF, Invoice, _Decor], None]] = {
    "classic": _classic,
    "us": _us,
    "german": _german,
    "uk": _uk,
    "two-column": _two_column,
    "compact": _compact,
}


# --------------------------------------------------------------------------- public API


def _validate(inv: Invoice) -> None:
    """Reject invoices whose numbers do not add up (the PDF would contradict the answers)."""
    if inv.layout not in RENDERERS:
        raise ValueError(f"unknown layout {inv.layout!r}; expected one of {LAYOUTS}")
    if not 1 <= len(inv.line_items) <= 4:
        raise ValueError(f"{inv.invoice_number}: expected 1-4 line items")
    for item in inv.line_items:
        expected = _cents(Decimal(str(item["quantity"])) * Decimal(str(item["unit_price"])))
        if _cents(item["amount"]) != expected:
            raise ValueError(f"{inv.invoice_number}: amount of {item['description']!r} is wrong")
    subtotal, tax, _ = _tax(inv)
    if tax < 0 or (tax and subtotal <= 0):
        raise ValueError(f"{inv.invoice_number}: total is below the sum of the line items")


def make_invoice(inv: Invoice, path: Path) -> Path:
    """Write the PDF for ``inv`` in its layout to ``path`` and return ``path``.

    The output is byte-for-byte deterministic. Raises ``ValueError`` if the line items do not
    add up or the layout is unknown.
    """
    _validate(inv)
    pdf = FPDF(format="letter" if inv.layout == "us" else "A4")
    issued = date.fromisoformat(inv.invoice_date)
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, 9, tzinfo=UTC))
    pdf.set_creator("openpal synthetic invoice corpus")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    RENDERERS[inv.layout](pdf, inv, _decor(inv))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _line_items(
    rng: random.Random, descriptions: Sequence[str], target: float
) -> tuple[dict[str, Any], ...]:
    """1-4 line items whose amounts add up to roughly ``target``."""
    count = rng.randint(1, 4)
    weights = [rng.uniform(0.2, 1.0) for _ in range(count)]
    scale = target / sum(weights)
    items = []
    for description, weight in zip(rng.sample(list(descriptions), count), weights, strict=True):
        share = weight * scale
        if share < 20:
            quantity = float(rng.choice((1, 1, 2)))
        else:
            quantity = float(rng.choice((1, 1, 1, 2, 3, 5, 10, 12, 25, 1.5, 2.5, 7.5)))
        unit = max(Decimal("0.50"), _cents(share / quantity))
        if unit >= 10 and rng.random() < 0.4:
            unit = unit.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(CENT)
        amount = _cents(Decimal(str(quantity)) * unit)
        items.append(
            {
                "description": description,
                "quantity": quantity,
                "unit_price": float(unit),
                "amount": float(amount),
            }
        )
    return tuple(items)


def corpus(n: int = 36, seed: int = 7) -> list[Invoice]:
    """``n`` invoices, deterministic for a given ``seed``, layouts assigned round-robin.

    Each layout cycles through small (< 1,000), medium and large (>= 10,000) totals across
    rounds, so every layout gets totals with thousands separators. Invoice numbers are unique.
    """
    rng = random.Random(seed)
    invoices: list[Invoice] = []
    seen: set[str] = set()
    for i in range(n):
        layout = LAYOUTS[i % len(LAYOUTS)]
        style = STYLES[layout]
        issued = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        number = rng.choice(style.numbers)(rng, issued)
        while number in seen:
            number = rng.choice(style.numbers)(rng, issued)
        seen.add(number)
        low, high = TIERS[(i // len(LAYOUTS) + i % len(LAYOUTS)) % len(TIERS)]
        target = low * (high / low) ** rng.random()  # log-uniform within the tier
        items = _line_items(rng, style.descriptions, target)
        subtotal = sum((_cents(item["amount"]) for item in items), Decimal("0.00"))
        tax = _cents(subtotal * rng.choice(style.tax_rates) / 100)
        invoices.append(
            Invoice(
                layout=layout,
                invoice_number=number,
                invoice_date=issued.isoformat(),
                vendor=rng.choice(VENDORS),
                total=float(subtotal + tax),
                currency=rng.choice(style.currencies),
                line_items=items,
            )
        )
    return invoices


def write_corpus(folder: Path, n: int = 36, seed: int = 7) -> list[tuple[Path, Invoice]]:
    """Write :func:`corpus` as ``folder/NNN_<layout>.pdf`` and return (path, invoice) pairs."""
    folder = Path(folder)
    return [
        (make_invoice(inv, folder / f"{i:03d}_{inv.layout}.pdf"), inv)
        for i, inv in enumerate(corpus(n, seed))
    ]


# --------------------------------------------------------------------------- self-check


def missing_in_text(inv: Invoice, text: str) -> list[str]:
    """Printed answer strings (fields and line-item values) that ``text`` does not contain."""
    expected = list(printed_fields(inv).values())
    for item in printed_line_items(inv):
        expected.extend(item.values())
    return [value for value in expected if value not in text]


def _self_check() -> int:
    """Write the corpus twice, check answers and determinism, print one invoice per layout."""
    from pypdf import PdfReader

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        written = write_corpus(Path(tmp) / "a")
        again = write_corpus(Path(tmp) / "b")
        shown: set[str] = set()
        for (path, inv), (path_b, _) in zip(written, again, strict=True):
            if path.read_bytes() != path_b.read_bytes():
                print(f"NOT DETERMINISTIC: {path.name}")
                failures += 1
            text = PdfReader(path).pages[0].extract_text()
            missing = missing_in_text(inv, text)
            if missing:
                print(f"MISSING in {path.name}: {missing}")
                failures += 1
            if inv.layout not in shown:
                shown.add(inv.layout)
                print(f"===== {inv.layout}: {path.name} =====")
                print(f"answers: {printed_fields(inv)}")
                print(text)
                print()
    invoices = [inv for _, inv in written]
    totals = sorted(inv.total for inv in invoices)
    print(
        f"{len(invoices)} invoices, {len(LAYOUTS)} layouts, "
        f"totals {totals[0]:,.2f} .. {totals[-1]:,.2f}, "
        f"{sum(t >= 1000 for t in totals)} with total >= 1,000, "
        f"{len({inv.vendor for inv in invoices})} vendors, "
        f"{sum(len(inv.line_items) for inv in invoices)} line items; failures: {failures}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_self_check())
