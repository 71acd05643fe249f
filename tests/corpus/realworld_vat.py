"""Real-world-like invoices with tax particulars: several VAT rates and a breakdown table,
Spanish IRPF withholding, Dutch reverse charge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF

from tests.corpus import fmt
from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.model import Doc
from tests.corpus.realworld_kit import Item, answer_doc, item_rows, pdf_writer

__all__ = ["retention_es", "reverse_charge_nl", "vat_breakdown"]


# --------------------------------------------------------------------------- VAT breakdowns


def vat_breakdown(lang: str) -> Doc:
    """Items at two VAT rates and a breakdown table (rate, net, VAT, gross) before the total."""
    if lang == "fr":
        day, number, vendor = date(2026, 6, 30), "FA-2026-0612", "Épicerie Fine Delorme SARL"
        items: list[tuple[str, float, str, str]] = [
            ("Coffret dégustation thés", 6, "32.50", "5.5"),
            ("Confiture artisanale (x12)", 4, "41.00", "5.5"),
            ("Atelier dégustation", 1, "380.00", "20"),
            ("Livraison", 1, "25.00", "20"),
        ]
        seps, head = (" ", ","), ("Désignation", "Qté", "PU HT", "TVA", "Total HT")
        labels = (
            "Facture n°",
            "Date",
            "Récapitulatif TVA",
            "Taux",
            "Base HT",
            "TVA",
            "Total TTC",
            "Net à payer",
            "Total HT",
        )
        shown, title, font = "30/06/2026", "FACTURE", "serif"
    else:
        day, number, vendor = date(2026, 1, 15), "RE-260115-03", "Hofladen Sommerfeld KG"
        items = [
            ("Bio-Apfelsaft 1 l (Kiste)", 10, "14.90", "7"),
            ("Käseplatte groß", 3, "48.00", "7"),
            ("Geschenkkorb Deluxe", 2, "65.00", "19"),
            ("Lieferpauschale", 1, "12.00", "19"),
        ]
        seps, head = (".", ","), ("Artikel", "Menge", "Preis", "MwSt", "Netto")
        labels = (
            "Rechnungsnr.",
            "Datum",
            "MwSt.-Aufstellung",
            "Satz",
            "Netto",
            "MwSt",
            "Brutto",
            "Rechnungsbetrag",
            "Summe netto",
        )
        shown, title, font = "15.01.2026", "Rechnung", "liberation-sans"
    rate_of = {d: r for d, _, _, r in items}
    rows, net = item_rows([(d, q, u) for d, q, u, _ in items])
    by_rate: dict[str, Decimal] = {}
    for row in rows:
        rate = rate_of[row["description"]]
        by_rate[rate] = by_rate.get(rate, Decimal("0.00")) + Decimal(str(row["amount"]))
    vat = {r: fmt.cents(v * Decimal(r) / 100) for r, v in by_rate.items()}
    total = net + sum(vat.values())
    num = lambda v: fmt.number(v, seps)  # noqa: E731
    pct = lambda r: f"{r.replace('.', ',')} %"  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        set_font(pdf, "B", 16)
        line(pdf, vendor, 8, align="C")
        set_font(pdf, "", 8.5)
        line(
            pdf,
            "12 rue des Halles, 21000 Dijon"
            if lang == "fr"
            else "Dorfstraße 8, 17039 Trollenhagen",
            4.5,
            align="C",
        )
        pdf.ln(8)
        set_font(pdf, "B", 14)
        line(pdf, title, 8)
        set_font(pdf, "", 10)
        line(pdf, f"{labels[0]} {number}", 5.5)
        line(pdf, f"{labels[1]} {shown}", 5.5)
        pdf.ln(5)
        set_font(pdf, "B", 9)
        widths = (86, 16, 26, 18, 34)
        cell_row(
            pdf,
            [
                (w, h, "L" if i == 0 else "R")
                for i, (w, h) in enumerate(zip(widths, head, strict=True))
            ],
            7,
            1,
        )
        set_font(pdf, "", 9)
        for row in rows:
            cell_row(
                pdf,
                [
                    (86, row["description"], "L"),
                    (16, str(int(row["quantity"])), "R"),
                    (26, num(Decimal(str(row["unit_price"]))), "R"),
                    (18, pct(rate_of[row["description"]]), "R"),
                    (34, num(Decimal(str(row["amount"]))), "R"),
                ],
                6,
                1,
            )
        pdf.ln(4)
        cell_row(pdf, [(146, labels[8], "R"), (34, num(net), "R")], 6)
        pdf.ln(3)
        set_font(pdf, "B", 9)
        line(pdf, labels[2], 6)
        cell_row(
            pdf,
            [
                (30, labels[3], "L"),
                (35, labels[4], "R"),
                (35, labels[5], "R"),
                (35, labels[6], "R"),
            ],
            6,
            "B",
        )
        set_font(pdf, "", 9)
        for rate in sorted(by_rate, key=Decimal):
            cell_row(
                pdf,
                [
                    (30, pct(rate), "L"),
                    (35, num(by_rate[rate]), "R"),
                    (35, num(vat[rate]), "R"),
                    (35, num(by_rate[rate] + vat[rate]), "R"),
                ],
                6,
            )
        pdf.ln(4)
        set_font(pdf, "B", 11)
        cell_row(pdf, [(146, labels[7], "R"), (34, f"{num(total)} €", "R")], 7)

    return answer_doc(
        f"vat-breakdown-{lang}",
        lang,
        "two VAT rates, breakdown table",
        "invoice",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(total),
        currency="EUR",
        line_items=rows,
        plan=pdf_writer(font, day, draw),
    )


def retention_es() -> Doc:
    """A Spanish freelancer's invoice: IVA added, IRPF withheld (the total is net of it)."""
    day = date(2026, 9, 1)
    number, vendor = "2026/0087", "Marta Iglesias Rubio"
    items: list[Item] = [
        ("Traducción técnica manual de usuario (12.000 palabras)", 1, "1080.00"),
        ("Revisión y maquetación", 6, "35.00"),
    ]
    rows, base = item_rows(items)
    iva = fmt.cents(base * Decimal("0.21"))
    irpf = fmt.cents(base * Decimal("0.15"))
    total = base + iva - irpf
    num = lambda v: fmt.number(v, (".", ",")) + " €"  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        set_font(pdf, "B", 14)
        line(pdf, vendor, 7)
        set_font(pdf, "", 9)
        for text in ("NIF 48392017-K", "Calle Colón 22, 3º B", "46004 Valencia"):
            line(pdf, text, 4.5)
        pdf.ln(6)
        set_font(pdf, "", 10)
        cell_row(pdf, [(95, "FACTURA", "L"), (85, "Cliente:", "L")], 6)
        cell_row(pdf, [(95, f"Nº {number}", "L"), (85, "Editorial Mediterránea S.L.", "L")], 5.5)
        cell_row(pdf, [(95, "Fecha: 01/09/2026", "L"), (85, "CIF B-46123987", "L")], 5.5)
        cell_row(pdf, [(95, "Vencimiento: 01/10/2026", "L"), (85, "Av. del Puerto 101", "L")], 5.5)
        pdf.ln(6)
        set_font(pdf, "B", 9)
        cell_row(
            pdf,
            [(110, "Concepto", "L"), (20, "Cant.", "R"), (25, "Precio", "R"), (25, "Importe", "R")],
            7,
            "TB",
        )
        set_font(pdf, "", 9)
        for row in rows:
            cell_row(
                pdf,
                [
                    (110, row["description"], "L"),
                    (20, str(int(row["quantity"])), "R"),
                    (25, num(Decimal(str(row["unit_price"]))), "R"),
                    (25, num(Decimal(str(row["amount"]))), "R"),
                ],
                6,
            )
        pdf.ln(4)
        for label, value in (
            ("Base imponible", base),
            ("IVA 21 %", iva),
            ("Retención IRPF 15 %", -irpf),
        ):
            cell_row(pdf, [(150, label, "R"), (30, num(value), "R")], 6)
        set_font(pdf, "B", 10)
        cell_row(pdf, [(150, "TOTAL FACTURA", "R"), (30, num(total), "R")], 7)
        set_font(pdf, "", 8.5)
        pdf.ln(6)
        line(pdf, "Pago por transferencia a ES91 2100 0418 4502 0005 1332.", 4.5)

    return answer_doc(
        "irpf-retention-es",
        "es",
        "IVA added, IRPF withheld",
        "invoice",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(total),
        currency="EUR",
        line_items=rows,
        plan=pdf_writer("liberation-serif", day, draw),
    )


