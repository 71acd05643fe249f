"""A line-item table's header row: which columns there are, in which order.

    Pos  Art.-Nr.  Leistungsbeschreibung  Stk.  Preis/Einheit  Gesamtpreis
    N°   Désignation des prestations      Qté   PU HT          Prix total (EUR)

Column words come in many languages and abbreviations; a header may also say more than
its column's name ("Désignation des prestations", "Amount (excl. VAT)"). So: remarks in
brackets are dropped, the column words are found (the longest phrase at each word), a
word that names two roles ("Artikel": the article's number or its name; "Item": its
position or its name) takes the one the header still lacks, and words the vocabulary
lacks are allowed where they extend a column's name — as long as most of the header is
column words, it has an amount column, and no role appears twice.
"""

from __future__ import annotations

import re

from openpal.steps.invoice_lexicon import Label, find_phrases, fold, phrase_index

__all__ = ["find_header"]

_COLUMNS = phrase_index(
    {
        "pos": """pos|position|line|ln|lin|linea|ligne|lijn|regel|riga|no|nr|n|#|
            line no|lfd nr|lfd|pos nr|nro|num""",
        "code": """code|item code|article no|article number|art no|art nr|artikelnr|
            artikelnummer|artikel nr|sku|part no|part number|product code|product no|ref|
            reference|codigo|codice|code article|artikelcode|cod|ref article|referencia|
            id|ean|material|materialnr|material nr|art nr|item number|catalog no|
            referentie|art code|artcode|code produit|cod articulo|productcode|
            materialnummer|part #|catalog #|catalogue no|model|model no|item #|item no|
            style no|ref nr|artnr|product id|item id|barcode|gtin""",
        "description": """description|items|service|services|product|products|
            designation|libelle|details|detail|detalle|particulars|task|activity|work|
            item description|description of goods|goods|description of services|
            beschreibung|bezeichnung|leistung|leistungen|text|produkt|leistungsbeschreibung|
            artikelbezeichnung|concepto|descripcion|producto|servicio|omschrijving|
            beschrijving|dienst|diensten|descrizione|prodotto|servizio|descricao|produto|
            servico|prestation|prestations|objet|produit|produits|libelle article|
            bezeichnung der leistung|naam|benaming|denominacion|tatigkeit|taetigkeit|
            werkzaamheden|specificatie|artikelomschrijving|producten|name|work performed|
            product service|products services|item and description|description of work|
            services rendered|positionstext|leistungstext|designation article|
            descripcion del articulo|omschrijving product|item name|product name|
            service name|nom|naam product""",
        "quantity": """qty|quantity|units|hours|hrs|days|pcs|menge|anzahl|anz|stuck|stk|
            std|stunden|quantite|qte|nombre|nb|cantidad|cant|uds|unidades|horas|aantal|
            hoeveelheid|uren|stuks|quantita|qta|ore|quantidade|qtd|qde|qty ordered|
            qty shipped|no of units|menge einheit|heures|jours|tage|dagen|eenheden|
            einheiten|unites|aant|stuk|unid|ud|no of items|number of items|items qty|
            quantities|number of units|nombre d unites""",
        "unit_price": """unit price|price|rate|unit cost|each|price per unit|price unit|
            cost|einzelpreis|preis|e preis|stuckpreis|ep|preis je einheit|preis einheit|
            preis pro einheit|prix unitaire|p u|pu|p u ht|pu ht|prix|prix ht|prix u|
            prix unitaire ht|prix u ht|precio|precio unitario|precio unit|p unitario|
            p unit|prijs|stukprijs|prijs per stuk|prijs st|prijs per eenheid|tarief|
            eenheidsprijs|prezzo|prezzo unitario|preco|preco unitario|valor unitario|
            unit price excl vat|hourly rate|stundensatz|taux horaire|tarifa|tarif|
            tarif unitaire|uurtarief|rate per hour|price each|unit rate|net price|fee|fees|
            rate hr|per hour|precio por unidad|precio unidad|precio ud|importe unitario|pvp|
            einzelpreis netto|preis netto|prix net|prix unitaire net|unit amount|
            price per item|cost per unit|unit fee|bedrag per stuk|prijs per eenheid|
            einzelpr|prix unit|preco unit|stuckpr|unit value|unit pr|p v p|pvp|p v p""",
        "amount": """amount|total|line total|net amount|net|sum|betrag|gesamt|gesamtpreis|
            summe|netto|nettobetrag|montant|montant ht|total ht|importe|subtotal|bedrag|
            totaal|importo|totale|valor|valor total|amount excl vat|line amount|
            gesamtbetrag|total line|bedrag excl btw|importe neto|amt|extension|gp|
            prix total|total ligne|montant total|total linea|importe total|neto|
            regeltotaal|totaalbedrag|line net|net total|ext price|extended|
            gesamt netto|positionsbetrag|totaal excl btw|subtotaal|montant net|
            total price|totaalprijs|charges|charge|value|base|importe base|line value|
            gesamtpr|total amount|totalpreis|montant ligne|importe linea|
            bedrag regel|ext amount|ext price|amount due""",
        "vat": """vat|tax|vat %|mwst|ust|tva|iva|btw|tax rate|vat rate|steuer|mwst satz|
            tva %|iva %|btw %|ust %|steuersatz|taux tva""",
        "unit_name": """unit|uom|einheit|me|unite|unidad|eenheid|unita|unidade|
            unit of measure""",
        "date": """date|service date|datum|leistungsdatum|lieferdatum|fecha|date de prestation|
            leverdatum""",
        "either": """artikel|article|articulo|articolo|artigo|item|position no""",
        "skip": """eur|usd|gbp|chf|excl|incl|ht|ttc|per|in|en|the|de|la|du|der|die|des|
            o|°|of|van|del|los|las|le|les|a""",
    }
)
_DESCRIBED = ("description", "code")  # "either": a description, else an article code
_WORDY = ("description", "amount", "quantity")  # in several words: "Betrag netto"
MAX_UNKNOWN_SHARE = 0.5  # of a header's words that may be words no column names


