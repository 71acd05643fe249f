"""Real-world-like invoices with several VAT rates and a breakdown table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF

from tests.corpus import fmt
from tests.corpus.draw import cell_row, line, set_font
from tests.corpus.model import Doc
from tests.corpus.realworld_kit import answer_doc, item_rows, pdf_writer

__all__ = ["vat_breakdown"]


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
