"""Words that say what kind of document a text is (an invoice, a credit note, a receipt,
or a statement, delivery note, quotation, order, letter or CV that must be refused), and
the legal forms that end a company's name, and the generic words that are a label only
at the start of a segment or before a colon — in English, German, French, Spanish, Dutch,
Italian and Portuguese, matched like the lexicon's labels (`invoice_lexicon`).
"""

from __future__ import annotations

__all__ = ["COLON_ONLY", "KIND_WORDS", "LEGAL_FORMS", "WEAK"]


def _words(text: str) -> list[str]:
    return text.split("|")


# Words that say what kind of document this is (matched like labels).
KIND_WORDS: dict[str, str] = {
    "invoice": """invoice|tax invoice|commercial invoice|proforma invoice|bill|
        sales invoice|service invoice|final invoice|interim invoice|verkoopfactuur|
        eindfactuur|voorschotfactuur|deelfactuur|schlussrechnung|abschlagsrechnung|
        teilrechnung|sammelrechnung|endrechnung|facture de vente|facture definitive|
        factura simplificada|factura de venta|fattura di vendita|
        rechnung|steuerrechnung|facture|factura|factuur|fattura|fatura|nota fiscal""",
    "credit_note": """credit note|credit memo|gutschrift|rechnungskorrektur|stornorechnung|
        avoir|facture d avoir|nota de credito|factura rectificativa|creditnota|
        creditfactuur|nota di credito|nota de credito""",
    "receipt": """receipt|sales receipt|cash receipt|quittung|kassenbon|kassenbeleg|beleg|
        recu|ticket de caisse|recibo|ticket|kwitantie|kassabon|bon|ricevuta|scontrino""",
    "statement": """statement|bank statement|account statement|statement of account|
        kontoauszug|releve|releve de compte|releve bancaire|extracto|extracto bancario|
        rekeningafschrift|afschrift|estratto conto|extrato|extrato bancario|
        opening balance|closing balance|anfangssaldo|endsaldo|solde""",
    "delivery_note": """delivery note|packing slip|packing list|dispatch note|lieferschein|
        bon de livraison|bordereau de livraison|albaran|nota de entrega|pakbon|
        afleverbon|documento di trasporto|bolla di consegna|guia de remessa""",
    "quote": """quote|quotation|estimate|offer|proposal|angebot|kostenvoranschlag|devis|
        presupuesto|cotizacion|offerte|preventivo|orcamento""",
    "purchase_order": """purchase order|bestellung|bon de commande|orden de compra|
        inkooporder|ordine d acquisto|ordem de compra|order confirmation|
        auftragsbestatigung|confirmation de commande""",
    "letter": """dear|sincerely|kind regards|best regards|yours faithfully|
        sehr geehrte|sehr geehrter|mit freundlichen grussen|freundliche grusse|
        madame|monsieur|cordialement|salutations|estimado|estimada|atentamente|
        saludos|geachte|met vriendelijke groet|gentile|egregio|distinti saluti|
        cordiali saluti|prezado|prezada|atenciosamente""",
    "cv": """curriculum vitae|resume|work experience|professional experience|education|
        skills|lebenslauf|berufserfahrung|ausbildung|kenntnisse|experience professionnelle|
        formation|competences|experiencia laboral|formacion|habilidades|werkervaring|
        opleiding|vaardigheden|esperienza lavorativa|istruzione|competenze|
        experiencia profissional|formacao""",
}

# Legal forms that end a company's name.
LEGAL_FORMS = frozenset(
    _words(
        "gmbh|ag|kg|ohg|ug|gbr|ev|se|ltd|limited|llc|llp|lp|inc|incorporated|corp|corporation|"
        "co|plc|pty|bv|nv|vof|sa|sas|sarl|sasu|eurl|sl|slu|sa de cv|spa|srl|snc|lda|ab|"
        "as|oy|aps|kft|sp|zoo|group|gruppe|company|cie|partners|associates|holding|ek|ekfr|cv|"
        "kgaa|eenmanszaak|pllc|bvba|sprl|gesmbh|mbh"
    )
)


# Single generic words that name a field only when they start a segment of the line or
# are followed by ":" (a "no" or "date" inside a sentence is no label).
WEAK = frozenset(
    _words(
        "no|nr|n|#|number|nummer|numero|num|date|datum|fecha|data|le|to|an|from|due|order|"
        "von|van|de|da|ref|reference|account|bank|net|tax|total|summe|betrag|bedrag|price|"
        "rate|qty|amount|payment|paid|credit|delivery|period|issued|dated|project|company|"
        "firma|empresa|printed|created|client|customer|page|pag|tin|ein|abn|po|p o|ust|iva|"
        "btw|tva|gst"
    )
)

# Words that are a label only when a colon follows ("Van: Mulder Media", not "Van der Berg").
COLON_ONLY = frozenset({"von", "van", "de", "da", "le", "an", "n"})
