"""Documents that are not invoices (``kind="not_invoice"``): extraction must refuse them.

A Python source file (as a text file), a business letter that mentions an invoice and an
amount, a bank statement, a delivery note without prices, a CV and a quotation (prices and
a total, but an offer, not a bill). They carry no answers: each is right only when the
extract-invoice run refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from fpdf import FPDF

from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.model import Doc
from tests.corpus.realworld_kit import pdf_writer

__all__ = ["not_invoices"]

PYTHON_SOURCE = '''"""Make a test invoice PDF."""
from fpdf import FPDF

ITEMS = [("Widget", 2, 10.5), ("Gadget", 1, 14.7)]


def build(path: str, number: str = "INV-001") -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, f"Invoice number: {number}")
    total = 0.0
    for name, qty, price in ITEMS:
        pdf.cell(0, 8, f"{name} {qty} x {price:.2f}")
        total += qty * price
    pdf.cell(0, 10, f"Total: {total:.2f} EUR")  # 35.70
    pdf.output(path)


if __name__ == "__main__":
    build("invoice.pdf")
'''


def _text(content: str) -> Callable[[Path], Path]:
    def write(stem: Path) -> Path:
        path = Path(stem).with_suffix(".txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return path

    return write


def _letter(pdf: FPDF) -> None:
    pdf.add_page()
    set_font(pdf, "B", 14)
    line(pdf, "Kingsley & Rowe Accountants", 8)
    set_font(pdf, "", 9)
    line(pdf, "3 Albion Place, Leeds LS1 6JL · 0113 496 0871", 5)
    pdf.ln(12)
    set_font(pdf, "", 10.5)
    for text in (
        "Mr Daniel Foster",
        "Foster Joinery Ltd",
        "22 Hill Top Road",
        "Harrogate HG1 3AZ",
        "",
        "14 October 2026",
        "",
        "Re: Your account 40117",
        "",
        "Dear Mr Foster,",
        "",
    ):
        line(pdf, text, 5.5)
    body = (
        "Thank you for your letter of 2 October. We confirm that we received your payment of "
        "£1,250.00 on 9 October 2026 for invoice number 2026-311, which is now settled. "
        "Our fees for the year-end accounts will remain at £1,850.00 plus VAT, as agreed. "
        "We will send the draft accounts by 30 November 2026. Please let us know if any "
        "of your details have changed."
    )
    pdf.multi_cell(0, 5.5, body)
    pdf.ln(5)
    for text in ("Yours sincerely,", "", "", "Margaret Rowe", "Partner"):
        line(pdf, text, 5.5)


def _bank_statement(pdf: FPDF) -> None:
    pdf.add_page()
    set_font(pdf, "B", 13)
    line(pdf, "Nordbank AG - Kontoauszug", 8)
    set_font(pdf, "", 9)
    for text in (
        "Kontoinhaber: Maria Lehmann",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "Auszug Nr. 10/2026 · Zeitraum 01.10.2026 - 31.10.2026",
    ):
        line(pdf, text, 5)
    pdf.ln(4)
    set_font(pdf, "B", 9)
    cell_row(
        pdf,
        [
            (25, "Datum", "L"),
            (105, "Verwendungszweck", "L"),
            (25, "Betrag", "R"),
            (25, "Saldo", "R"),
        ],
        6,
        "B",
    )
    set_font(pdf, "", 9)
    cell_row(pdf, [(130, "Alter Kontostand", "L"), (50, "2.412,18 EUR", "R")], 6)
    for day, text, amount, saldo in (
        ("01.10.", "Miete Oktober Hausverwaltung Kühn", "-980,00", "1.432,18"),
        ("02.10.", "Gehalt Oktober Firma Brehm GmbH", "3.105,44", "4.537,62"),
        ("05.10.", "Kartenzahlung REWE Markt", "-64,37", "4.473,25"),
        ("12.10.", "Rechnung 2026-0412 Stadtwerke", "-118,00", "4.355,25"),
        ("20.10.", "Dauerauftrag Sparplan", "-250,00", "4.105,25"),
        ("28.10.", "Gutschrift Erstattung Versicherung", "86,90", "4.192,15"),
    ):
        cell_row(pdf, [(25, day, "L"), (105, text, "L"), (25, amount, "R"), (25, saldo, "R")], 6)
    pdf.ln(2)
    set_font(pdf, "B", 9)
    cell_row(pdf, [(130, "Neuer Kontostand", "L"), (50, "4.192,15 EUR", "R")], 6)


def _delivery_note(pdf: FPDF) -> None:
    pdf.add_page()
    set_font(pdf, "B", 15)
    line(pdf, "Van Dijk Groothandel B.V.", 8)
    set_font(pdf, "", 9)
    line(pdf, "Industrieweg 40 · 3044 AS Rotterdam", 5)
    pdf.ln(8)
    set_font(pdf, "B", 13)
    line(pdf, "PAKBON / DELIVERY NOTE", 8)
    set_font(pdf, "", 10)
    for label, value in (
        ("Pakbonnummer", "PB-558120"),
        ("Datum", "03-09-2026"),
        ("Ordernummer", "ORD-44781"),
        ("Afleveradres", "Bouwbedrijf Kok, Dijkweg 2, 4451 AA Heinkenszand"),
    ):
        cell_row(pdf, [(40, label, "L"), (140, value, "L")], 6)
    pdf.ln(5)
    set_font(pdf, "B", 9)
    cell_row(pdf, [(30, "Artikelnr.", "L"), (110, "Omschrijving", "L"), (40, "Aantal", "R")], 7, 1)
    set_font(pdf, "", 9)
    for code, text, qty in (
        ("10-2211", "Gipsplaat 260x60 cm", "40"),
        ("10-3090", "Metal stud C50 (3 m)", "120"),
        ("22-0014", "Schroeven 3,5x25 (1000 st)", "6"),
        ("31-7702", "Voegmiddel 5 kg", "8"),
    ):
        cell_row(pdf, [(30, code, "L"), (110, text, "L"), (40, qty, "R")], 7, 1)
    pdf.ln(10)
    line(pdf, "Ontvangen in goede staat: ______________________   Handtekening", 6)


def _cv(pdf: FPDF) -> None:
    pdf.add_page()
    set_font(pdf, "B", 18)
    line(pdf, "Lucía Fernández Ortega", 10)
    set_font(pdf, "", 9.5)
    line(pdf, "Ingeniera de software · Valencia · lucia.fo@example.com · +34 612 345 678", 5)
    for heading, entries in (
        (
            "Experiencia",
            (
                "2022 - hoy   Desarrolladora backend, Naranja Tech S.L., Valencia",
                "2019 - 2022  Analista de datos, Grupo Levante S.A., Madrid",
                "2018         Prácticas, Universitat Politècnica de València",
            ),
        ),
        (
            "Formación",
            (
                "2014 - 2018  Grado en Ingeniería Informática, UPV",
                "2020         Máster en Ciencia de Datos (online)",
            ),
        ),
        ("Idiomas", ("Español (nativo), Inglés (C1), Alemán (B1)",)),
        (
            "Habilidades",
            (
                "Python, SQL, PostgreSQL, Docker, Kubernetes, facturación electrónica",
                "Salario deseado: 42.000 EUR brutos/año",
            ),
        ),
    ):
        pdf.ln(5)
        set_font(pdf, "B", 12)
        line(pdf, heading, 7)
        set_font(pdf, "", 9.5)
        for text in entries:
            line(pdf, text, 5.5)


def _quotation(pdf: FPDF) -> None:
    pdf.add_page()
    set_font(pdf, "B", 16)
    line(pdf, "Zimmerei Holzmann GmbH", 8)
    set_font(pdf, "", 9)
    line(pdf, "Sägewerkstraße 3 · 87435 Kempten", 5)
    pdf.ln(8)
    set_font(pdf, "B", 14)
    line(pdf, "Angebot", 8)
    set_font(pdf, "", 10)
    for text in (
        "Angebotsnummer: AN-2026-118",
        "Datum: 22.07.2026",
        "Gültig bis: 21.08.2026",
        "Bauvorhaben: Carport Familie Berger",
    ):
        line(pdf, text, 5.5)
    pdf.ln(4)
    set_font(pdf, "B", 9)
    cell_row(
        pdf,
        [(100, "Leistung", "L"), (20, "Menge", "R"), (30, "Preis", "R"), (30, "Gesamt", "R")],
        7,
        "B",
    )
    set_font(pdf, "", 9)
    for text, qty, unit, amount in (
        ("Konstruktionsholz KVH", "2,4 m³", "690,00", "1.656,00"),
        ("Abbund und Montage", "32 h", "58,00", "1.856,00"),
        ("Dacheindeckung Trapezblech", "36 m²", "29,50", "1.062,00"),
    ):
        cell_row(pdf, [(100, text, "L"), (20, qty, "R"), (30, unit, "R"), (30, amount, "R")], 6)
    pdf.ln(3)
    cell_row(pdf, [(150, "Angebotssumme netto", "R"), (30, "4.574,00 €", "R")], 6)
    cell_row(pdf, [(150, "zzgl. 19 % MwSt.", "R"), (30, "869,06 €", "R")], 6)
    set_font(pdf, "B", 10)
    cell_row(pdf, [(150, "Angebotssumme brutto", "R"), (30, "5.443,06 €", "R")], 7)
    set_font(pdf, "", 9)
    pdf.ln(6)
    line(pdf, "Wir freuen uns auf Ihren Auftrag. Dieses Angebot ist freibleibend.", 5)


def not_invoices() -> list[Doc]:
    def doc(name: str, lang: str, layout: str, plan: Callable[[Path], Path]) -> Doc:
        return Doc(
            id=f"realworld-{name}",
            half="realworld",
            language=lang,
            layout=layout,
            kind="not_invoice",
            invoice_number=None,
            invoice_date=None,
            vendor=None,
            total=None,
            currency=None,
            line_items=(),
            plan=plan,
        )

    day = date(2026, 10, 14)
    return [
        doc("python-source", "en", "Python source file as text", _text(PYTHON_SOURCE)),
        doc("letter-en", "en", "business letter", pdf_writer("serif", day, _letter)),
        doc("bank-statement-de", "de", "bank statement", pdf_writer("sans", day, _bank_statement)),
        doc(
            "delivery-note-nl",
            "nl",
            "delivery note, no prices",
            pdf_writer("liberation-sans", day, _delivery_note),
        ),
        doc("cv-es", "es", "curriculum vitae", pdf_writer("serif", day, _cv)),
        doc(
            "quotation-de",
            "de",
            "quotation with prices and a total",
            pdf_writer("sans", day, _quotation),
        ),
    ]
