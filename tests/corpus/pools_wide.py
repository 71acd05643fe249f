"""A second DEVELOPMENT pool, ``wide``: other real label wordings, number shapes and every
layout the generator can draw, to prove the rules generalise beyond pools_dev.py.

Written from how invoices are labelled in practice (accounting software, national
conventions: "Rg.-Nr.", "Réf. facture", "Núm. factura", "Factuur nr", "Bill Number"),
never from the held-out pools. Like pools_dev.py it is read freely while writing rules:
``python -m bench.extraction --half wide --show-misses``. Table shapes include the
quantity before the description, the unit price after the quantity, a position and an
article code together; headers as a table-form grid, letterheads on the right, boxed
totals, shaded tables.
"""

from __future__ import annotations

from dataclasses import replace

from tests.corpus.model import Pools
from tests.corpus.pools_dev import DE, EN, ES, FR, NL

__all__ = ["POOLS"]

# fmt: off

WEN = replace(
    EN,
    titles=("INVOICE", "Sales Invoice", "Bill", "TAX INVOICE"),
    labels={
        "number": ("Invoice Nbr", "Bill Number", "Bill No.", "Document No.", "Invoice Ref",
                   "Our Invoice No.", "Invoice Serial No.", "Invoice Code", "Number", "No."),
        "date": ("Bill Date", "Date Issued", "Invoice Dated", "Document Date", "Dated",
                 "Billing Date", "Tax Point"),
        "vendor": ("Billed By", "Bill From", "Vendor", "Sold By", "Payee"),
        "total": ("Amount Payable", "Invoice Total", "Total Payable", "Please Pay",
                  "Total (incl. VAT)", "TOTAL DUE", "Amount to Pay"),
        "due": ("Payment Due Date", "Pay By", "Due On", "Terms: due"),
        "po": ("P.O. #", "Order No.", "Customer Reference", "Job No."),
        "customer_no": ("Client ID", "Account #", "Customer ID"),
        "delivery": ("Ship Date", "Supply Date", "Dispatch Date"),
        "vat_id": ("VAT Reg. No.", "Company No.", "EIN"),
        "iban": ("IBAN", "Sort Code"),
        "customer": ("Invoiced To", "Sold To", "Client", "Ship To", "Bill to"),
        "subtotal": ("Net Amount", "Sub-total", "Total before tax", "Amount excl. VAT"),
        "tax": ("VAT @ {rate}%", "GST {rate}%", "Tax {rate}%", "VAT ({rate}%)"),
    },
    columns={
        "pos": ("Line", "Item #", "Ln"),
        "code": ("Part No.", "Product Code", "Ref."),
        "description": ("Particulars", "Product", "Details", "Description of Goods",
                        "Services"),
        "quantity": ("Hours", "Qty.", "Pcs", "QTY"),
        "unit_price": ("Unit Cost", "Each", "Price/Unit", "Hourly Rate"),
        "amount": ("Line Amount", "Net", "Amount (excl. VAT)", "Extension", "Sum"),
    },
    date_formats=("d-mon-yyyy", "mon d, yyyy", "ymd/", "dmy.", "month d, yyyy"),
    separators=((",", "."), (",", "."), ("'", ".")),
    money_formats=("{sym}{n}", "{sym} {n}", "{n} {code}", "{code}{n}"),
    currencies=("USD", "GBP", "GBP", "EUR", "CHF"),
    number_patterns=("INV/{Y}/{z5}", "{A}{A}-{n5}", "{Y}.{z4}", "B{n4}/{y}", "{z6}",
                     "INV{Y}{m}-{z3}", "{A}{n3}-{A}"),
)

