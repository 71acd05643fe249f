"""A third DEVELOPMENT pool, ``wide2``: what pools_wide.py did not try — labels with a
sum's qualifier ("Totaal exclusief btw", "Total sin IVA"), dotted tax names ("I.V.A."),
bracketed currencies ("Total (GBP)"), items whose text starts with a label word ("Tax
return preparation", "Net framework upgrade"), second description lines that start with
"From" or "Customer", vendors with "&", apostrophes and particles ("'t Gilde", "O'Brien"),
other abbreviations of the number and date labels, and column headers with units and
currencies in brackets.

Written from how invoices are worded in practice, never from the held-out pools; read it
freely: ``python -m bench.extraction --half wide2 --show-misses``.
"""

from __future__ import annotations

from dataclasses import replace

from tests.corpus.model import Pools
from tests.corpus.pools_wide import POOLS as WIDE
from tests.corpus.pools_wide import WDE, WEN, WES, WFR, WNL

__all__ = ["POOLS"]

# fmt: off

XEN = replace(
    WEN,
    titles=("INVOICE", "Invoice", "COMMERCIAL INVOICE", "Service Invoice"),
    labels={
        **WEN.labels,
        "number": ("Reference No.", "Invoice Reference Number", "Inv. #", "Document #",
                   "Bill Ref.", "Invoice no", "INVOICE #", "Invoice Num."),
        "date": ("Date of Invoice", "Issued On", "Invoice Issue Date", "Date Issued",
                 "Invoicing Date", "Date"),
        "total": ("Balance", "Amount Owing", "Total Amount Payable", "Grand Total (USD)",
                  "Total (incl. tax)", "TOTAL", "Invoice Amount"),
        "subtotal": ("Goods Total", "Net Value", "Total excl. tax", "Total (excl. VAT)",
                     "Subtotal (net)"),
        "tax": ("Sales Tax ({rate}%)", "VAT at {rate}%", "Tax @ {rate}%", "VAT {rate}% on net"),
        "po": ("Order #", "Your PO", "Purchase Order No.", "Contract Ref."),
        "customer_no": ("Customer #", "Account Ref.", "Client No."),
        "due": ("Payment Due", "Due Date", "Please pay by"),
    },
    columns={
        "pos": ("#", "Line #", "No"),
        "code": ("Item No.", "SKU #", "Part Number"),
        "description": ("Item/Service", "Description of Work", "Goods / Services", "Item Name"),
        "quantity": ("Hrs/Qty", "Quantity (units)", "No. of Items", "Qty"),
        "unit_price": ("Rate (USD)", "Unit Price", "Price per Item", "Fee"),
        "amount": ("Line Total (USD)", "Total", "Amount (net)", "Charge"),
    },
    items=("Tax return preparation", "Net framework upgrade", "Total station rental",
           "Payment terminal lease", "Delivery van hire (per day)", "Order processing fee",
           "Customer survey design", "Balance sheet review", "Account setup", "Date palm seedlings",
           "Office cleaning - 3rd floor", "Safety boots size 42"),
    item_details=("From 1 to 31 March", "Customer site visit", "ref. Q-1182, 2nd phase",
                  "Tax year 2025", "incl. 2 revisions"),
    vendor_cores=("O'Brien Electrical", "Smith & Partners", "J. Walker Plumbing", "Blue Sky Media",
                  "Harper & Lane Consulting", "North Star Logistics"),
    vendor_suffixes=("Ltd", "LLC", "Inc.", "Ltd."),
    number_patterns=("INV 0{n3}", "{Y}-{n4}", "INV-{z5}", "#{n5}", "{A}{A}/{y}/{z4}"),
)

XDE = replace(
    WDE,
    labels={
        **WDE.labels,
        "number": ("Re-Nr.", "Beleg Nr.", "Rechnung Nummer", "Rechnungs-Nr", "Vorgangsnummer",
                   "Rechnungsnummer"),
        "date": ("Rechnungs-Datum", "Datum Rechnung", "Erstellt am", "Belegdatum", "Datum"),
        "total": ("Endsumme", "Rechnungsendbetrag", "Gesamt (brutto)", "Zahlbetrag EUR",
                  "Bruttosumme", "Summe inkl. MwSt."),
        "subtotal": ("Summe (netto)", "Nettowarenwert", "Zwischensumme netto",
                     "Summe ohne MwSt."),
        "tax": ("zzgl. {rate} % USt", "Umsatzsteuer ({rate} %)", "MwSt.-Betrag {rate}%"),
        "customer_no": ("Kd.-Nr.", "Kunden-Nr.", "Debitoren-Nr."),
        "po": ("Auftr.-Nr.", "Bestell-Nr.", "Lief.-Nr."),
    },
    columns={
        "pos": ("Pos.", "Nr."),
        "code": ("Art.-Nr.", "Artikel-Nr.", "Materialnr."),
        "description": ("Bezeichnung", "Leistung/Artikel", "Beschreibung der Leistung"),
        "quantity": ("Menge (Std.)", "Anzahl", "Stk"),
        "unit_price": ("Einzelpreis (EUR)", "Preis/Std.", "E-Preis netto"),
        "amount": ("Gesamtpreis (EUR)", "Betrag netto", "Summe"),
    },
    items=("Steuerberatung Jahresabschluss", "Netto-Planung Lager", "Gesamtwartung Heizung",
           "Summenprüfung Kasse", "Vom Fachmann verlegt: Parkett", "Kundenschulung vor Ort",
           "Fahrtkosten 35 km", "Montage 2. OG"),
    item_details=("Kunde: Filiale Nord", "Von 01.03. bis 31.03.", "inkl. Material",
                  "laut Angebot 2291"),
    vendor_cores=("Müller & Söhne", "Bäckerei zum Löwen", "Schulz-Meier Technik",
                  "Dr. Weiß Consulting", "Hoffmann Dach"),
    number_patterns=("RE{Y}-{z4}", "{n6}", "R {Y}/{z3}", "{Y}-{m}-{z3}"),
)

