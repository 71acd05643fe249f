"""Real-world-like credit notes and a till receipt (see tests/corpus/realworld.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF

from tests.corpus import fmt
from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.model import Doc
from tests.corpus.realworld_kit import Item, answer_doc, item_rows, pdf_writer

__all__ = ["credit_note_de", "credit_note_en", "till_receipt"]


# --------------------------------------------------------------------------- credit notes


def credit_note_en() -> Doc:
    day = date(2026, 3, 9)
    number, vendor = "CN-00231", "Brightwater Office Supplies Ltd"
    items: list[Item] = [
        ("Returned: Ergonomic chair (damaged)", 2, "189.00"),
        ("Delivery charge refund", 1, "25.00"),
    ]
    rows, net = item_rows(items, sign=-1)
    vat = fmt.cents(net * Decimal("0.20"))
    money = lambda v: "-£" + fmt.number(abs(v), (",", "."))  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        set_font(pdf, "B", 16)
        cell_row(pdf, [(110, vendor, "L"), (0, "CREDIT NOTE", "R")], 9)
        set_font(pdf, "", 9)
        line(pdf, "42 Wharf Street, Bristol BS1 5QD  ·  VAT GB 771 2045 18", 5)
        pdf.ln(6)
        set_font(pdf, "", 10)
        for label, value in (
            ("Credit Note No.", number),
            ("Date", "9 March 2026"),
            ("Original invoice", "INV-2026-1187 of 12 February 2026"),
            ("Customer", "Harrison & Webb Solicitors"),
        ):
            cell_row(pdf, [(40, label, "L"), (100, value, "L")], 6)
        pdf.ln(5)
        set_font(pdf, "B", 9)
        cell_row(
            pdf,
            [
                (100, "Description", "L"),
                (15, "Qty", "R"),
                (30, "Unit price", "R"),
                (35, "Amount", "R"),
            ],
            7,
            1,
        )
        set_font(pdf, "", 9)
        for row in rows:
            cell_row(
                pdf,
                [
                    (100, row["description"], "L"),
                    (15, str(int(row["quantity"])), "R"),
                    (30, money(Decimal(str(row["unit_price"]))), "R"),
                    (35, money(Decimal(str(row["amount"]))), "R"),
                ],
                7,
                1,
            )
        pdf.ln(3)
        cell_row(pdf, [(145, "Net credit", "R"), (35, money(net), "R")], 6)
        cell_row(pdf, [(145, "VAT 20%", "R"), (35, money(vat), "R")], 6)
        set_font(pdf, "B", 11)
        cell_row(pdf, [(145, "Total credit", "R"), (35, money(net + vat), "R")], 7)
        set_font(pdf, "", 9)
        pdf.ln(6)
        line(pdf, "This amount will be refunded to your account within 5 working days.", 5)

    total = -(net + vat)
    return answer_doc(
        "credit-note-en",
        "en",
        "credit note, amounts printed with a minus",
        "credit_note",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(total),
        currency="GBP",
        line_items=rows,
        plan=pdf_writer("serif", day, draw),
    )


def credit_note_de() -> Doc:
    day = date(2025, 11, 28)
    number, vendor = "GS-2025-0077", "Elektro Brandl GmbH"
    items: list[Item] = [
        ("Gutschrift Rückgabe Wallbox 11 kW", 1, "849.00"),
        ("Gutschrift Montagepauschale", 1, "150.00"),
    ]
    rows, net = item_rows(items, sign=-1)
    vat = fmt.cents(net * Decimal("0.19"))
    num = lambda v: fmt.number(abs(v), (".", ",")) + " €"  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        set_font(pdf, "B", 15)
        line(pdf, vendor, 8)
        set_font(pdf, "", 8.5)
        line(pdf, "Gewerbering 5 · 93047 Regensburg · info@brandl.example", 4.5)
        pdf.ln(10)
        set_font(pdf, "", 10)
        for text in ("Frau", "Sabine Hartl", "Ahornweg 17", "93053 Regensburg"):
            line(pdf, text, 5)
        pdf.ln(8)
        set_font(pdf, "B", 14)
        line(pdf, "Gutschrift", 8)
        set_font(pdf, "", 10)
        line(pdf, f"Gutschrift-Nr.: {number}", 5.5)
        line(pdf, "Datum: 28.11.2025", 5.5)
        line(pdf, "zu Rechnung RE-2025-1432 vom 03.11.2025", 5.5)
        pdf.ln(5)
        set_font(pdf, "B", 9)
        cell_row(
            pdf,
            [
                (100, "Bezeichnung", "L"),
                (20, "Menge", "R"),
                (30, "Einzelpreis", "R"),
                (30, "Betrag", "R"),
            ],
            7,
            "B",
        )
        set_font(pdf, "", 9)
        for row in rows:
            cell_row(
                pdf,
                [
                    (100, row["description"], "L"),
                    (20, str(int(row["quantity"])), "R"),
                    (30, num(Decimal(str(row["unit_price"]))), "R"),
                    (30, num(Decimal(str(row["amount"]))), "R"),
                ],
                6,
            )
        pdf.ln(3)
        cell_row(pdf, [(150, "Nettobetrag", "R"), (30, num(net), "R")], 6)
        cell_row(pdf, [(150, "USt. 19 %", "R"), (30, num(vat), "R")], 6)
        set_font(pdf, "B", 10)
        cell_row(pdf, [(150, "Gutschriftsbetrag", "R"), (30, num(net + vat), "R")], 7)
        set_font(pdf, "", 9)
        pdf.ln(6)
        line(pdf, "Der Betrag wird Ihrem Konto DE12 7505 0000 0000 4471 10 gutgeschrieben.", 5)

    return answer_doc(
        "credit-note-de",
        "de",
        "Gutschrift, amounts printed without a minus",
        "credit_note",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=-float(net + vat),
        currency="EUR",
        line_items=rows,
        plan=pdf_writer("sans", day, draw),
    )


# --------------------------------------------------------------------------- till receipt


def till_receipt() -> Doc:
    day = date(2026, 4, 11)
    number, vendor = "0417-2281", "FreshWay Market"
    lines: list[Item] = [
        ("Semi-skimmed milk 2L", 1, "1.45"),
        ("Sourdough loaf", 1, "2.80"),
        ("Free range eggs x12", 2, "3.10"),
        ("Bananas loose", 1, "0.98"),
        ("Cheddar mature 400g", 1, "4.25"),
        ("Sparkling water 6x1.5L", 1, "3.60"),
        ("Dish soap 500ml", 3, "1.20"),
    ]
    rows, total = item_rows(lines)
    for row in rows:  # single-unit lines print only the amount
        if row["quantity"] == 1:
            row["quantity"] = row["unit_price"] = None
    cash = Decimal("40.00")

    def draw(pdf: FPDF) -> None:
        pdf.add_page(format=(80, 200))
        pdf.set_margins(5, 5, 5)
        pdf.set_xy(5, 6)
        set_font(pdf, "B", 11)
        line(pdf, vendor.upper(), 6, align="C")
        set_font(pdf, "", 7.5)
        for text in ("Store 0417 - 18 Station Road", "Reading RG1 1LX", "VAT No. GB 392 5521 04"):
            line(pdf, text, 3.6, align="C")
        pdf.ln(2)
        line(pdf, f"11/04/2026 18:42   Till 3   Receipt {number}", 4)
        line(pdf, "-" * 40, 4)
        for row in rows:
            amount = fmt.number(Decimal(str(row["amount"])), (",", "."))
            cell_row(pdf, [(52, row["description"], "L"), (18, amount, "R")], 4)
            if row["quantity"]:
                unit = fmt.number(Decimal(str(row["unit_price"])), (",", "."))
                line(pdf, f"   {int(row['quantity'])} x {unit}", 3.6)
        line(pdf, "-" * 40, 4)
        set_font(pdf, "B", 9)
        cell_row(pdf, [(45, "TOTAL", "L"), (25, f"£{fmt.number(total, (',', '.'))}", "R")], 5)
        set_font(pdf, "", 7.5)
        cell_row(pdf, [(45, "CASH", "L"), (25, f"£{fmt.number(cash, (',', '.'))}", "R")], 4)
        cell_row(
            pdf, [(45, "CHANGE", "L"), (25, f"£{fmt.number(cash - total, (',', '.'))}", "R")], 4
        )
        pdf.ln(2)
        line(pdf, f"{len(rows)} items   Vatable amount incl. 20% VAT", 3.6)
        line(pdf, "Clubcard points earned: 27", 3.6)
        line(pdf, "Thank you for shopping with us!", 4, align="C")

    return answer_doc(
        "till-receipt-en",
        "en",
        "80 mm till receipt",
        "receipt",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(total),
        currency="GBP",
        line_items=rows,
        plan=pdf_writer("mono", day, draw),
    )
