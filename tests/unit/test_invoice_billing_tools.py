"""Invoices worded as billing tools and small firms print them: vendor names that begin
with a label's or a title's word, "Pay to"/"Please pay to" blocks, German and Dutch legal
forms, "Account #" and "Livré le" decoys, "Please pay within 30 days" (no sum), "Amount
paid" as the sum that adds up, a table's header over a single row (no header of fields),
currency codes beside each price.

Every document here is made up for these tests (not taken from any generated corpus)."""

from __future__ import annotations

import pytest

from openpal.steps.invoice_document import extract_document
from openpal.steps.invoice_lexicon import find_labels
from tests.unit.test_invoice_generalising import SCHEMA


def _doc(head: str, footer: str = "") -> dict:
    text = f"""{head}
High Street 12
Bristol BS1 4RJ
Invoice No: INV-0042
Date: 14/03/2026
Description Qty Rate Amount
Logo design 2 50.00 100.00
Total: 100.00 GBP
{footer}
"""
    return extract_document(text, SCHEMA)


@pytest.mark.parametrize(
    ("head", "footer", "vendor"),
    [
        # the longer name printed twice is the name: a title's or a label's word starts it
        ("Invoice Ninja Ltd", "Invoice Ninja Ltd · Company No. 0123", "Invoice Ninja Ltd"),
        ("INVOICE Supplier Direct Ltd", "Supplier Direct Ltd · VAT GB123", "Supplier Direct Ltd"),
        (
            "Rechnung Direkt GmbH & Co. KG",
            "Rechnung Direkt GmbH & Co. KG",
            "Rechnung Direkt GmbH & Co. KG",
        ),
        # printed once with the title before it, and alone in the footer: the title is no part
        ("INVOICE Data Systems GmbH", "Data Systems GmbH · HRB 1234", "Data Systems GmbH"),
        # a vendor's label without a colon, then a company with its legal form
        ("Pay to Customer First Services LLC", "", "Customer First Services LLC"),
        ("Please pay to Total Gas & Power LLC", "", "Total Gas & Power LLC"),
        ("Make payable to:  Payment Partners Corp.", "", "Payment Partners Corp."),
        ("Company Amount Media Co.", "", "Amount Media Co."),
        (
            "Lieferant Summe & Partner UG (haftungsbeschränkt)",
            "",
            "Summe & Partner UG (haftungsbeschränkt)",
        ),
        ("Leverancier Factuur Direct N.V.", "", "Factuur Direct N.V."),
    ],
)
def test_vendor_names_that_begin_with_a_label_or_title_word(head, footer, vendor):
    assert _doc(head, footer)["vendor"] == vendor


@pytest.mark.parametrize(
    "name", ["Weber Elektro e.K.", "Schulz Technik e. K.", "Bakkerij Smit V.O.F."]
)
def test_legal_forms_of_sole_traders_and_partnerships(name):
    text = f"""INVOICE
Customer: Acme Corp
Total: 100.00 EUR
Invoice No: 7
Date: 14/03/2026
{name} · Hauptstraße 1 · IBAN DE00 1234
"""
    assert extract_document(text, SCHEMA)["vendor"] == name


@pytest.mark.parametrize(
    ("label", "concept"),
    [
        ("Account #", "customer_number"),
        ("Client #", "customer_number"),
        ("Livré le", "other_date"),
        ("Entregado el", "other_date"),
        ("Échéance le", "due_date"),
        ("Please pay within", "due_date"),
        ("Remit to", "vendor"),
        ("Base HT", "subtotal"),
        ("Albarán", "order_number"),
    ],
)
def test_decoy_labels_of_billing_tools(label, concept):
    found = find_labels(f"{label}: 12")
    assert found[0].concept == concept and found[0].start == 0


def test_terms_within_days_and_amount_paid_that_adds_up():
    text = """Payment Partners Corp.
INVOICE
Invoice Number 6234
Invoice Date 2025-12-20
Description Qty Unit Cost Total
Setup fee 1 $ 100.00 $ 100.00
Total before tax $ 100.00
VAT 10% $ 10.00
Amount paid $ 110.00
Please pay within 30 days (by 2026-01-19).
"""
    got = extract_document(text, SCHEMA)
    assert (got["total"], got["invoice_number"]) == (110.0, "6234")


