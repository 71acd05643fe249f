"""Invoice concepts on wordings no label list names: labels composed from their parts,
table-form headers with labels the lexicon lacks, column headers with abbreviations,
qualifiers and slashes, money and dates in more notations, and rows whose text starts
with a label's word.

Every document here is made up for these tests (not taken from any generated corpus)."""

from __future__ import annotations

import pytest

from openpal.steps.invoice_candidates import _date_spans, find_amounts, find_dates
from openpal.steps.invoice_columns import find_header
from openpal.steps.invoice_document import extract_document
from openpal.steps.invoice_grid import align
from openpal.steps.invoice_lexicon import find_labels

SCHEMA = {
    "type": "object",
    "required": ["invoice_date", "total"],
    "properties": {
        "invoice_number": {"type": "string", "x-concept": "invoice_number"},
        "invoice_date": {"type": "string", "x-concept": "invoice_date"},
        "vendor": {"type": "string", "x-concept": "vendor"},
        "total": {"type": "number", "x-concept": "total"},
        "currency": {"type": "string", "x-concept": "currency"},
        "line_items": {
            "type": "array",
            "x-concept": "line_items",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "quantity": {"type": "number"},
                    "unit_price": {"type": "number"},
                    "amount": {"type": "number"},
                },
            },
        },
    },
}


def _concept(label: str) -> str | None:
    found = find_labels(f"{label}: 4711")
    return found[0].concept if found and found[0].start == 0 else None


@pytest.mark.parametrize(
    ("label", "concept"),
    [
        ("Rg.-Nr.", "invoice_number"),
        ("Beleg-Nummer", "invoice_number"),
        ("Dokumentnummer", "invoice_number"),
        ("N° de pièce", "invoice_number"),
        ("Núm. factura", "invoice_number"),
        ("Nummer factuur", "invoice_number"),
        ("Our Invoice No.", "invoice_number"),
        ("Serie y número", "invoice_number"),
        ("Rg.-Datum", "invoice_date"),
        ("Datum der Rechnung", "invoice_date"),
        ("Fecha expedición", "invoice_date"),
        ("Date d'émission", "invoice_date"),
        ("Totaal exclusief btw", "subtotal"),
        ("Total sin IVA", "subtotal"),
        ("Total (excl. VAT)", "subtotal"),
        ("Summe inkl. MwSt.", "total"),
        ("Total IVA incluido", "total"),
        ("I.V.A. 21%", "tax"),
        ("Fälligkeit", "due_date"),
    ],
)
def test_labels_composed_from_their_parts(label, concept):
    assert _concept(label) == concept


def test_a_number_word_glued_to_an_unknown_word_is_no_label():
    assert _concept("Kd.-Nr.") is None  # a customer number the lexicon does not know
    assert _concept("Customer Reference Bill") != "invoice_number"  # English: "Bill No."


def test_a_table_form_header_with_labels_the_lexicon_lacks():
    columns = align(
        "Leistungsdatum Fälligkeit Debitor Rg.-Datum",
        "26.11.2026 27.12.2026 247609 17.12.2026",
        _date_spans,
    )
    assert columns is not None
    named = {concept: value for concept, value, _ in columns if concept}
    assert named["invoice_date"] == "17.12.2026"
    # "Date prévue de livraison" is one column (a date the lexicon does not know), not a
    # "Date" and three more words
    columns = align("N° de pièce Date prévue de livraison", "FC308875 18/10/2026", _date_spans)
    assert columns == [("invoice_number", "FC308875", False), (None, "18/10/2026", False)]


@pytest.mark.parametrize(
    ("header", "roles"),
    [
        ("Lfd. Nr. Tätigkeit Stück Einzelpr. Betrag netto", "pdqua"),
        ("Désignation des prestations Nb PU HT Total ligne", "dqua"),
        ("Item/Service Hrs/Qty Rate (USD) Amount (net)", "dqua"),
        ("Line # SKU # Goods / Services No. of Items Unit Price Total", "pcdqua"),
        ("Artikel Artikelbezeichnung Einheiten E-Preis netto Gesamtpreis", "cdqua"),
        ("Code Produit Prix total", "cda"),
        ("Omschrijving Aantal Prijs excl. btw Bedrag excl. btw", "dqua"),
    ],
)
def test_column_headers_in_many_wordings(header, roles):
    letters = {"pos": "p", "code": "c", "description": "d", "quantity": "q"}
    letters |= {"unit_price": "u", "amount": "a"}
    assert "".join(letters[r] for r in find_header(header) or []) == roles


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Total €1\u202f234,50", 1234.50),
        ("Total 1 234.50 €", 1234.50),
        ("Total CHF262.29", 262.29),
        ("Total 1'234.50 CHF", 1234.50),
    ],
)
def test_money_in_more_notations(text, value):
    assert [a.value for a in find_amounts(text, spaced=True) if a.money][-1] == value


@pytest.mark.parametrize(
    "text", ["14.Mrz.2026", "14/mar/2026", "14 févr. 2026", "29 décembre 2025", "1 de enero 2026"]
)
def test_dates_with_month_names_in_more_notations(text):
    assert find_dates(text)[0][0] in ("2026-03-14", "2026-02-14", "2025-12-29", "2026-01-01")


def test_items_whose_text_starts_with_a_label_word_and_notes_under_them():
    text = """Harper & Lane Consulting Ltd
INVOICE
Invoice Reference Number
INV-38060
Date of Invoice
14-Jan-2026
# Item/Service Hrs/Qty Rate (USD) Line Total (USD)
1 Tax return preparation 2 150.00 300.00
From 1 to 31 March
2 Total station rental 1 75.00 75.00
Customer: site North
Net Value: $375.00
VAT at 20%: $75.00
Amount Owing: $450.00
"""
    got = extract_document(text, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("INV-38060", "2026-01-14")
    assert (got["vendor"], got["total"], got["currency"]) == (
        "Harper & Lane Consulting Ltd",
        450.0,
        "USD",
    )
    assert [r["description"] for r in got["line_items"]] == [
        "Tax return preparation From 1 to 31 March",
        "Total station rental Customer: site North",
    ]


def test_a_labelled_sum_that_is_an_item_gives_way_to_net_plus_tax():
    text = """Construcciones Peña S.L.
FACTURA
Núm. FV-2026-1073
Fecha 10/01/2026
Descripción Uds. Precio (€) Importe
Total de horas de soporte 4 337,51 1 350,04
Neto de portes 1 1 266,39 1 266,39
Total sin IVA 2 616,43 €
IVA 21% 549,45 €
Líquido a pagar 3 165,88 €
"""
    got = extract_document(text, SCHEMA)
    assert got["total"] == 3165.88
    assert len(got["line_items"]) == 2


@pytest.mark.parametrize(
    ("letterhead", "vendor"),
    [
        ("Total Energies SE", "Total Energies SE"),  # a name that starts with a label's word
        ("INVOICE Data Systems GmbH", "Data Systems GmbH"),
        ("From: Payment Solutions AG", "Payment Solutions AG"),
        ("3M Deutschland GmbH", "3M Deutschland GmbH"),  # a name may start with a digit
        ("Bill's Plumbing LLC", "Bill's Plumbing LLC"),
        ("Supplier Acme Trading Ltd", "Acme Trading Ltd"),  # a label without its ":"
    ],
)
def test_vendor_names_that_hold_a_label_word(letterhead, vendor):
    text = f"{letterhead}\nHigh Street 12\nInvoice No: INV-1\nDate: 14/03/2026\nTotal: 100.00 GBP\n"
    assert extract_document(text, SCHEMA)["vendor"] == vendor
