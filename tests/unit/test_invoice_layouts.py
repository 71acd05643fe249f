"""Invoices whose page is arranged otherwise (round 3, tests/corpus/layouts_wide4.py): totals
printed as a strip of labels over a strip of values, totals with dotted leaders, a web
shop's "2 x 45.00" under each item, items whose text starts with a sum's word, a company's
name and address run together on one line at the page's foot.

Every document here is made up for these tests (not taken from any generated corpus)."""

from __future__ import annotations

import pytest

from openpal.steps.invoice_document import extract_document
from openpal.steps.invoice_strips import unstrip
from openpal.steps.invoice_vendor import _name
from tests.unit.test_invoice_generalising import SCHEMA


def _items(result: dict) -> list[tuple]:
    return [
        (i["description"], i.get("quantity"), i.get("unit_price"), i["amount"])
        for i in result["line_items"]
    ]


@pytest.mark.parametrize(
    ("labels", "values", "expected"),
    [
        (
            "Net amount VAT 8% Balance due (USD)",
            "$8'166.60 $653.33 $8'819.93",
            ["Net amount $ 8'166.60", "VAT 8% $ 653.33", "Balance due (USD) $ 8'819.93"],
        ),
        (  # an unknown column's words between two labels, thousands split by spaces
            "Zwischensumme netto zzgl. 19 % USt Summe inkl. MwSt.",
            "15 299,37 Fr. 2 906,88 Fr. 18 206,25 Fr.",
            [
                "Zwischensumme netto 15 299,37 Fr.",
                "zzgl. 19 % USt 2 906,88 Fr.",
                "Summe inkl. MwSt. 18 206,25 Fr.",
            ],
        ),
        (  # a word the lexicon lacks first; the code before and after each sum
            "Total before tax GST (20%) Total due",
            "AUD 76.14 AUD AUD 15.23 AUD AUD 91.37 AUD",
            [
                "Total before tax AUD 76.14 AUD",
                "GST (20%) AUD 15.23 AUD",
                "Total due AUD 91.37 AUD",
            ],
        ),
        (
            "Nettowarenwert MwSt.-Betrag 7% Gesamt (brutto)",
            "583,98 € 40,88 € 624,86 €",
            ["Nettowarenwert 583,98 €", "MwSt.-Betrag 7% 40,88 €", "Gesamt (brutto) 624,86 €"],
        ),
    ],
)
def test_a_totals_strip_becomes_one_line_per_sum(labels, values, expected):
    assert unstrip(["x", labels, values, "y"]) == ["x", *expected, "y"]


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        ("Subtotal Tax Total", "1.00 2.00"),  # fewer sums than labels
        ("Invoice date Due date Total", "01.03.2026 15.03.2026 100.00"),  # dates: a header row
        ("Subtotal Total", "100.00 Bank transfer 120.00"),  # words that are no currency
    ],
)
def test_what_is_no_totals_strip_stays(labels, values):
    assert unstrip([labels, values]) == [labels, values]


def test_the_totals_strip_gives_the_total():
    text = """Acme Tools Ltd
Invoice No: INV-0042
Date: 14/03/2026
Description Amount
Logo design 100.00
Website 50.00
Subtotal VAT 20% Total due
150.00 GBP 30.00 GBP 180.00 GBP
Acme Tools Ltd · Company No. 0123 · IBAN GB12 3456 7890
"""
    result = extract_document(text, SCHEMA)
    assert result["total"] == 180.0
    assert _items(result) == [("Logo design", None, None, 100.0), ("Website", None, None, 50.0)]


def test_quantity_and_price_under_each_item():
    times = "\u00d7"  # the multiplication sign
    text = f"""Acme Tools Ltd
Invoice No: INV-0042
Date: 14/03/2026
Description Amount
Netto-Planung Lager 182.40
Kunde: Filiale Nord
7.5 {times} 24.32
Total de horas de soporte 300.00
2 x 150.00
Gift wrap 7.06
1 {times} $7.06
Subtotal ........................ 489.46
Total ........................... 489.46
"""
    result = extract_document(text, SCHEMA)
    assert _items(result) == [
        ("Netto-Planung Lager Kunde: Filiale Nord", 7.5, 24.32, 182.4),
        ("Total de horas de soporte", 2.0, 150.0, 300.0),
        ("Gift wrap", 1.0, 7.06, 7.06),
    ]
    assert result["total"] == 489.46


def test_a_line_that_does_not_make_the_amount_is_no_quantity():
    text = """Acme Tools Ltd
Invoice No: INV-0042
Date: 14/03/2026
Description Amount
Cable 3 x 2.5 mm 40.00
3 x 2.50
Total: 40.00 GBP
"""
    result = extract_document(text, SCHEMA)
    assert _items(result)[0][1:] == (None, None, 40.0)


def test_unit_and_vat_rate_columns_and_a_dotted_total():
    text = """Acme Tools Ltd
Invoice No: INV-0042
Date: 14/03/2026
# Code Description Qty Unit Price VAT Amount
1 S27979 Gas standing charge 2.5 pce 998.93 0 % 2,497.33
2 S59732 Shipping 1 pce 1,869.13 0 % 1,869.13
Total due ................................................ 4,366.46
Acme Tools Ltd · VAT GB123
"""
    result = extract_document(text, SCHEMA)
    assert _items(result) == [
        ("Gas standing charge", 2.5, 998.93, 2497.33),
        ("Shipping", 1.0, 1869.13, 1869.13),
    ]
    assert result["total"] == 4366.46


def test_a_total_over_its_value_ends_the_table():
    text = """Acme Tools Ltd
Invoice No: INV-0042
Date: 14/03/2026
Qty Description Price Amount
2 Standard delivery 78.44 156.88
Meter 00417 reading
Total
£ 156.88
"""
    result = extract_document(text, SCHEMA)
    assert _items(result) == [("Standard delivery Meter 00417 reading", 2.0, 78.44, 156.88)]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Billing Solutions Corp. Dock Road 151 Austin, TX 78701", "Billing Solutions Corp."),
        (
            "Dr. Weiß Consulting GmbH & Co. KG Bahnhofstraße 34 70173 Stuttgart",
            "Dr. Weiß Consulting GmbH & Co. KG",
        ),
        (
            "Summe & Partner UG (haftungsbeschränkt) Hauptstr. 5 10115 Berlin",
            "Summe & Partner UG (haftungsbeschränkt)",
        ),
        ("Bakkerij Smit C.V. Stationsweg 101 2511 BT Den Haag", "Bakkerij Smit C.V."),
        ("Müller e. K. Hafenweg 3 Köln", "Müller e. K."),
        ("Acme GmbH", "Acme GmbH"),
        ("3M Deutschland GmbH", "3M Deutschland GmbH"),
    ],
)
def test_a_name_runs_on_into_its_address(line, name):
    assert _name(line) == name


def test_the_company_at_the_foot_of_the_page():
    text = """Invoice
Invoice Ninja Inc. High Street 53 London EC2V 6AA
Invoice date ........................... 12-Feb-2025
Bill number ............................ 15924198
Customer
Tyrell Corporation
Mill Lane 132
Product Amount
Logo design 18.80
Total due 18.80 USD
Invoice Ninja Inc. · EIN 12-3456789
"""
    result = extract_document(text, SCHEMA)
    assert result["vendor"] == "Invoice Ninja Inc."
    assert result["invoice_number"] == "15924198"
