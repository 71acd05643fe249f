"""Invoice concepts of the `rules` provider: candidates by type, context scoring, line
items by header and by arithmetic, confidence, and refusal of what is not an invoice.

The documents here are made up for these tests (labels in several languages, label
above value, compact one-line headers, credit notes, receipts), not taken from the
generated corpus."""

from __future__ import annotations

import time

import pytest

from openpal.steps.base import StepContext
from openpal.steps.extract import ExtractionRefused, ExtractStep
from openpal.steps.extract_rules import extract_rules
from openpal.steps.invoice_candidates import find_amounts, find_dates, numeric_order
from openpal.steps.invoice_document import extract_document
from openpal.steps.invoice_kind import document_kind
from openpal.steps.invoice_lexicon import find_labels
from openpal.steps.invoice_table import find_header
from openpal.workflows.model import StepSpec

SCHEMA = {
    "type": "object",
    "required": ["invoice_date", "total"],
    "properties": {
        "invoice_number": {"type": "string", "x-concept": "invoice_number"},
        "invoice_date": {"type": "string", "format": "date", "x-concept": "invoice_date"},
        "vendor": {"type": "string", "x-concept": "vendor"},
        "total": {"type": "number", "x-concept": "total"},
        "currency": {"type": "string", "x-concept": "currency"},
        "kind": {"type": "string", "x-concept": "document_type"},
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

FRENCH = """SARL Dupont Frères
12 rue de la Paix, 75002 Paris
FACTURE
N° de facture : F-2026-042
Date : 3 mars 2026
Échéance : 2 avril 2026
Client : Société Martin SA
Désignation Qté Prix unitaire Montant HT
Conseil stratégique 2 450,00 900,00
Formation Excel 3 1 250,00 3 750,00
Total HT 4 650,00 €
TVA 20 % 930,00 €
Total TTC 5 580,00 €
"""
DUTCH_ABOVE = """Jansen Installatietechniek B.V.
Kerkstraat 5, 1012 AB Amsterdam
FACTUUR
Factuurnummer Factuurdatum Vervaldatum
F2026-0099 12-01-2026 11-02-2026
Omschrijving Aantal Bedrag
Installatie cv-ketel 1 1.250,00
volgens offerte 4471
Subtotaal € 1.250,00
BTW 21% € 262,50
Totaal € 1.512,50
"""
GERMAN_ONE_LINE = """Rechnung Nr. 2026-0815 vom 14.03.2026 | Lieferant: Bäckerei Roth GmbH | Kd 47
Brötchen 100 0,45 45,00
Kuchen 2 18,50 37,00
Summe: 82,00 EUR
"""
SPANISH = """Factura
Emisor: Talleres García S.L.
Número de factura: 2026/117
Fecha de emisión: 15/02/2026
Fecha de vencimiento: 17/03/2026
Pedido: PO-4471
Descripción Cantidad Precio Importe
Reparación motor 1 350,00 350,00
Base imponible 350,00
IVA 21% 73,50
Total a pagar 423,50 EUR
"""
CREDIT_NOTE = """Globex Ltd
CREDIT NOTE
Credit Note No: CN-2026-007
Date: 2026-06-01
Description Qty Unit price Amount
Returned goods 2 50.00 100.00
Total credit: 100.00 GBP
"""
PYTHON = """from fpdf import FPDF

def make_invoice(inv, path):
    pdf = FPDF()
    pdf.cell(0, 10, "INVOICE")
    pdf.cell(0, 10, f"Invoice Number: {inv.number}")
    pdf.cell(0, 10, f"Total: {inv.total:.2f} EUR")
    total = 35.70
    return pdf.output(path)
"""
LETTER = """Acme Tools GmbH
Industriestraße 12, 80331 München
München, 14.03.2026
Dear Mr Smith,
thank you for your visit last week. As discussed, we will send you our catalogue shortly.
We would be glad to welcome you again at our exhibition in Hamburg next spring, too.
Please do not hesitate to contact us if you have any questions about the total offer.
Kind regards,
Anna Müller
"""
STATEMENT = """Sparkasse Musterstadt
Kontoauszug Nr. 3/2026
Datum Buchungstext Betrag
01.03.2026 Miete -850,00
05.03.2026 Gehalt 2.400,00
Anfangssaldo 1.200,00 EUR
Endsaldo 2.750,00 EUR
"""
DELIVERY_NOTE = """Nordwind Logistik AG
Lieferschein
Lieferschein-Nr.: LS-2026-331
Datum: 02.04.2026
Pos. Artikel Menge
1 Schrauben M8 100
2 Muttern M8 100
"""
CV = """Curriculum Vitae
Jane Doe
Work experience
2019 - 2024 Senior Accountant, Globex Ltd
Education
2011 - 2015 BSc Economics, University of Leeds
Skills
Excel, SAP, invoicing
"""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# -- candidates ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("3 mars 2026", "2026-03-03"),
        ("14. März 2026", "2026-03-14"),
        ("3 de marzo de 2026", "2026-03-03"),
        ("12 januari 2026", "2026-01-12"),
        ("21 maggio 2026", "2026-05-21"),
        ("March 30, 2025", "2025-03-30"),
        ("14-Mar-26", "2026-03-14"),
        ("1er juillet 2026", "2026-07-01"),
        ("2026/03/14", "2026-03-14"),
        ("14.03.26", "2026-03-14"),
    ],
)
def test_dates_in_several_languages_and_notations(text, iso):
    assert [d for d, _, _ in find_dates(f"Date: {text} ")] == [iso]


