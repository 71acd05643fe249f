"""A small fixed set of real-world-like documents with known answers.

Invoices that the generated halves do not cover: multi-page (the table continues on the
next page, a carried-forward subtotal, the total on the last page), a two-column page (a
sidebar with the vendor's details beside the invoice), credit notes, VAT breakdowns with
several rates, Spanish IRPF withholding, Dutch reverse charge, a till receipt; and
documents that are not invoices and must be refused (tests/corpus/realworld_other.py: a
Python source file, a letter, a bank statement, a delivery note without prices, a CV, a
quotation).

Credit notes: ``total`` is negative, and so are each line's ``unit_price`` and ``amount``
(the money flows back), whether the document prints a minus or only says "credit note".
Quantities stay positive.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF

from tests.corpus import fmt
from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.model import Doc
from tests.corpus.realworld_kit import Item, answer_doc, item_rows, pdf_writer

__all__ = ["documents"]


# --------------------------------------------------------------------------- multi-page


MULTI_ITEMS: list[Item] = [
    (f"{name} {size}", qty, unit)
    for name, size, qty, unit in [
        ("Hex bolt", "M6x20", 200, "0.12"),
        ("Hex bolt", "M8x30", 150, "0.19"),
        ("Hex nut", "M6", 400, "0.04"),
        ("Hex nut", "M8", 300, "0.06"),
        ("Washer", "6.4 mm", 500, "0.02"),
        ("Washer", "8.4 mm", 500, "0.03"),
        ("Cable tie", "200 mm (100 pcs)", 12, "3.90"),
        ("Cable tie", "300 mm (100 pcs)", 8, "5.40"),
        ("Wall plug", "8 mm (50 pcs)", 20, "2.75"),
        ("Wood screw", "4x40 (200 pcs)", 10, "8.60"),
        ("Drill bit set", "HSS 19 pcs", 4, "24.90"),
        ("Safety gloves", "size L", 30, "3.15"),
        ("Safety glasses", "clear", 25, "4.80"),
        ("Ear plugs", "(200 pairs)", 2, "29.00"),
        ("Duct tape", "50 m silver", 24, "6.45"),
        ("Masking tape", "25 mm", 36, "2.10"),
        ("Spray paint", "RAL 9005", 18, "7.95"),
        ("Brush set", "5 pcs", 10, "11.50"),
        ("Extension lead", "10 m", 6, "19.90"),
        ("LED work light", "30 W", 5, "39.00"),
        ("Tool box", "steel 50 cm", 3, "45.00"),
        ("Spirit level", "60 cm", 6, "17.80"),
        ("Tape measure", "8 m", 12, "9.20"),
        ("Utility knife", "18 mm", 15, "4.60"),
        ("Spare blades", "(10 pcs)", 30, "2.40"),
        ("Silicone", "white 310 ml", 40, "4.35"),
        ("Caulking gun", "heavy duty", 6, "12.75"),
        ("Sandpaper", "P120 (50 sheets)", 8, "14.20"),
        ("Work bench", "foldable", 2, "89.00"),
        ("Ladder", "3-step aluminium", 3, "64.50"),
        ("Wheelbarrow", "100 l", 1, "119.00"),
        ("Pallet delivery", "Zone 2", 1, "85.00"),
    ]
]


def _multipage() -> Doc:
    day = date(2026, 2, 17)
    number, vendor, currency = "INV-2026-00418", "Harlow Fasteners Ltd", "GBP"
    rows, net = item_rows(MULTI_ITEMS)
    vat = fmt.cents(net * Decimal("0.20"))
    money = lambda v: fmt.money(v, currency, "£{n}", (",", "."))  # noqa: E731
    widths = (10, 92, 20, 28, 30)

    def header(pdf: FPDF) -> None:
        set_font(pdf, "B", 9)
        cell_row(
            pdf,
            [
                (w, t, "L" if i in (0, 1) else "R")
                for i, (w, t) in enumerate(
                    zip(widths, ("#", "Description", "Qty", "Unit price", "Amount"), strict=True)
                )
            ],
            7,
            "B",
        )
        set_font(pdf, "", 9)

    def draw(pdf: FPDF) -> None:
        pages = 2
        pdf.add_page()
        set_font(pdf, "B", 18)
        line(pdf, vendor, 9)
        set_font(pdf, "", 9)
        line(pdf, "Unit 7, Canal Side Industrial Estate, Birmingham B6 7AA", 5)
        line(pdf, "VAT Reg No: GB 284 1193 07", 5)
        pdf.ln(6)
        set_font(pdf, "B", 14)
        line(pdf, "INVOICE", 8)
        set_font(pdf, "", 10)
        for label, value in (
            ("Invoice No:", number),
            ("Invoice Date:", "17/02/2026"),
            ("Your Order:", "PO-77120"),
            ("Terms:", "30 days net"),
        ):
            cell_row(pdf, [(35, label, "L"), (60, value, "L")], 5.5)
        pdf.ln(3)
        line(pdf, "Invoice to: Brookfield Building Services, 14 Mill Road, Coventry CV1 2GH", 5.5)
        pdf.ln(4)
        header(pdf)
        carried = Decimal("0.00")
        for pos, row in enumerate(rows, 1):
            if pdf.get_y() > 255:
                set_font(pdf, "", 9)
                cell_row(pdf, [(150, "Carried forward", "R"), (30, money(carried), "R")], 6)
                pdf.set_y(-20)
                line(pdf, f"Page {pdf.page_no()} of {pages}", 5, align="C")
                pdf.add_page()
                set_font(pdf, "", 9)
                line(pdf, f"{vendor} - Invoice {number} (continued)", 6)
                cell_row(pdf, [(150, "Brought forward", "R"), (30, money(carried), "R")], 6)
                header(pdf)
            carried += Decimal(str(row["amount"]))
            cell_row(
                pdf,
                [
                    (widths[0], str(pos), "L"),
                    (widths[1], row["description"], "L"),
                    (widths[2], str(int(row["quantity"])), "R"),
                    (widths[3], money(Decimal(str(row["unit_price"]))), "R"),
                    (widths[4], money(Decimal(str(row["amount"]))), "R"),
                ],
                6,
            )
        pdf.ln(3)
        cell_row(pdf, [(150, "Net total", "R"), (30, money(net), "R")], 6)
        cell_row(pdf, [(150, "VAT 20%", "R"), (30, money(vat), "R")], 6)
        set_font(pdf, "B", 11)
        cell_row(pdf, [(150, "Total due", "R"), (30, money(net + vat), "R")], 7)
        set_font(pdf, "", 8)
        pdf.set_y(-20)
        line(pdf, f"Page {pdf.page_no()} of {pages}", 5, align="C")

    return answer_doc(
        "multipage-en",
        "en",
        "multi-page table, carried forward",
        "invoice",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(net + vat),
        currency=currency,
        line_items=rows,
        plan=pdf_writer("sans", day, draw),
    )


# --------------------------------------------------------------------------- two columns


def _sidebar() -> Doc:
    day = date(2026, 5, 4)
    number, vendor = "2026-0193", "Studio Nordlicht GmbH"
    items: list[Item] = [
        ("Logo-Entwicklung", 1, "1450.00"),
        ("Corporate Design Manual", 1, "2200.00"),
        ("Fotoshooting (Tagessatz)", 2, "980.00"),
    ]
    rows, net = item_rows(items)
    vat = fmt.cents(net * Decimal("0.19"))
    num = lambda v: fmt.number(v, (".", ","))  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        # left sidebar: the vendor's details, drawn first (read first by pypdf)
        pdf.set_fill_color(235, 238, 242)
        pdf.rect(0, 0, 62, pdf.h, style="F")
        pdf.set_xy(8, 20)
        set_font(pdf, "B", 10)
        pdf.cell(50, 6, vendor, new_x="LMARGIN", new_y="NEXT")
        set_font(pdf, "", 8)
        for text in (
            "",
            "Kastanienallee 12",
            "10435 Berlin",
            "",
            "Tel. 030 4402 118",
            "hallo@nordlicht.example",
            "",
            "USt-IdNr. DE318 224 551",
            "",
            "Berliner Sparkasse",
            "IBAN DE44 1005 0000 0190",
            "2274 11",
            "",
            "Geschäftsführung:",
            "Jana Lindqvist",
        ):
            pdf.set_x(8)
            pdf.cell(50, 4.5, text, new_x="LMARGIN", new_y="NEXT")
        # right column: the invoice
        x = 72
        pdf.set_xy(x, 20)
        set_font(pdf, "B", 20)
        pdf.cell(0, 10, "Rechnung", new_x="LMARGIN", new_y="NEXT")
        set_font(pdf, "", 10)
        for text in (
            "Brauhaus am See GmbH & Co. KG",
            "z. Hd. Herrn Ostermann",
            "Seeweg 3",
            "14469 Potsdam",
        ):
            line(pdf, text, 5, x=x)
        pdf.ln(5)
        for label, value in (
            ("Rechnungsnummer", number),
            ("Rechnungsdatum", "04.05.2026"),
            ("Leistungszeitraum", "März - April 2026"),
            ("Kundennummer", "K-1044"),
        ):
            cell_row(pdf, [(42, label, "L"), (60, value, "L")], 5.5, x=x)
        pdf.ln(5)
        set_font(pdf, "B", 9)
        cell_row(
            pdf,
            [(70, "Leistung", "L"), (15, "Anz.", "R"), (25, "Preis", "R"), (25, "Betrag", "R")],
            7,
            "B",
            x=x,
        )
        set_font(pdf, "", 9)
        for row in rows:
            cell_row(
                pdf,
                [
                    (70, row["description"], "L"),
                    (15, str(int(row["quantity"])), "R"),
                    (25, num(Decimal(str(row["unit_price"]))), "R"),
                    (25, num(Decimal(str(row["amount"]))), "R"),
                ],
                6,
                x=x,
            )
        pdf.ln(3)
        cell_row(pdf, [(110, "Summe netto", "R"), (25, num(net), "R")], 6, x=x)
        cell_row(pdf, [(110, "zzgl. 19 % USt.", "R"), (25, num(vat), "R")], 6, x=x)
        set_font(pdf, "B", 10)
        cell_row(pdf, [(110, "Rechnungsbetrag EUR", "R"), (25, num(net + vat), "R")], 7, x=x)
        set_font(pdf, "", 9)
        pdf.ln(6)
        line(pdf, "Bitte überweisen Sie den Betrag innerhalb von 14 Tagen.", 5, x=x)

    return answer_doc(
        "two-column-de",
        "de",
        "sidebar + main column",
        "invoice",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(net + vat),
        currency="EUR",
        line_items=rows,
        plan=pdf_writer("sans", day, draw),
    )


def documents() -> list[Doc]:
    """The real-world-like set: invoices first, then the documents that must be refused."""
    from tests.corpus.realworld_notes import credit_note_de, credit_note_en, till_receipt
    from tests.corpus.realworld_other import not_invoices
    from tests.corpus.realworld_vat import retention_es, reverse_charge_nl, vat_breakdown

    return [
        _multipage(),
        _sidebar(),
        credit_note_en(),
        credit_note_de(),
        vat_breakdown("de"),
        vat_breakdown("fr"),
        retention_es(),
        reverse_charge_nl(),
        till_receipt(),
        *not_invoices(),
    ]