WDE = replace(
    DE,
    titles=("Rechnung", "RECHNUNG", "Rechnung / Invoice"),
    labels={
        "number": ("Rg.-Nr.", "Re.-Nr.", "Rechnungsnr.", "Rechnungs-Nummer", "Beleg-Nummer",
                   "Dokumentnummer", "Nummer", "Nr."),
        "date": ("Rg.-Datum", "Re.-Datum", "Belegdatum", "Ausgestellt am", "Rechnung vom",
                 "Datum der Rechnung", "Dokumentdatum"),
        "vendor": ("Rechnungssteller", "Auftragnehmer", "Verkäufer", "Anbieter"),
        "total": ("Rechnungssumme", "Zahlbetrag", "Zu zahlen", "Bruttobetrag", "Gesamtsumme",
                  "Gesamt brutto", "Summe"),
        "due": ("Zahlbar bis", "Fälligkeit", "Fälligkeitsdatum"),
        "po": ("Auftragsnummer", "Auftrags-Nr.", "Ihr Zeichen", "Lieferschein-Nr."),
        "customer_no": ("Debitor", "Kd.-Nr.", "Ihre Kundennummer"),
        "delivery": ("Leistungszeitraum", "Liefertag", "Leistungsdatum"),
        "vat_id": ("USt-ID", "St.-Nr.", "Handelsregister HRB"),
        "iban": ("IBAN", "BIC"),
        "customer": ("Rechnungsadresse", "Empfänger", "Auftraggeber", "Kunde"),
        "subtotal": ("Warenwert", "Netto", "Summe Netto", "Nettosumme"),
        "tax": ("{rate}% USt.", "Umsatzsteuer {rate}%", "MwSt ({rate}%)", "+ {rate} % MwSt."),
    },
    columns={
        "pos": ("Pos", "Lfd. Nr."),
        "code": ("Artikel-Nr.", "Art.-Nr.", "Artikel"),
        "description": ("Artikelbezeichnung", "Leistungsbeschreibung", "Text", "Produkt"),
        "quantity": ("Anz.", "Stunden", "Stk.", "Menge"),
        "unit_price": ("Preis", "Stückpreis", "EP", "Preis/Einheit"),
        "amount": ("Summe", "Gesamtpreis", "GP", "Nettobetrag"),
    },
    date_formats=("dmy.", "d. month yyyy", "iso", "dmy/"),
    separators=((".", ","), ("'", "."), ("", ","), (" ", ",")),
    money_formats=("{n} {code}", "{n} {sym}", "{code} {n}", "{n}{sym}"),
    number_patterns=("{Y}-{z5}", "RG-{n5}", "{n4}/{y}", "R-{Y}.{z4}", "{A}{A}{z4}",
                     "{Y}{m}{z3}"),
)

WFR = replace(
    FR,
    titles=("FACTURE", "Facture", "Facture N°"),
    labels={
        "number": ("N° facture", "Réf. facture", "Facture numéro", "Numéro", "N° de pièce",
                   "Référence facture", "N° document", "No facture"),
        "date": ("Date facture", "Émise le", "Date de la facture", "Le", "Date d'édition",
                 "Facturé le"),
        "vendor": ("Prestataire", "Émis par", "Vendu par"),
        "total": ("Montant TTC", "Total à payer", "Montant à régler", "Net à payer TTC",
                  "Total général", "Somme due"),
        "due": ("À régler avant le", "Date limite de paiement", "Échéance le"),
        "po": ("N° de commande", "Réf. commande", "Votre référence"),
        "customer_no": ("Code client", "Compte client", "Réf. client"),
        "delivery": ("Livré le", "Date de prestation"),
        "vat_id": ("TVA intracom.", "SIREN", "RCS"),
        "iban": ("IBAN", "BIC"),
        "customer": ("Adressé à", "Facturer à", "Client", "Adresse de facturation"),
        "subtotal": ("Total hors taxes", "Montant HT", "Total HT"),
        "tax": ("TVA à {rate} %", "Montant TVA {rate}%", "TVA {rate}%"),
    },
    columns={
        "pos": ("Ligne", "N°"),
        "code": ("Réf.", "Code article", "Code"),
        "description": ("Libellé", "Désignation des prestations", "Article", "Produit"),
        "quantity": ("Qté", "Nombre", "Quantité", "Nb"),
        "unit_price": ("PU HT", "Prix U.", "Prix unitaire HT", "Tarif"),
        "amount": ("Total HT", "Montant", "Prix total", "Total ligne"),
    },
    date_formats=("dmy/", "d month yyyy", "dmy.", "dmy-"),
    separators=((" ", ","), ("", ","), (".", ","), ("'", ".")),
    money_formats=("{n} {sym}", "{n} {code}", "{n}{sym}", "{code} {n}"),
    number_patterns=("FA-{Y}-{z5}", "{Y}{m}-{z3}", "F/{n5}", "FC{z6}", "{A}{Y}{z3}",
                     "{n3}/{Y}"),
)