XFR = replace(
    WFR,
    labels={
        **WFR.labels,
        "number": ("Facture n°", "Pièce n°", "Numéro de pièce", "N° de la facture",
                   "Réf. facture", "Facture N°"),
        "date": ("Date d'émission", "Fait le", "Édité le", "Date de la facture", "Date"),
        "total": ("Net à payer", "Montant dû", "Total TTC à payer", "Reste à payer",
                  "Total (TTC)"),
        "subtotal": ("Montant hors taxes", "Total (HT)", "Base HT", "Total hors TVA"),
        "tax": ("TVA {rate} %", "Montant de la TVA ({rate}%)", "T.V.A. {rate}%"),
    },
    columns={
        "pos": ("N°", "Ligne"),
        "code": ("Réf.", "Code"),
        "description": ("Désignation", "Description de la prestation", "Produit / Service"),
        "quantity": ("Qté", "Quantité (h)", "Nb"),
        "unit_price": ("Prix unitaire (€)", "PU HT", "Tarif HT"),
        "amount": ("Montant HT (€)", "Total HT", "Montant"),
    },
    items=("Total station (location)", "Net de frais de port", "TVA intracommunautaire - conseil",
           "Client mystère - audit", "Date de livraison express", "Réparation 2e étage"),
    item_details=("Du 1er au 31 mars", "Client : site de Lyon", "y compris déplacement"),
    vendor_cores=("L'Atelier du Bois", "Dupont & Fils", "Société Générale de Nettoyage",
                  "D'Artagnan Conseil"),
    number_patterns=("F{Y}{z4}", "FA {Y}-{z3}", "{n5}", "{A}{A}-{z5}"),
)

XES = replace(
    WES,
    labels={
        **WES.labels,
        "number": ("Factura Nº", "Núm.", "Nº de factura", "Número de documento",
                   "Factura n.º", "Número factura"),
        "date": ("Fecha de factura", "Fecha expedición", "Fecha", "Fecha de emisión"),
        "total": ("Total a abonar", "Importe líquido", "Líquido a pagar", "TOTAL (€)",
                  "Total factura (IVA incl.)", "Total IVA incluido"),
        "subtotal": ("Suma", "Base imponible", "Total sin IVA", "Subtotal (sin IVA)"),
        "tax": ("I.V.A. ({rate}%)", "Cuota de IVA {rate}%", "IVA {rate}%"),
    },
    columns={
        "pos": ("Nº", "Línea"),
        "code": ("Código", "Ref."),
        "description": ("Descripción", "Concepto / Servicio", "Artículo"),
        "quantity": ("Cantidad", "Uds.", "Horas"),
        "unit_price": ("Precio (€)", "Precio unidad", "P.V.P."),
        "amount": ("Importe (€)", "Total", "Importe"),
    },
    items=("Total de horas de soporte", "Neto de portes", "IVA intracomunitario - asesoría",
           "Cliente final - instalación", "Fecha extra de formación", "Reparación 2ª planta"),
    item_details=("Del 1 al 31 de marzo", "Cliente: tienda centro", "incluye materiales"),
    vendor_cores=("Hermanos Ruiz & Cía", "Talleres O'Donnell", "Construcciones Peña",
                  "Gestoría Martín"),
    number_patterns=("{Y}/{n4}", "FV-{Y}-{z4}", "A{n5}", "{A}-{z4}/{y}"),
)

XNL = replace(
    WNL,
    labels={
        **WNL.labels,
        "number": ("Factuurnummer", "Fact.nr.", "Nummer factuur", "Factuur #", "Factuurnr"),
        "date": ("Datum van factuur", "Factuurdatum", "Datum", "Factuur datum"),
        "total": ("Totaal te voldoen", "Te betalen bedrag", "Totaalbedrag incl. btw",
                  "Eindbedrag", "Te betalen (EUR)", "Totaal inclusief btw"),
        "subtotal": ("Totaal exclusief btw", "Subtotaal", "Bedrag excl. btw",
                     "Totaal (excl. btw)"),
        "tax": ("Btw {rate}%", "BTW-bedrag ({rate}%)", "B.T.W. {rate}%"),
    },
    columns={
        "pos": ("Nr.", "#"),
        "code": ("Artikelnr.", "Code"),
        "description": ("Omschrijving", "Product / dienst", "Werkzaamheden"),
        "quantity": ("Aantal", "Uren", "Aantal (st.)"),
        "unit_price": ("Prijs (EUR)", "Tarief", "Stukprijs excl. btw"),
        "amount": ("Bedrag (EUR)", "Totaal", "Bedrag"),
    },
    items=("Totaal onderhoud cv-ketel", "Netwerk aanleg 2e verdieping", "Btw-aangifte Q1",
           "Klantendag organisatie", "Datum prikker ontwerp", "Van Gogh print (A2)"),
    item_details=("Van 1 t/m 31 maart", "Klant: vestiging Noord", "inclusief materiaal"),
    vendor_cores=("'t Gilde Drukwerk", "Van Dijk Installaties", "De Boer & Zn.",
                  "Van 't Hek Schilders"),
    number_patterns=("{Y}{z4}", "F{y}-{z4}", "{n6}", "VF-{Y}-{z3}"),
)

# fmt: on

POOLS = replace(WIDE, name="wide2", languages=(XEN, XDE, XFR, XES, XNL))
assert isinstance(POOLS, Pools)