def test_numeric_dates_are_read_month_first_only_when_the_document_says_so():
    assert not numeric_order("04/07/2026 and 13/07/2026")
    assert numeric_order("04/07/2026 and 12/31/2026")
    assert numeric_order("Date 04/07/2026 Total $12.00")  # dollars only: the US order
    assert not numeric_order("Date 04/07/2026 Total 12.00 EUR")
    # dollars, but read day first the dates are 30 days apart (month first 324)
    assert not numeric_order("Date 05/12/2025 Due 04/01/2026 Total $12.00")


def test_amounts_with_currency_sign_and_grouping():
    got = [(a.value, a.currency) for a in find_amounts("Total 1.234,50 € and CHF 1'234.50")]
    assert got == [(1234.5, "EUR"), (1234.5, "CHF")]
    assert [a.value for a in find_amounts("Refund (120.00) or -5.00")] == [-120.0, -5.0]
    assert [a.value for a in find_amounts("Total TTC 5 580,00 €", spaced=True)] == [5580.0]
    assert [a.currency for a in find_amounts("559,84 Fr.")] == ["CHF"]
    assert [a.currency for a in find_amounts("1.234,50 Euro, 12 Franken")] == ["EUR", "CHF"]
    assert find_amounts("VAT 20 % on 14.03.2026") == []  # a rate and a date are no sums


# -- lexicon ---------------------------------------------------------------------------
def _concepts(line: str) -> list[str]:
    return [label.concept for label in find_labels(line)]


def test_the_longest_label_wins_and_decoys_are_their_own_concepts():
    assert _concepts("Net total £39.86") == ["subtotal"]
    assert _concepts("Invoice date 22/04/2026") == ["invoice_date"]
    assert _concepts("Due Date: 2026-05-01") == ["due_date"]
    assert _concepts("Customer No.: 4711") == ["customer_number"]
    assert _concepts("N° de facture : F-1") == ["invoice_number"]
    assert _concepts("Factura N.º A-46927") == ["invoice_number"]


def test_weak_words_are_labels_only_where_a_label_stands():
    assert _concepts("No: A-1 | Date: 2026-08-17") == ["invoice_number", "invoice_date"]
    assert _concepts("Payment within 30 days, no questions asked") == ["other_amount"]
    assert _concepts("Van der Berg Installatietechniek N.V.") == []
    assert _concepts("Van: Mulder Media N.V.") == ["vendor"]


def test_table_headers_in_several_languages():
    assert find_header("Pos. Beschreibung Menge Einzelpreis Gesamt") == [
        "pos",
        "description",
        "quantity",
        "unit_price",
        "amount",
    ]
    assert find_header("Désignation Qté Prix unitaire Montant HT") == [
        "description",
        "quantity",
        "unit_price",
        "amount",
    ]
    assert find_header("Item Units Total") == ["description", "quantity", "amount"]
    assert find_header("Consulting services 2 450.00 900.00") is None


