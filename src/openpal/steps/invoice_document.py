"""The `rules` provider for schema properties marked with an invoice concept.

    invoice_number: {type: string, x-concept: invoice_number}

Concepts: `invoice_number`, `invoice_date`, `vendor`, `total`, `currency`,
`line_items` (an array of objects: description, quantity, unit_price, amount, by
name or else in that order) and `document_type` (`invoice`, `credit_note` or
`receipt`). They are found by type and context in any of the lexicon's languages
(`invoice_fields`, `invoice_items`), not by a list of labels; a property's `x-labels`
are a further hint, tried when the concept finds nothing. Properties without a concept
are extracted by their labels as before (`extract_rules`).

The result carries `_confidence`: {property: confidence in [0, 1]} (0 when nothing
was found). A document that is not an invoice (`invoice_kind`) is refused; so is one
where a `required` property is missing or below the schema's `x-min-confidence`
(default 0.5): `ExtractionRefused` names the fields. Concepts are read from the first
`MAX_CHARS` characters. A credit note's total is
negative (money owed to the customer), whether or not it is printed with a minus; a
receipt is read as an invoice (its number may be missing: do not require
`invoice_number` for receipts).
"""

from __future__ import annotations

from typing import Any

from openpal.steps.extract_rules import MAX_LINE, extract_rules
from openpal.steps.invoice_fields import read_fields
from openpal.steps.invoice_items import line_items
from openpal.steps.invoice_kind import document_kind
from openpal.steps.invoice_strips import unstrip

__all__ = ["CONCEPTS", "DEFAULT_MIN_CONFIDENCE", "extract_document", "unconfident"]

CONCEPTS = (
    "invoice_number",
    "invoice_date",
    "vendor",
    "total",
    "currency",
    "line_items",
    "document_type",
)
DEFAULT_MIN_CONFIDENCE = 0.5
MAX_CHARS = 100_000  # of a document read for concepts (some 30 pages; bounds the work)
LABELLED_CONFIDENCE = 0.8  # a value found by the property's own x-labels
HINT_CONFIDENCE = 0.6  # a concept's value found only by its x-labels
LABELLED_TOTAL = 0.75  # a total found by its label (and 0.85 and more when it adds up)
_ROLES = ("description", "quantity", "unit_price", "amount")


def _lines(text: str) -> list[str]:
    pieces = (ln[i : i + MAX_LINE] for ln in text.splitlines() for i in range(0, len(ln), MAX_LINE))
    return [p.strip() for p in pieces if p.strip()]


def _item_keys(spec: dict[str, Any]) -> dict[str, str]:
    """Which item property holds the description, quantity, unit price and amount."""
    props: dict[str, Any] = spec.get("items", {}).get("properties", {})
    if all(role in props for role in _ROLES):
        return {role: role for role in _ROLES}
    texts = [k for k, v in props.items() if v.get("type") == "string"]
    numbers = [k for k, v in props.items() if v.get("type") in ("number", "integer")]
    keys = dict(zip(_ROLES[1:], numbers, strict=False))
    return ({"description": texts[0]} if texts else {}) | keys


def _credited(items: list[dict[str, Any]], keys: dict[str, str]) -> None:
    """A credit note's rows printed without minus signs are credited: amount and unit
    price below zero (rows printed with a sign are left as printed)."""
    amount, price = keys.get("amount"), keys.get("unit_price")
    values = [row.get(amount) for row in items] if amount else []
    if not values or not all(isinstance(v, int | float) and v > 0 for v in values):
        return
    for row in items:
        for key in (amount, price):
            if key and isinstance(row.get(key), int | float):
                row[key] = -abs(row[key])


def extract_document(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Every property of `schema`, concepts by context, the rest by labels; `_confidence`."""
    from openpal.steps.extract import ExtractionRefused  # extract imports this module

    props: dict[str, Any] = schema.get("properties", {})
    concepts = {k: str(v["x-concept"]) for k, v in props.items() if v.get("x-concept")}
    plain = {k: v for k, v in props.items() if k not in concepts}
    out = extract_rules(text, {**schema, "properties": plain}) if plain else {}
    confidence = {k: LABELLED_CONFIDENCE if out.get(k) is not None else 0.0 for k in plain}
    lines = unstrip(_lines(text[:MAX_CHARS]))
    items: list[dict[str, Any]] = []
    for name, concept in concepts.items():
        if concept == "line_items":
            items = line_items(lines, _item_keys(props[name]))
    tables = [k for k, concept in concepts.items() if concept == "line_items"]
    amount_key = _item_keys(props[tables[0]]).get("amount") if tables else None
    amounts = [r.get(amount_key) for r in items] if amount_key else []
    items_sum = sum(a for a in amounts if isinstance(a, int | float)) if amounts else None
    fields = read_fields(lines, items_sum)
    has_total = fields.confidence.get("total", 0.0) >= LABELLED_TOTAL
    kind = document_kind(lines, has_total, len(items))
    if kind.refusal:
        raise ExtractionRefused(f"not extracted: {kind.refusal}", list(schema.get("required", [])))
    if kind.kind == "credit_note" and isinstance(fields.values.get("total"), float):
        fields.values["total"] = -abs(fields.values["total"])
        _credited(items, _item_keys(props[tables[0]]) if tables else {})
    for name, concept in concepts.items():
        if concept == "line_items":
            out[name], confidence[name] = items, 0.9 if items else 0.0
        elif concept == "document_type":
            out[name], confidence[name] = kind.kind, 0.9
        else:
            out[name] = fields.values.get(concept)
            confidence[name] = fields.confidence.get(concept, 0.0)
            if out[name] is None and props[name].get("x-labels"):
                spec = {k: v for k, v in props[name].items() if k != "x-concept"}
                hinted = extract_rules(text, {"type": "object", "properties": {name: spec}})
                if hinted.get(name) is not None:
                    out[name], confidence[name] = hinted[name], HINT_CONFIDENCE
    out["_confidence"] = {k: round(v, 2) for k, v in confidence.items()}
    minimum = float(schema.get("x-min-confidence", DEFAULT_MIN_CONFIDENCE))
    low = unconfident(out, schema, minimum)
    if low:
        names = [name.split(" ")[0] for name in low]
        raise ExtractionRefused(
            f"not extracted: required field(s) not found with a confidence of {minimum:g} or"
            f" more: {', '.join(low)}",
            names,
        )
    return out


def unconfident(result: dict[str, Any], schema: dict[str, Any], minimum: float) -> list[str]:
    """The required properties missing from `result` or below `minimum` confidence,
    each as "name" or "name (confidence 0.35)"."""
    confidence = result.get("_confidence", {})
    out = []
    for name in schema.get("required", []):
        if result.get(name) is None:
            out.append(name)
        elif name in confidence and confidence[name] < minimum:
            out.append(f"{name} (confidence {confidence[name]:.2f})")
    return out
