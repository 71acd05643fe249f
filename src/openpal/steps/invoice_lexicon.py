"""The words around an invoice's fields, in English, German, French, Spanish, Dutch,
Italian and Portuguese: what a label before (or above) a value says that value is.

Written from how real invoices are labelled, not from any test corpus. Every phrase
is matched case- and accent-insensitively on whole words (`find_labels`); the longest
phrase wins where several start at the same word ("net total" is a subtotal, not a
total; "invoice date" is a date, not an invoice number). Concepts that are not fields
(due dates, order numbers, VAT ids, bank details…) are here so that their values are
claimed by them and never taken for a field: they are the decoys.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from openpal.steps.invoice_phrases import composed_phrases
from openpal.steps.invoice_spelling import read_word
from openpal.steps.invoice_words import COLON_ONLY, KIND_WORDS, LEGAL_FORMS, WEAK

__all__ = [
    "COLON_ONLY",
    "KIND_WORDS",
    "LEGAL_FORMS",
    "WEAK",
    "Label",
    "find_kinds",
    "find_labels",
    "find_phrases",
    "fold",
    "phrase_index",
]


_PHRASES: dict[str, str] = {
    "invoice_number": """
        invoice number|invoice no|invoice nr|invoice num|invoice #|invoice id|invoice ref|
        invoice reference|invoice code|inv no|inv nr|inv #|bill no|bill number|bill #|
        tax invoice no|tax invoice number|receipt no|receipt number|receipt #|
        credit note no|credit note number|credit memo no|document no|document number|doc no|
        rechnungsnummer|rechnungsnr|rechnung nr|rechnungs nr|rechnungs nummer|re nr|
        belegnummer|belegnr|beleg nr|gutschriftsnummer|gutschrift nr|quittungsnummer|
        numero de facture|n de facture|no de facture|facture n|facture no|facture numero|
        numero facture|n facture|numero d avoir|avoir n|numero de recu|
        numero de factura|n de factura|no de factura|num factura|factura n|factura no|
        numero factura|factura numero|n factura|numero de recibo|
        factuurnummer|factuurnr|factuur nr|factuur nummer|creditnotanummer|bonnummer|
        numero fattura|n fattura|fattura n|fattura numero|numero documento|
        numero da fatura|n da fatura|fatura n|fatura no|numero do recibo|
        no|nr|n|#|number|nummer|numero|num|ref no""",
    "invoice_date": """
        invoice date|date of invoice|date of issue|issue date|issued on|issued|date issued|
        billing date|bill date|tax point|tax date|receipt date|credit note date|document date|
        rechnungsdatum|rechnungs datum|ausstellungsdatum|belegdatum|datum der rechnung|
        date de facture|date de la facture|date d emission|date facture|emis le|emise le|
        fecha de factura|fecha factura|fecha de emision|fecha emision|fecha de expedicion|
        factuurdatum|factuur datum|datum factuur|uitgiftedatum|
        data fattura|data della fattura|data di emissione|data emissione|
        data da fatura|data de emissao|data emissao|
        date|datum|fecha|data|dated|le""",
    # words that put a date right after a document's number ("Rechnung 12 vom 14.03.2026")
    "invoice_date_hint": "vom|du|del|dated|datiert|gedateerd|emitida el|de fecha",
    "due_date": """
        due date|date due|payment due|due by|due on|pay by|payment date|payable by|
        payment deadline|due|falligkeitsdatum|fallig am|fallig|falligkeit|fallig bis|zahlbar bis|
        zahlungsziel|zahlungsfrist|zahlbar am|betalen voor|betalen uiterlijk|date limite|
        date limite de paiement|a regler avant le|a regler avant|a regler le|vence el|vence|vto|
        fecha de vto|payment due date|pay before|please pay by|zahlbar bis zum|date d echeance|
        echeance|a payer avant le|payable avant|fecha de vencimiento|echeance le|vence el|
        vencimiento|fecha limite de pago|vervaldatum|vervaldag|uiterste betaaldatum|
        te betalen voor|scadenza|data di scadenza|data scadenza|data de vencimento|vencimento|
        valid until|gultig bis|valable jusqu au|pay within|please pay within|payable within|
        zahlbar innerhalb""",
    "other_date": """
        delivery date|date of delivery|service date|date of service|order date|ship date|
        shipping date|dispatch date|performance date|supply date|period|billing period|
        service period|leistungsdatum|lieferdatum|leistungszeitraum|bestelldatum|date de livraison|
        date de commande|date de prestation|periode|fecha de entrega|fecha de pedido|
        fecha de servicio|periodo|leverdatum|datum levering|besteldatum|leveringsdatum|
        data di consegna|data ordine|data de entrega|data do pedido|printed|created|livre le|
        livree le|geliefert am|entregado el|geleverd op|delivered on|shipped on|shipped|
        service period end|period end|period start|period ending""",
    "order_number": """
        order number|order no|order nr|order #|order ref|order reference|order|purchase order|
        albaran|contract ref|contract reference|purchase order no|po number|po no|po #|p o|p o #|
        po|your reference|our reference|your order|delivery note no|contract no|contract number|
        project no|project|job no|quote no|bestellnummer|bestellung|ihre bestellung|auftragsnummer|
        auftrag|auftrags nr|ihr zeichen|unser zeichen|lieferschein nr|lieferscheinnummer|
        bon de commande|commande|numero de commande|votre reference|reference commande|
        notre reference|pedido|numero de pedido|n de pedido|su referencia|bestelnummer|bestelling|
        uw referentie|ordernummer|ordine|numero ordine|vostro riferimento|encomenda|
        numero da encomenda""",
    # a bare "Reference": an order's or the invoice's own; the number only as a last resort
    "reference": """reference|ref|reference no|referenz|referencia|riferimento|referentie|
        referencia n|ref nr""",
    "customer_number": """
        customer number|customer no|customer nr|customer id|customer #|customer code|client number|
        client no|client id|account number|account no|account id|account|member no|kundennummer|
        kundennr|kunden nr|debitorennummer|numero client|n client|code client|numero de cliente|
        n cliente|codigo de cliente|klantnummer|n de cliente|no de cliente|n de client|
        no de client|n du client|account #|acct #|acct no|account ref|client #|member #|member id|
        subscriber id|klantnr|debiteurnummer|codice cliente|numero cliente|n cliente""",
    "tax_id": """
        vat no|vat number|vat reg no|vat registration|vat registration number|vat id|
        tax id|tax no|tax number|tin|ein|gst no|abn|company no|company number|
        registration no|reg no|ust idnr|ust id|ust id nr|ustid|steuernummer|steuer nr|
        st nr|handelsregister|hrb|amtsgericht|siret|siren|tva intracommunautaire|
        n tva|numero de tva|rcs|nif|cif|nif cif|btw nummer|btw nr|btw id|kvk|kvk nummer|
        partita iva|p iva|codice fiscale|nipc|contribuinte""",
    "bank": """
        iban|bic|swift|swift code|sort code|bank|bank account|bank details|routing number|
        account holder|bankverbindung|kontoinhaber|kontonummer|blz|banque|rib|
        coordonnees bancaires|banco|cuenta|rekeningnummer|rekening|banca|conto""",
    "contact": """
        phone|tel|telephone|fax|mobile|email|e mail|web|website|www|telefon|handy|
        telefono|telefoon|telefone""",
    "total": """
        total|grand total|total due|amount due|balance due|total amount|amount payable|
        total payable|invoice total|total to pay|total incl vat|total including vat|
        total inc vat|total gross|gross total|gross amount|
        total amount due|amount to pay|pay this amount|total price|
        credit total|total credit|amount credited|refund total|
        gesamtbetrag|gesamtsumme|gesamt|rechnungsbetrag|endbetrag|bruttobetrag|
        rechnungssumme|zu zahlen|zahlbetrag|summe|gesamtbetrag brutto|betrag|
        liquido a pagar|importe liquido|total a abonar|a abonar|liquido|
        te voldoen|totaal te voldoen|te betalen bedrag|please pay|invoice amount|
        somme a payer|factuurbedrag|nog te betalen|openstaand bedrag|eindbedrag|
        totaalprijs|total price|total invoice amount|amount owing|amount owed|
        montant a regler|total a regler|reste a payer|montant net a payer|
        zu zahlender betrag|endsumme|gesamt brutto|bruttosumme|rechnungsendbetrag|
        total con iva|total iva incluido|importe total a pagar|totaal incl btw|
        total ttc|montant ttc|montant total|total a payer|net a payer|montant a payer|
        montant du|somme due|total general|
        importe total|total a pagar|total factura|importe a pagar|total general|
        totaal|totaalbedrag|te betalen|totaal te betalen|totaal incl btw|eindtotaal|
        bedrag|totale|totale fattura|totale da pagare|importo totale|totale documento|
        netto a pagare|valor total|total a pagar|valor a pagar|montante total""",
    "subtotal": """
        subtotal|sub total|net total|total net|net amount|net|total excl vat|total excluding vat|
        total before tax|total ht|montant ht|total hors taxes|sous total|zwischensumme|nettobetrag|
        netto|summe netto|gesamt netto|nettosumme|warenwert|base imponible|base ht|base hors taxes|
        subtotal sin iva|importe neto|subtotaal|totaal excl btw|netto bedrag|imponibile|
        totale imponibile|totale netto|valor liquido|total sem iva|total iliquido|
        amount before tax|amount excl vat|amount excluding vat|amount before vat|net value|
        nettowert""",
    "tax": """
        tax|vat|sales tax|vat amount|vat total|total vat|total tax|tax amount|gst|hst|pst|
        mwst|mehrwertsteuer|umsatzsteuer|ust|zzgl mwst|zzgl ust|inkl mwst|
        tva|montant tva|total tva|iva|cuota iva|importe iva|btw|btw bedrag|
        imposta|totale iva|iva 22|valor iva|total iva""",
    "other_amount": """
        discount|rabatt|skonto|remise|descuento|korting|sconto|desconto|shipping|
        delivery|freight|versand|porto|frais de port|envio|verzending|spedizione|
        amount paid|paid|payment|deposit|advance|prepaid|previous balance|credit|
        bereits bezahlt|anzahlung|acompte|deja paye|pagado|anticipo|betaald|
        aanbetaling|acconto|pago|unit price|price|rate|qty|quantity|amount""",
    "vendor": """
        from|von|van|de|da|vendor|seller|supplier|issued by|bill from|billed by|sold by|payee|
        provider|issued from|emis par|emise par|emitido por|emitida por|uitgegeven door|
        ausgestellt von|rechnungsaussteller|aussteller|fatturato da|emesso da|emitido por|company|
        merchant|service provider|contractor|invoice from|lieferant|verkaufer|rechnungssteller|
        absender|auftragnehmer|anbieter|leistungserbringer|fournisseur|emetteur|vendeur|
        prestataire|proveedor|emisor|vendedor|prestador|leverancier|verkoper|afzender|
        leverende partij|fornitore|cedente|emittente|venditore|prestatore|fornecedor|emitente|
        prestador de servicos|opdrachtnemer|uitgevende partij|crediteur|dienstverlener|
        verkopende partij|issuer|biller|supplier name|vendor name|company name|razon social|
        raison sociale|remit to|payable to|pay to|please pay to|make payable to|
        make checks payable to|remit payment to|make cheques payable to|send payment to|vendu par|
        zahlbar an|betalen aan|zahlungsempfanger|begunstigde|beneficiaire|beneficiario""",
    "customer": """
        bill to|billed to|billing address|invoice to|invoiced to|sold to|ship to|
        deliver to|delivery address|shipping address|customer|client|buyer|recipient|
        to|attn|attention|purchaser|
        rechnungsempfanger|rechnungsadresse|kunde|empfanger|auftraggeber|lieferadresse|
        an|kaufer|facturer a|facture a|adresse de facturation|destinataire|acheteur|
        livrer a|facturar a|cliente|destinatario|comprador|direccion de facturacion|
        factuur aan|factuuradres|klant|afnemer|koper|geadresseerde|
        intestatario|committente|acquirente|fatturare a|cessionario|
        faturar a|adquirente""",
    "currency": "currency|wahrung|devise|moneda|valuta|moeda",
    "unit_name": "unit|uom|einheit|unite|unidad|eenheid|unita|unidade",
    "page": "page|seite|pagina|blatt|pag|pagina|bladzijde",
    "carry": """carried forward|brought forward|carry over|carried over|ubertrag|
        a reporter|report a nouveau|suma y sigue|suma anterior|riporto|
        a transportar|van vorige pagina|naar volgende pagina""",
}