def test_a_table_header_over_one_row_is_no_header_of_fields():
    text = """INVOICE Acme Services Co.
PO # Due date Reference
ORD-1152443 27-Jul-2026 2026-26134
Issue date Account #
20-Jul-2026 342388
# Quantity Product Unit Cost Amount
1 2 Logo design $ 100.00 $ 200.00
Amount due: $ 200.00
"""
    got = extract_document(text, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("2026-26134", "2026-07-20")
    assert [r["description"] for r in got["line_items"]] == ["Logo design"]


def test_currency_codes_beside_each_price_are_no_part_of_the_description():
    text = """Balance Fitness Corp.
Invoice
Invoice ID: 2766-7359 | Issued: 24-Feb-2025
No. Quantity Activity Unit Price Line Total
1 4 Copywriting (blog posts) CAD 6.89 CAD 27.56
Billing period Mar 1 - Mar 31
2 3 Shipping AUD 13.26 AUD 39.78
Total amount due: CAD 67.34
"""
    got = extract_document(text, SCHEMA)
    assert [r["description"] for r in got["line_items"]] == [
        "Copywriting (blog posts) Billing period Mar 1 - Mar 31",
        "Shipping",
    ]


def test_hours_discount_and_shipping_rows_of_a_table():
    text = """Acme Web Studio LLC
INVOICE
Invoice #: INV-0042
Invoice Date: March 14, 2026
Item Hours Rate Total
Website redesign 12 hrs $85.00 $1,020.00
Hosting setup 2 x $45.00 $90.00
Discount (10%) -$111.00
Shipping $15.00
Subtotal $1,014.00
Total $1,014.00
"""
    rows = extract_document(text, SCHEMA)["line_items"]
    assert [(r["description"], r.get("quantity"), r["amount"]) for r in rows] == [
        ("Website redesign", 12.0, 1020.0),
        ("Hosting setup", 2.0, 90.0),
        ("Discount (10%)", None, -111.0),  # a discount is below zero however it is printed
        ("Shipping", None, 15.0),
    ]


def test_a_till_receipts_quantity_lines_under_their_rows():
    text = """CORNER SHOP
12/04/2026 09:12   Till 2   Receipt 0012-5531
Whole milk 1L 1.10
Free range eggs x6 4.40
   2 x 2.20
Apples loose 1.35
TOTAL £6.85
CASH £10.00
"""
    rows = extract_document(text, SCHEMA)["line_items"]
    assert [(r["description"], r.get("quantity"), r.get("unit_price")) for r in rows] == [
        ("Whole milk 1L", None, None),
        ("Free range eggs x6", 2.0, 2.2),
        ("Apples loose", None, None),
    ]


def test_a_credit_notes_rows_printed_without_minus_signs_are_credited():
    text = """Elektro Muster GmbH
Gutschrift
Gutschrift-Nr.: GS-2026-0012
Datum: 02.03.2026
Bezeichnung Menge Einzelpreis Betrag
Rückgabe Ladekabel 2 25,00 € 50,00 €
Nettobetrag 50,00 €
USt. 19 % 9,50 €
Gutschriftsbetrag 59,50 €
"""
    got = extract_document(text, SCHEMA)
    assert got["total"] == -59.5
    assert [(r["unit_price"], r["amount"]) for r in got["line_items"]] == [(-25.0, -50.0)]


@pytest.mark.parametrize(
    "header",
    [
        "CONCEPTO PRECIO UNIDADES SUBTOTAL IVA TOTAL",
        "Désignation P.U. HT Qté Montant HT TVA Montant TTC",
    ],
)
def test_a_row_with_its_net_and_its_gross_sum_is_read_at_its_net(header):
    text = f"""Estudio Demo SL
Factura
Nº factura F260012
Fecha 14/03/2026
{header}
Diseño web 500,00€ 1 500,00€ 21% 605,00€
Hosting anual 120,00€ 1 120,00€ 21% 145,20€
BASE IMPONIBLE 620,00€
IVA 21% 130,20€
TOTAL 750,20€
"""
    rows = extract_document(text, SCHEMA)["line_items"]
    assert [(r["quantity"], r["unit_price"], r["amount"]) for r in rows] == [
        (1.0, 500.0, 500.0),
        (1.0, 120.0, 120.0),
    ]


def test_a_service_date_column_before_the_description():
    text = """Craig's Design and Landscaping Services
INVOICE
INVOICE # 1037
DATE 03/14/2026
DATE ACTIVITY QTY RATE AMOUNT
03/14/2026 Rock Fountain 1 275.00 275.00
03/15/2026 Pump 1 15.00 15.00
TOTAL 290.00
BALANCE DUE $290.00
"""
    rows = extract_document(text, SCHEMA)["line_items"]
    assert [(r["description"], r["amount"]) for r in rows] == [
        ("Rock Fountain", 275.0),
        ("Pump", 15.0),
    ]
