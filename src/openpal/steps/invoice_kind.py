"""What kind of document a text is, so that a non-invoice is refused, not "extracted".

An invoice (or credit note, or receipt) names itself in some language and has a
labelled total; source code, letters, CVs, bank statements, delivery notes, quotes
and purchase orders are told apart by their own words and shape:

- source code: many lines that read as code (`def`, `import`, `return`, braces,
  statements ending in `;` or `:`);
- a letter: a salutation or closing and mostly sentences, no line items;
- a statement, delivery note, quote, order, CV: its own title words near the top and
  no invoice title there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpal.steps.invoice_lexicon import find_kinds

__all__ = ["Kind", "document_kind"]

_INVOICE_KINDS = ("invoice", "credit_note", "receipt")
_NAMES = {
    "statement": "a bank or account statement",
    "delivery_note": "a delivery note",
    "quote": "a quote or estimate",
    "purchase_order": "a purchase order",
    "cv": "a CV",
    "letter": "a letter",
}
_CODE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |return\b|elif\b|else:|try:|except\b|"
    r"finally:|with \S|for \S.* in \S|while \S|if \S.*:\s*$|@\w|#!|//|/\*|\*/|[{}]\s*$|"
    r"(?:const|let|var|public|private|function|fn|func|package|#include)\b)"
    r"|[;{]\s*$|^\s*\w+(?:\.\w+)*\s*=\s*\S.*[(\[{'\"]"
)
TOP_LINES = 12  # a document's title is among its first lines


@dataclass(frozen=True)
class Kind:
    kind: str  # invoice | credit_note | receipt | or what it is instead
    refusal: str | None  # why it is not an invoice; None when it is one


def _is_code(lines: list[str]) -> bool:
    hits = sum(1 for line in lines if _CODE.search(line))
    return len(lines) >= 4 and hits >= max(3, len(lines) * 0.25)


def _prose(lines: list[str]) -> float:
    long = sum(1 for line in lines if len(line.split()) >= 8 and line.rstrip()[-1:] in ".,;!?")
    return long / max(1, len(lines))


def document_kind(lines: list[str], has_total: bool, items: int) -> Kind:
    """The kind of the document in `lines` (given whether a labelled total was found and
    how many line items) and, for a non-invoice, why it is refused."""
    if _is_code(lines):
        return Kind("source_code", "it looks like program source code, not an invoice")
    top: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    for i, line in enumerate(lines):
        for label in find_kinds(line):
            anywhere[label.concept] = anywhere.get(label.concept, 0) + 1
            if i < TOP_LINES:
                top[label.concept] = top.get(label.concept, 0) + 1
    titled = [k for k in _INVOICE_KINDS if top.get(k)]
    mentioned = [k for k in _INVOICE_KINDS if anywhere.get(k)]
    kind = "credit_note" if "credit_note" in titled else (titled or mentioned or ["invoice"])[0]
    if anywhere.get("letter", 0) >= 1 and _prose(lines) >= 0.2 and items == 0:
        return Kind("letter", "it looks like a letter, not an invoice (no line items)")
    for other in ("statement", "delivery_note", "quote", "purchase_order", "cv"):
        if top.get(other) and not titled:
            return Kind(other, f"it looks like {_NAMES[other]}, not an invoice")
    if anywhere.get("cv", 0) >= 2 and not has_total:
        return Kind("cv", "it looks like a CV, not an invoice")
    if not mentioned and not has_total:
        return Kind(
            "unknown",
            "it is not an invoice: no invoice, receipt or credit note in any language and no total",
        )
    if not has_total and items == 0 and not titled:
        return Kind("unknown", "it does not look like an invoice: no total and no line items")
    return Kind(kind, None)