def _split_code(text: str, found: list[Label], roles: list[str]) -> list[str]:
    """ "Code Produit", "Réf. Article" read as one code column where the header names no
    description: two columns, the article's code and its name."""
    for p in found:
        first = re.match(r"[^\W_]+\W*", text[p.start : p.end])
        if p.concept != "code" or not first or first.end() >= p.end - p.start:
            continue
        tail = find_phrases(text[p.start + first.end() : p.end], _COLUMNS)
        if [t.concept for t in tail] in (["description"], ["either"]):
            at = roles.index("code")
            return [*roles[: at + 1], "description", *roles[at + 1 :]]
    return roles


_QUALIFIER = re.compile(
    r"(?i)\b(?:excl|incl|exkl|inkl|zzgl|ohne|hors|sans|sin|con|zonder|met|ex|inc|plus)\.?"
    r"\s*(?:vat|btw|tva|iva|mwst|ust|tax|taxes|gst|igic)\b\.?"
)
_SINGLE: dict[str, set[str]] = {}
for _first, _options in _COLUMNS.items():
    for _words, _concept in _options:
        if len(_words) == 1 and len(_first) > 3 and _concept != "skip":
            _SINGLE.setdefault(_first, set()).add(_concept)


def _expand(text: str) -> str:
    """Abbreviations written with a full stop ("Einzelpr.", "Aant.", "Unid.") as the one
    column word they start, where all the words they may start name one role."""

    def one(m: re.Match[str]) -> str:
        word = fold(m.group(1))
        if word in _COLUMNS:
            return m.group(0)
        whole = [w for w in _SINGLE if w.startswith(word)]
        roles = {r for w in whole for r in _SINGLE[w]}
        return f"{min(whole, key=len)} " if len(roles) == 1 else m.group(0)

    return re.sub(r"([^\W\d_]{3,})\.", one, text)