WES = replace(
    ES,
    titles=("FACTURA", "Factura", "Factura simplificada"),
    labels={
        "number": ("Núm. factura", "N.º de factura", "Factura número", "Número",
                   "Nº documento", "Serie y número", "Nº", "Referencia factura"),
        "date": ("Fecha factura", "Fecha de expedición", "Emitida el", "Fecha emisión",
                 "Fecha de la factura"),
        "vendor": ("Vendedor", "Emitido por", "Prestador"),
        "total": ("Total a pagar", "Importe a pagar", "Total general", "TOTAL FACTURA",
                  "Total (IVA incl.)", "Total con IVA"),
        "due": ("Fecha límite de pago", "Vence el", "Vto."),
        "po": ("Su pedido", "Número de pedido", "Su referencia", "Albarán"),
        "customer_no": ("Código de cliente", "Cliente n.º", "Cód. cliente"),
        "delivery": ("Fecha de servicio", "Entregado el"),
        "vat_id": ("NIF/CIF", "CIF", "NIF"),
        "iban": ("IBAN", "Cuenta bancaria"),
        "customer": ("Datos del cliente", "Destinatario", "Cliente", "Facturado a"),
        "subtotal": ("Importe neto", "Base", "Subtotal sin IVA", "Base imponible"),
        "tax": ("Cuota IVA {rate}%", "I.V.A. {rate}%", "IVA ({rate}%)"),
    },
    columns={
        "pos": ("Nº", "Lín."),
        "code": ("Ref.", "Artículo", "Cód."),
        "description": ("Producto", "Detalle", "Servicio", "Concepto"),
        "quantity": ("Uds.", "Unidades", "Cant.", "Horas"),
        "unit_price": ("Precio unit.", "P. unitario", "Tarifa", "Precio"),
        "amount": ("Importe", "Subtotal", "Total línea", "Neto"),
    },
    date_formats=("dmy/", "d de month de yyyy", "dmy-", "dmy."),
    separators=((".", ","), ("", ","), (" ", ",")),
    money_formats=("{n} {sym}", "{n} {code}", "{n}{sym}", "{code} {n}"),
    number_patterns=("A/{Y}/{z4}", "{Y}-{A}-{z3}", "FV{y}-{z4}", "{n5}", "S{Y}/{n3}",
                     "FRA-{z5}"),
)

WNL = replace(
    NL,
    titles=("FACTUUR", "Factuur", "Verkoopfactuur"),
    labels={
        "number": ("Factuurnr.", "Factuur nummer", "Nummer", "Documentnummer",
                   "Factuur-nr", "Ons factuurnummer", "Nr."),
        "date": ("Factuur datum", "Datum factuur", "Uitgiftedatum", "Documentdatum",
                 "Gefactureerd op"),
        "vendor": ("Afzender", "Verkoper", "Leverende partij"),
        "total": ("Totaal te betalen", "Totaal incl. BTW", "Te voldoen", "Eindtotaal",
                  "Totaalbedrag incl. btw", "Bedrag"),
        "due": ("Betalen vóór", "Vervaldag", "Uiterste betaaldatum"),
        "po": ("Bestelnummer", "Uw kenmerk", "Inkoopordernummer"),
        "customer_no": ("Klantnr.", "Debiteurnummer", "Relatienummer"),
        "delivery": ("Leveringsdatum", "Datum levering"),
        "vat_id": ("BTW-nr.", "KvK", "BTW-id"),
        "iban": ("IBAN", "Rekening"),
        "customer": ("Factuur aan", "Afnemer", "Klant", "Aan"),
        "subtotal": ("Totaal excl. btw", "Netto bedrag", "Subtotaal"),
        "tax": ("Btw {rate}%", "BTW ({rate}%)", "{rate}% btw"),
    },
    columns={
        "pos": ("Regel", "Nr"),
        "code": ("Artikelcode", "Code", "Art.nr."),
        "description": ("Product", "Dienst", "Artikel", "Omschrijving"),
        "quantity": ("Aantal", "Uren", "Stuks", "Hoeveelheid"),
        "unit_price": ("Prijs", "Tarief", "Eenheidsprijs", "Prijs/st."),
        "amount": ("Totaal", "Bedrag excl. btw", "Regeltotaal", "Bedrag"),
    },
    date_formats=("dmy-", "d month yyyy", "dmy.", "iso", "d mon yyyy"),
    separators=((".", ","), ("", ","), (" ", ",")),
    money_formats=("{sym} {n}", "{code} {n}", "{sym}{n}", "{n} {code}"),
    number_patterns=("{Y}{z5}", "F-{Y}-{z4}", "VF{n5}", "{y}.{z4}", "{A}{A}{y}{z3}"),
)

# fmt: on

POOLS = Pools(
    name="wide",
    languages=(WEN, WDE, WFR, WES, WNL),
    header_styles=("grid", "grid", "stacked", "beside", "columns", "inline", "pipe"),
    letterheads=("right", "right", "left", "center", "labelled"),
    table_shapes=(
        ("pos", "code", "description", "quantity", "unit_price", "amount"),
        ("quantity", "description", "unit_price", "amount"),
        ("description", "unit_price", "quantity", "amount"),
        ("code", "description", "amount"),
        ("pos", "description", "amount"),
        ("description", "quantity", "unit_price", "amount"),
        ("pos", "quantity", "description", "unit_price", "amount"),
    ),
    table_borders=("grid", "rules", "none", "shaded"),
    total_styles=("boxed", "boxed", "right", "left", "inline"),
    label_separators=(": ", " ", ":  ", " : "),
    fonts=("sans", "serif", "mono", "liberation-sans"),
    multiline_rate=0.35,
)
