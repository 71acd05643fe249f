"""Label phrases composed from their parts: a word for the document ("invoice", "Rechnung",
"facture", "factura", "factuur", "fattura", abbreviations such as "Rg.", "Fra.", "Inv.")
with a word for a number or a date ("No.", "Nr.", "Nbr", "n°", "número", "Nummer", "ref",
"Datum", "fecha"…), in either order, with the small words that join them ("numéro de la
facture", "Datum der Rechnung", "date of invoice"), and the one-word compounds of German
and Dutch ("Belegnummer", "Dokumentdatum", "factuurnr").

Real invoices combine these parts far more freely than any list of whole labels can
follow, so the lexicon (`invoice_lexicon`) adds every combination to its own phrases.
"""

from __future__ import annotations

__all__ = ["composed_phrases"]

# Words for the document itself (folded: lower case, no accents; "." and "-" are gaps).
# English ones (and "document") name the document before the number: "Invoice No.",
# never "No. Invoice"; elsewhere either order ("Numéro de facture", "Rechnung Nr.").
ENGLISH = "invoice|inv|bill|billing|receipt|credit note|credit memo|sales invoice|tax invoice"
DOCUMENT = (
    "document|doc|rechnung|rechnungs|re|rg|rech|beleg|belegs|dokument|dokuments|gutschrift|"
    "quittung|facture|fact|fac|piece|avoir|recu|factura|fra|documento|recibo|factuur|"
    "creditnota|fattura|ricevuta|fatura|nota|faktura|fakt|invoicing|vorgang|vorgangs"
)
# Words for the document that may follow the number's word ("Numéro de facture", "Nº
# factura", "Nummer factuur"; German and English put the document first).
NUMBER_FIRST = (
    "document|doc|facture|fact|fac|piece|avoir|recu|factura|fra|documento|recibo|factuur|"
    "creditnota|fattura|ricevuta|fatura|nota"
)
# What a date's word may say happened on it: "Fecha expedición", "Date d'émission".
ISSUE_WORDS = (
    "emision|expedicion|facturacion|emission|edition|facturation|ausstellung|uitgifte|"
    "facturatie|emissione|emissao|issue|issuance|billing|invoicing|rechnungsstellung"
)
# German and Dutch run the parts together: "Beleg" + "nummer".
COMPOUND_HEADS = (
    "rechnungs|beleg|belegs|dokument|dokuments|gutschrift|gutschrifts|factuur|document|faktura|"
    "vorgangs"
)
NUMBER = (
    "no|nr|nbr|nmbr|num|nro|n|number|nummer|numero|numer|#|id|ref|reference|referencia|"
    "referentie|riferimento|code|serial|serial no|serial number|ident|kennung|kenmerk"
)
NUMBER_TAILS = "nummer|nr|no|nummern"
DATE = "date|datum|fecha|data|dated|dato"
DATE_TAILS = "datum"
ISSUED = (
    "issued|issued on|date issued|emitted|ausgestellt am|ausgestellt|erstellt am|emise le|"
    "emis le|etablie le|editee le|emitida el|emitida|expedida el|uitgegeven op|"
    "gefactureerd op|emessa il|emitida em"
)
# Small words between the parts ("numéro de la facture", "Datum der Rechnung").
JOINS = (
    "",
    "of",
    "of the",
    "de",
    "de la",
    "de l",
    "du",
    "del",
    "der",
    "des",
    "van",
    "van de",
    "della",
    "do",
    "da",
    "dell",
)
# Words before the parts ("Our invoice no.", "Ihre Rechnungsnummer" is the vendor's own).
OWNERS = ("", "our", "this", "unsere", "ons", "onze", "notre", "nuestra", "nuestro")


# A sum's word with what it leaves out or holds: "Totaal exclusief btw" is the net sum,
# "Summe inkl. MwSt." the grand total.
SUMS = (
    "total|totaal|summe|gesamt|gesamtsumme|gesamtbetrag|betrag|bedrag|totaalbedrag|"
    "importe|importe total|montant|montant total|amount|sum|totale|importo|valor|"
    "rechnungsbetrag|invoice total|total amount"
)
WITHOUT = (
    "excl|exclusief|excluding|exclusive of|ex|sin|sans|hors|ohne|before|vor|antes de|"
    "zonder|exkl|without|excl of|net of|senza|sem|zzgl"
)
WITH = "incl|inclusief|including|inclusive of|inc|inkl|con|avec|met|with|compris|incluido|mit"
TAXES = "vat|btw|tva|iva|mwst|ust|tax|taxes|impuestos|steuer|steuern|gst|taxe|i v a|b t w|t v a"
NET = "net|netto|neto|nett|ht|hors taxes|before tax|sin iva|excl btw"
GROSS = "brutto|gross|ttc|iva incluido|incl btw|iva incl|tax incl|vat incl"


def _split(text: str) -> list[str]:
    return [w.strip() for w in text.split("|") if w.strip()]


def _pairs(heads: list[str], tails: list[str], joins: tuple[str, ...]) -> set[str]:
    out = set()
    for head in heads:
        for tail in tails:
            for join in joins:
                out.add(" ".join(w for w in (head, join, tail) if w))
    return out


def composed_phrases() -> dict[str, str]:
    """{concept: "phrase|phrase…"} for `invoice_number` and `invoice_date`."""
    documents = _split(DOCUMENT) + _split(ENGLISH)
    numbers = _split(NUMBER)
    dates = _split(DATE)
    heads = _split(COMPOUND_HEADS)
    number = _pairs(documents, numbers, ("",)) | _pairs(numbers, _split(NUMBER_FIRST), JOINS)
    number |= {h + t for h in heads for t in _split(NUMBER_TAILS)}
    number |= {
        f"{owner} {p}" for owner in OWNERS if owner for p in _pairs(documents, numbers, ("",))
    }
    number |= {
        f"{owner} {h}{t}" for owner in OWNERS if owner for h in heads for t in ("nummer", "nr")
    }
    date = _pairs(documents, dates, ("",)) | _pairs(dates, _split(DOCUMENT), JOINS)
    issues = _split(ISSUE_WORDS)
    date |= _pairs(dates, issues, ("", "de", "d", "of", "der", "van", "di")) | _pairs(
        issues, dates, ("",)
    )
    date |= {f"date of {d}" for d in _split(ENGLISH)}
    date |= {f"{d} {word}" for d in documents for word in ("vom", "du", "del", "dated")}
    on = ("van", "le", "el", "op", "am", "on", "il", "em")  # "Factuur van Dijk": a hint only
    hint = {f"{d} {word}" for d in documents for word in on}  # "Facturé le 14/03/2026"
    number |= {"serie y numero", "serie numero", "serie n", "serie no"}  # Spain
    date |= {h + t for h in heads for t in _split(DATE_TAILS)}
    date |= set(_split(ISSUED))
    sums, taxes = _split(SUMS), _split(TAXES)
    net = _pairs(sums, _split(NET), ("",)) | {
        f"{s} {w} {t}" for s in sums for w in _split(WITHOUT) for t in taxes
    }
    gross = _pairs(sums, _split(GROSS), ("",)) | {
        f"{s} {w} {t}" for s in sums for w in _split(WITH) for t in taxes
    }
    return {
        "invoice_number": "|".join(sorted(number)),
        "invoice_date": "|".join(sorted(date)),
        "invoice_date_hint": "|".join(sorted(hint)),  # only where a date follows
        "subtotal": "|".join(sorted(net)),
        "total": "|".join(sorted(gross)),
        "tax": "i v a|b t w|t v a|m w st|u st|mwst betrag|iva importe",
    }