_MARKS = frozenset({"#", "no", "nr", "n", "nro", "num"})
_NETS = frozenset({"net", "netto", "neto", "nett", "brutto", "gross"})


def _joined(text: str, found: list[Label]) -> list[Label]:
    """One label per column: words joined by "/" name one column ("Item/Service",
    "Hrs/Qty", "Preis/Std."; the first word's role unless it is only "either"), and a
    "#" or "No." right after a column's word is part of it ("Line #", "SKU #")."""
    out: list[Label] = []
    for k, p in enumerate(found):
        gap = text[out[-1].end : p.start] if out else ""
        word = fold(text[p.start : p.end]).strip(" .")
        mark = word in _MARKS and not gap.strip(" .")
        # "E-Preis netto | Gesamt": a qualifier, where a sum's column follows
        later = any(q.concept == "amount" for q in found[k + 1 :])
        mark = mark or (word in _NETS and not gap.strip() and later)
        joined = ("/" in gap or "&" in gap) and not gap.strip(" /&")  # "Item & Description"
        if out and (joined or mark):
            if out[-1].concept == "either" and not mark:
                out[-1] = Label(p.concept, out[-1].start, p.end, False)
            else:
                out[-1] = Label(out[-1].concept, out[-1].start, p.end, False)
            continue
        out.append(p)
    return out


def find_header(line: str) -> list[str] | None:
    """The column roles of `line` in order, if it is a table header."""
    if re.search(r"\d[.,]\d", line) or len(line) > 200:
        return None
    text = re.sub(r"\([^()]{0,40}\)", " | ", line)  # "Amount (excl. VAT)": a remark
    text = _expand(_QUALIFIER.sub(" ", text))  # "Prijs excl. btw", "Einzelpr."
    found = find_phrases(text, _COLUMNS)
    words = re.findall(r"[^\W_]+|#", fold(text))
    covered = sum(len(re.findall(r"[^\W_]+|#", fold(text[p.start : p.end]))) for p in found)
    if covered < len(words) * (1 - MAX_UNKNOWN_SHARE):
        return None
    roles = [p.concept for p in _joined(text, [p for p in found if p.concept != "skip"])]
    if roles[:2] == ["code", "code"] and "pos" not in roles:  # "Item # | Ref.": position, code
        roles[0] = "pos"
    # one column named in several words: "Désignation des prestations", "Betrag netto"
    roles = [r for k, r in enumerate(roles) if not k or r != roles[k - 1] or r not in _WORDY]
    if "description" not in roles and "either" not in roles:
        roles = _split_code(text, found, roles)
    if roles.count("either"):
        free = [r for r in _DESCRIBED if r not in roles]
        for k, role in enumerate(roles):
            if role == "either":
                roles[k] = free.pop(0) if free else "description"
    if "unit_name" in roles and "quantity" not in roles and "unit_price" in roles:
        roles[roles.index("unit_name")] = "quantity"  # "Unit(s)", "Unités": how many
    if "unit_name" in roles and "unit_price" not in roles:  # "ITEM QTY UNIT AMT": unit price
        roles[roles.index("unit_name")] = "unit_price"
    if "amount" not in roles and roles[-1:] == ["unit_price"] and "quantity" in roles:
        roles[-1] = "amount"  # "Qty | Cost": the last column is the line's sum
    if "amount" not in roles and "unit_price" in roles and "quantity" not in roles:
        roles[roles.index("unit_price")] = "amount"  # "Description Price": the line's sum
    # a position column's word after the first column ("Total línea", "Item #") is no column
    while "pos" in roles[1:] and roles[0] != "pos" and len(roles) > 2:
        roles.remove("pos")
    if roles.count("amount") == 2:  # "Subtotal | IVA | Total", "Montant HT | TVA | Montant TTC"
        roles[len(roles) - 1 - roles[::-1].index("amount")] = "gross"  # the line's net is read
    if len(roles) < 2 or len(set(roles)) != len(roles) or "amount" not in roles:
        return None
    return roles