# -- whole documents -------------------------------------------------------------------
def test_french_invoice_with_spaced_thousands():
    got = extract_document(FRENCH, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("F-2026-042", "2026-03-03")
    assert (got["vendor"], got["total"], got["currency"]) == ("SARL Dupont Frères", 5580.0, "EUR")
    assert [r["description"] for r in got["line_items"]] == [
        "Conseil stratégique",
        "Formation Excel",
    ]
    assert got["line_items"][1] == {
        "description": "Formation Excel",
        "quantity": 3.0,
        "unit_price": 1250.0,
        "amount": 3750.0,
    }
    assert got["_confidence"]["total"] == 0.98  # labelled and adds up


def test_labels_above_values_and_a_continued_description():
    got = extract_document(DUTCH_ABOVE, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("F2026-0099", "2026-01-12")
    assert got["vendor"] == "Jansen Installatietechniek B.V."
    assert got["total"] == 1512.5
    assert got["line_items"] == [
        {
            "description": "Installatie cv-ketel volgens offerte 4471",
            "quantity": 1.0,
            "amount": 1250.0,
        }
    ]


def test_a_compact_one_line_header():
    got = extract_document(GERMAN_ONE_LINE, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("2026-0815", "2026-03-14")
    assert (got["vendor"], got["total"], got["currency"]) == ("Bäckerei Roth GmbH", 82.0, "EUR")
    assert len(got["line_items"]) == 2  # no header: rows found by quantity x price = amount


def test_decoys_are_not_taken():
    got = extract_document(SPANISH, SCHEMA)
    assert got["invoice_number"] == "2026/117"  # not the order number
    assert got["invoice_date"] == "2026-02-15"  # not the due date
    assert got["total"] == 423.5  # not the taxable base
    assert all(0.0 <= c <= 1.0 for c in got["_confidence"].values())


def test_a_credit_note_has_a_negative_total():
    got = extract_document(CREDIT_NOTE, SCHEMA)
    assert (got["kind"], got["total"], got["currency"]) == ("credit_note", -100.0, "GBP")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (PYTHON, "source code"),
        (LETTER, "a letter"),
        (STATEMENT, "statement"),
        (DELIVERY_NOTE, "delivery note"),
        (CV, "CV"),
        ("Meeting notes\nWe agreed to meet again next week.", "not an invoice"),
    ],
)
def test_what_is_not_an_invoice_is_refused(text, says):
    with pytest.raises(ExtractionRefused) as refused:
        extract_document(text, SCHEMA)
    assert says in refused.value.reason
    assert refused.value.fields == ["invoice_date", "total"]


def test_a_required_field_missing_or_unsure_is_refused_by_name():
    text = "INVOICE\nInvoice No: 17\nDate: 2026-01-05\nConsulting services, see attached"
    with pytest.raises(ExtractionRefused) as refused:
        extract_document(text, SCHEMA)
    assert "total" in refused.value.reason and refused.value.fields == ["total"]
    unsure = {**SCHEMA, "x-min-confidence": 0.9}
    text = "INVOICE 17\n2026-01-05\nWidget 2 5.00 10.00\nTotal 10.00 EUR"  # an unlabelled date
    with pytest.raises(ExtractionRefused) as refused:
        extract_document(text, unsure)
    assert "invoice_date (confidence 0.60)" in refused.value.reason
    assert refused.value.fields == ["invoice_date"]
    assert extract_document(text, SCHEMA)["invoice_date"] == "2026-01-05"


def test_document_kind_of_an_invoice_and_a_receipt():
    assert document_kind(_lines(FRENCH), True, 2).refusal is None
    receipt = ["Corner Café", "Receipt #8812", "Cappuccino 2 3.50 7.00", "TOTAL EUR 7.00"]
    assert document_kind(receipt, True, 1).kind == "receipt"


def test_schemas_without_concepts_are_read_by_their_labels_as_before():
    schema = {"type": "object", "properties": {"ref": {"type": "string", "x-labels": ["ref"]}}}
    assert extract_rules("Ref: R-7\nfrom fpdf import FPDF", schema) == {"ref": "R-7"}


def test_a_hostile_line_is_read_in_linear_time():
    hostile = "1." * 20000 + "\n" + "a1 " * 20000 + "\n" + "1 " * 300000
    text = "Invoice 1\nTotal 9.00 EUR\nDate 2026-01-01\n" + hostile
    started = time.monotonic()
    assert extract_document(text, SCHEMA)["total"] == 9.0
    assert time.monotonic() - started < 10


def test_a_row_of_labels_over_a_row_of_values_and_a_unit_column():
    text = """Kowalski Trading Sp. z o.o.
INVOICE
Invoice No. Date Customer No. Currency
KT-55120 28.02.2026 C-7781 EUR
Product Unit Qty Unit Cost Line Total
Toner black ea 2 64.00 128.00
Total 128.00
"""
    got = extract_document(text, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("KT-55120", "2026-02-28")
    assert got["line_items"] == [
        {"description": "Toner black", "quantity": 2, "unit_price": 64, "amount": 128}
    ]


def test_an_unknown_label_before_the_letterhead_name_is_dropped():
    text = "Émis par : Atelier Moreau SAS\nFacture n° 31\nDate : 17/01/2026\nTotal TTC 733,20 €"
    assert extract_document(text, SCHEMA)["vendor"] == "Atelier Moreau SAS"


def test_a_till_receipt_whose_lines_add_up_and_a_number_after_an_unknown_word():
    text = """SUPERMARKT FRISCH
Kassenbon
Milch 1,29
Brot 2,49
SUMME EUR 3,78
Transaktionsnummer 4471-B
14.03.2026 18:22
"""
    got = extract_document(text, SCHEMA)
    assert (got["kind"], got["total"], got["invoice_date"]) == ("receipt", 3.78, "2026-03-14")
    assert got["line_items"] == [
        {"description": "Milch", "amount": 1.29},
        {"description": "Brot", "amount": 2.49},
    ]
    assert got["invoice_number"] == "4471-B" and got["_confidence"]["invoice_number"] == 0.5


async def test_min_confidence_is_a_setting_of_ai_extract():
    step = ExtractStep()
    spec = StepSpec(name="s", type="ai.extract", with_={"text": "x", "schema": SCHEMA})
    assert step.validate(spec) == []
    bad = StepSpec(name="s", type="ai.extract", with_={**spec.with_, "min_confidence": 2})
    assert step.validate(bad) == [("min_confidence", "must be a number from 0 to 1")]
    text = "INVOICE 17\n2026-01-05\nWidget 2 5.00 10.00\nTotal 10.00 EUR"  # an unlabelled date
    ctx = StepContext("exec_t", "s", "wf")
    out = await step.run({"text": text, "schema": SCHEMA}, ctx)
    assert out["_confidence"]["invoice_date"] == 0.6
    with pytest.raises(ExtractionRefused, match=r"invoice_date \(confidence 0.60\)"):
        await step.run({"text": text, "schema": SCHEMA, "min_confidence": 0.7}, ctx)


def test_a_block_of_labels_beside_a_block_of_values():
    text = """Blue Harbor Trading Ltd
INVOICE
Invoice No:
Date:
Due:
BH-2207
10/03/2026
09/04/2026
Description Qty Price Amount
Dock fees 2 150.00 300.00
Subtotal
VAT 20%
Total
300.00
60.00
360.00 GBP
"""
    got = extract_document(text, SCHEMA)
    assert (got["invoice_number"], got["invoice_date"]) == ("BH-2207", "2026-03-10")
    assert (got["total"], got["currency"], got["_confidence"]["total"]) == (360.0, "GBP", 0.98)


def test_two_columns_merged_and_a_table_over_two_pages():
    text = """Acme Tools GmbH Rechnung an:
Industriestraße 12 Müller Maschinen AG
Rechnung
Rechnungsnummer: RE-2026-0042
Rechnungsdatum: 14.03.2026
Pos. Beschreibung Menge Einzelpreis Gesamt
1 Beratung 4 120,00 480,00
Zwischensumme Seite 1: 480,00
Seite 1 von 2
Pos. Beschreibung Menge Einzelpreis Gesamt
2 Ersatzteile 1 55,00 55,00
Nettobetrag: 535,00 EUR
MwSt. 19%: 101,65 EUR
Gesamtbetrag: 636,65 EUR
"""
    got = extract_document(text, SCHEMA)
    assert (got["vendor"], got["total"]) == ("Acme Tools GmbH", 636.65)
    assert [r["description"] for r in got["line_items"]] == ["Beratung", "Ersatzteile"]


def test_a_bare_reference_is_the_number_only_as_a_last_resort_and_a_paid_balance_no_total():
    text = """Globex Ltd
INVOICE
Reference: GX-2026-118
Date: 2026-03-01
Your reference: PO-7
Consulting 2 5.00 10.00
Total due 10.00 EUR
Amount paid 10.00 EUR
Balance due 0.00 EUR
"""
    got = extract_document(text, SCHEMA)
    assert (got["invoice_number"], got["_confidence"]["invoice_number"]) == ("GX-2026-118", 0.6)
    assert got["total"] == 10.0
    numbered = extract_document(text.replace("INVOICE", "INVOICE\nInvoice No: 77"), SCHEMA)
    assert numbered["invoice_number"] == "77"


def test_a_logo_word_over_the_company_name():
    text = "NORTHWIND\nNorthwind Supply GmbH\nLindenweg 4\nRECHNUNG\nRechnungsnummer: 12\n"
    text += "Datum: 01.03.2026\nGesamtbetrag: 10,00 EUR\n"
    got = extract_document(text, SCHEMA)
    assert (got["vendor"], got["_confidence"]["vendor"]) == ("Northwind Supply GmbH", 0.7)