@dataclass(frozen=True)
class Label:
    """A label found on a line: its concept, where it is (characters), whether it is weak."""

    concept: str
    start: int
    end: int
    weak: bool


def fold(text: str) -> str:
    """Lower case without accents, one character for one (positions stay valid)."""
    out = []
    for char in text:
        if char in "ºª°":  # N°, Nº, N.º: a sign, not the letter o
            out.append("°")
            continue
        lower = char.lower()
        lower = lower if len(lower) == 1 else char
        out.append(unicodedata.normalize("NFKD", lower)[:1] or lower)
    return "".join(out)


_WORD_RE = re.compile(r"[^\W_]+|#")
_GAP = frozenset(" \t-./'°()")  # "Total (excl. VAT)" is one phrase


def _index(table: dict[str, str]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for concept, text in table.items():
        for phrase in text.replace("\n", "").split("|"):
            phrase = phrase.strip()
            words = tuple(_WORD_RE.findall(phrase.lower() if phrase.isascii() else fold(phrase)))
            if words:
                index.setdefault(words[0], []).append((words, concept))
    for options in index.values():
        options.sort(key=lambda item: -len(item[0]))
    return index


_COMPOSED = composed_phrases()
_LABELS = _index({k: f"{v}|{_COMPOSED.get(k, '')}" for k, v in _PHRASES.items()})
_KINDS = _index(KIND_WORDS)


Index = dict[str, list[tuple[tuple[str, ...], str]]]


def _matches(line: str, index: Index) -> list[Label]:
    folded = fold(line)
    words = [(read_word(m.group(0), index), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]
    found: list[Label] = []
    i = 0
    while i < len(words):
        for phrase, concept in index.get(words[i][0], ()):
            n = len(phrase)
            if i + n > len(words) or tuple(w for w, _, _ in words[i : i + n]) != phrase:
                continue
            gaps = (folded[words[k][2] : words[k + 1][1]] for k in range(i, i + n - 1))
            if all(set(gap) <= _GAP for gap in gaps):
                start, end = words[i][1], words[i + n - 1][2]
                found.append(Label(concept, start, end, " ".join(phrase) in WEAK))
                i += n - 1
                break
        i += 1
    return found


def find_labels(line: str) -> list[Label]:
    """The labels on `line`, left to right; a weak one only where it starts a segment
    (line start, after `|`, `;`, a wide gap or another label) or is followed by `:`,
    `#` or `.`."""
    out: list[Label] = []
    for label in _matches(line, _LABELS):
        if re.search(r"\w[.\-/]{1,2}$", line[: label.start]):
            continue  # the end of a compound the lexicon lacks ("Kd.-Nr.", "Debitoren-Nr.")
        if label.concept == "invoice_date_hint" and not re.match(r"\W{0,3}\d", line[label.end :]):
            continue  # "vom", "du", "del" name a date only before one ("L'Atelier du Bois")
        if label.weak:
            before = line[: label.start].rstrip(" \t")
            gap = line[len(before) : label.start]
            after = line[label.end :].lstrip(" ")
            starts = not before or before[-1] in "|;:" or "\t" in gap or "  " in gap
            # in a row of labels ("Invoice No. Date Customer No."), right after another
            between = line[out[-1].end : label.start] if out else ":"
            starts = starts or (not between.strip(" .#|") and ":" not in between)
            word = fold(line[label.start : label.end])
            sign = after[:1] in (":", "#", "°", "º") or (after[:1] == "." and len(word) > 1)
            if word in COLON_ONLY and after[:1] not in (":", "°", "º"):
                continue
            if not (starts or sign):
                continue
        out.append(label)
    return out


def phrase_index(table: dict[str, str]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """A table of {concept: "phrase|phrase…"} made ready for `find_phrases`."""
    return _index(table)


def find_phrases(line: str, index: dict[str, list[tuple[tuple[str, ...], str]]]) -> list[Label]:
    """The phrases of `index` on `line`, left to right, the longest at each word."""
    return _matches(line, index)


def find_kinds(line: str) -> list[Label]:
    """Words on `line` that name a kind of document (invoice, receipt, statement…)."""
    return _matches(line, _KINDS)