def reverse_charge_nl() -> Doc:
    """A Dutch invoice to a foreign business: VAT reverse-charged (btw verlegd), 0 VAT."""
    day = date(2026, 8, 19)
    number, vendor = "F26-0412", "Windmolen Software B.V."
    items: list[Item] = [
        ("SaaS-abonnement Enterprise (augustus)", 1, "2400.00"),
        ("Extra gebruikers", 15, "18.00"),
        ("Implementatieondersteuning (uur)", 7.5, "120.00"),
    ]
    rows, net = item_rows(items)
    num = lambda v: "€ " + fmt.number(v, (".", ","))  # noqa: E731

    def draw(pdf: FPDF) -> None:
        pdf.add_page()
        set_font(pdf, "B", 16)
        cell_row(pdf, [(120, vendor, "L"), (60, "FACTUUR", "R")], 9)
        set_font(pdf, "", 8.5)
        line(pdf, "Stationsplein 9, 3511 ED Utrecht · KvK 71234567 · BTW NL859412367B01", 4.5)
        pdf.ln(8)
        set_font(pdf, "", 10)
        for label, value in (
            ("Factuurnummer", number),
            ("Factuurdatum", "19-08-2026"),
            ("Vervaldatum", "18-09-2026"),
            ("Klant", "Bergmann Logistik GmbH, Hamburg (DE 287 114 559)"),
        ):
            cell_row(pdf, [(40, label, "L"), (140, value, "L")], 5.5)
        pdf.ln(6)
        set_font(pdf, "B", 9)
        head = [(105, "Omschrijving", "L"), (20, "Aantal", "R"), (25, "Tarief", "R")]
        cell_row(pdf, [*head, (30, "Bedrag", "R")], 7, 1)
        set_font(pdf, "", 9)
        for row in rows:
            quantity = fmt.quantity_text(row["quantity"], (".", ","))
            cell_row(
                pdf,
                [
                    (105, row["description"], "L"),
                    (20, quantity, "R"),
                    (25, num(Decimal(str(row["unit_price"]))), "R"),
                    (30, num(Decimal(str(row["amount"]))), "R"),
                ],
                7,
                1,
            )
        pdf.ln(4)
        cell_row(pdf, [(150, "Subtotaal", "R"), (30, num(net), "R")], 6)
        cell_row(pdf, [(150, "BTW verlegd (0%)", "R"), (30, num(Decimal(0)), "R")], 6)
        set_font(pdf, "B", 10)
        cell_row(pdf, [(150, "Totaal", "R"), (30, num(net), "R")], 7)
        set_font(pdf, "", 8.5)
        pdf.ln(6)
        line(pdf, "BTW verlegd naar de afnemer (art. 196 Richtlijn 2006/112/EG).", 4.5)

    return answer_doc(
        "reverse-charge-nl",
        "nl",
        "reverse charge, 0 VAT",
        "invoice",
        invoice_number=number,
        invoice_date=day.isoformat(),
        vendor=vendor,
        total=float(net),
        currency="EUR",
        line_items=rows,
        plan=pdf_writer("sans", day, draw),
    )
