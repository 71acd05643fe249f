"""An invoice's fields chosen among typed candidates by their context, each with a
confidence in [0, 1].

- a candidate in the segment of a label of the field's concept (same line after the
  label, or under it in a header row) is the strongest evidence; a weak label ("No",
  "Date") a little less; the values of decoy labels (due date, order number, VAT id,
  IBAN, phone…) are never taken;
- the total must also add up: subtotal + tax, or the line items (+ tax), raise the
  confidence of the amount that matches them and pick it among several;
- without a label: the number after the document's title ("Invoice 2026-001"), the
  first date, the vendor as the letterhead (`invoice_vendor`), the amount the line items
  (or net + tax) add up to; each with a lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpal.steps.invoice_candidates import (
    Amount,
    Segment,
    currency_of,
    find_amounts,
    find_dates,
    find_ids,
    numeric_order,
    segments,
)
from openpal.steps.invoice_lexicon import find_kinds, fold
from openpal.steps.invoice_vendor import vendor_of

__all__ = ["Fields", "read_fields"]

ID_CONCEPTS = ("invoice_number", "order_number", "customer_number", "tax_id", "reference")
DATE_CONCEPTS = ("invoice_date", "due_date", "other_date")
AMOUNT_CONCEPTS = ("total", "subtotal", "tax", "other_amount")
TEXT_CONCEPTS = ("vendor", "customer")
_TITLES = ("invoice", "credit_note", "receipt")
MAX_DATE_OFFSET = 16  # characters between a date label and its date


@dataclass
class Fields:
    values: dict[str, Any]
    confidence: dict[str, float]


def _shared(seg: Segment, peers: list[Segment], kind: tuple[str, ...], values: list[Any]) -> Any:
    """The value of a header label among `values` (those of its type on the line under
    the header): the one at the label's rank among the header's labels of that type."""
    same = [p for p in peers if p.concept in kind]
    if len(values) == 1 and all(p.concept == seg.concept for p in same):
        return values[0]  # "Invoice Reference | Number": one label in two
    rank = next(k for k, p in enumerate(same) if p is seg)
    if len(values) >= len(same):
        return values[rank]
    return values[0] if len(same) == 1 and values else None


def _candidates(
    segs: list[Segment], concept: str, kind: tuple[str, ...], read: Any
) -> list[tuple[Any, int, int]]:
    """(value, strength, line) of every labelled value of `concept`: strength 2 for a
    label on the same line, 1 for a weak label or a header above."""
    out = []
    for seg in segs:
        if seg.concept not in (concept, concept + "_hint"):
            continue
        values = read(seg.text)
        if concept == "invoice_date" and not seg.below:  # the date follows its label
            values = [iso for iso, start, _ in find_dates(seg.text) if start <= MAX_DATE_OFFSET]
            values = read(seg.text)[: len(values)]
        if seg.concept.endswith("_hint"):
            if values:
                out.append((values[0], 1, seg.line))
            continue
        if seg.below:
            peers = [p for p in segs if p.below and p.line == seg.line]
            value = _shared(seg, peers, kind, values)
            if value is not None:
                out.append((value, 1, seg.line))
        elif values:
            value = values[-1] if concept == "total" else values[0]  # "Total 3 items 120.00"
            out.append((value, 1 if seg.weak else 2, seg.line))
    return out


def read_fields(lines: list[str], items_sum: float | None) -> Fields:
    """Number, date, vendor, total and currency of the invoice in `lines`."""
    segs = segments(lines)
    month_first = _due_after_issue(segs, numeric_order("\n".join(lines)))
    values: dict[str, Any] = {}
    conf: dict[str, float] = {}

    def dates(text: str) -> list[str]:
        return [d for d, _, _ in find_dates(text, month_first)]

    def money(text: str) -> list[Amount]:
        found = find_amounts(text, find_dates(text, month_first), spaced=True)
        return [a for a in found if a.money] or found

    numbers = _candidates(segs, "invoice_number", ID_CONCEPTS, _number_ids)
    if numbers:
        best = max(numbers, key=lambda c: (c[1], -c[2]))
        values["invoice_number"], conf["invoice_number"] = best[0], 0.95 if best[1] == 2 else 0.85
    else:
        titled = _after_title(lines)
        if titled:
            values["invoice_number"], conf["invoice_number"] = titled, 0.7
        else:
            refs = _candidates(segs, "reference", ID_CONCEPTS, find_ids)
            compound = (refs[0][0], 0.6) if refs else _compound_number(lines)
            if compound:
                values["invoice_number"], conf["invoice_number"] = compound

    labelled_dates = _candidates(segs, "invoice_date", DATE_CONCEPTS, dates)
    if labelled_dates:
        best = max(labelled_dates, key=lambda c: (c[1], -c[2]))
        values["invoice_date"], conf["invoice_date"] = best[0], 0.95 if best[1] == 2 else 0.85
    else:
        decoys = {d for s in segs if s.concept in ("due_date", "other_date") for d in dates(s.text)}
        free = [d for s in segs if s.concept is None or s.concept in _TITLES for d in dates(s.text)]
        free = [d for d in free if d not in decoys]
        if free:
            values["invoice_date"] = free[0]
            conf["invoice_date"] = 0.6 if len(set(free)) == 1 else 0.5

    total, total_conf, at = _total(segs, money, items_sum)
    if total is not None:
        values["total"], conf["total"] = round(total.value, 2), total_conf
        code = total.currency or currency_of(lines[at])
        if code:
            values["currency"], conf["currency"] = code, 0.95 if total.currency else 0.9
    if "currency" not in values:
        labelled = [currency_of(s.text) for s in segs if s.concept == "currency"]
        code = next((c for c in labelled if c), None) or _most_common(lines)
        if code:
            values["currency"], conf["currency"] = code, 0.85 if any(labelled) else 0.6

    vendor = vendor_of(lines, segs)
    if vendor:
        values["vendor"], conf["vendor"] = vendor
    return Fields(values, conf)


def _number_ids(text: str) -> list[str]:
    """The identifiers of a number label's text, a prefix of capitals written apart from
    its digits first ("INV 0042", "FA 2026-118")."""
    text = re.sub(r"^[2oº°]\s*[:.]\s+", "", text)  # "N.2: 4711": OCR's "Nº"
    apart = re.match(r"([A-Z]{1,5}) (\d[\w/.-]{0,30})(?![\w/.-]| \d)", text)
    ids = find_ids(text)
    return [f"{apart.group(1)} {apart.group(2)}".rstrip(".-/"), *ids] if apart else ids


def _due_after_issue(segs: list[Segment], month_first: bool) -> bool:
    """`month_first`, unless only the other order puts the due date after the issue date
    (09/05/2026 issued, 08/06/2026 due: day first)."""

    def ordered(month_first: bool) -> bool:
        issued = [
            d for s in segs if s.concept == "invoice_date" for d in find_dates(s.text, month_first)
        ]
        due = [d for s in segs if s.concept == "due_date" for d in find_dates(s.text, month_first)]
        return not (issued and due) or due[0][0] >= issued[0][0]

    return month_first if ordered(month_first) or not ordered(not month_first) else not month_first


def _total(
    segs: list[Segment], money: Any, items_sum: float | None
) -> tuple[Amount | None, float, int]:
    """The grand total: a labelled amount, the one that adds up when there are several."""
    found = _candidates(segs, "total", AMOUNT_CONCEPTS, money)
    subtotals = [c[0].value for c in _candidates(segs, "subtotal", AMOUNT_CONCEPTS, money)]
    taxes = [c[0].value for c in _candidates(segs, "tax", AMOUNT_CONCEPTS, money)]
    tax = sum(taxes)
    sums = {round(s + tax, 2) for s in subtotals[-1:]} | set()
    if items_sum is not None:
        sums |= {round(items_sum, 2), round(items_sum + tax, 2)}

    def adds_up(value: float) -> bool:
        return any(abs(abs(value) - abs(s)) < 0.011 for s in sums)

    if any(c[0].money for c in found):
        found = [c for c in found if c[0].money]  # a sum of money, not "within 30 days"
    if any(c[0].value for c in found):
        found = [c for c in found if c[0].value]  # not a balance of 0.00 after payment
    free = [(a, s.line) for s in segs if s.concept in (None, "other_amount") for a in money(s.text)]
    fitting_free = [(a, line) for a, line in free if adds_up(a.value) and a.money]
    if found and fitting_free and not any(c[0].money or adds_up(c[0].value) for c in found):
        found = []  # "Please pay within 30 days": no sum; "Amount paid $1,117.62" adds up
    if found:
        fitting = [c for c in found if adds_up(c[0].value)]
        if fitting:
            grown = _plus_printed(fitting[-1], found, segs, money)
            return (grown[0], 0.9, grown[2]) if grown else (fitting[-1][0], 0.98, fitting[-1][2])
        last = max(c[2] for c in found)
        below = [f for f in fitting_free if f[1] > last and subtotals and taxes]
        if below:  # "Líquido a pagar": net + tax, under a labelled sum that is an item's
            best_below = max(below, key=lambda f: (abs(f[0].value), f[1]))
            return best_below[0], 0.7, best_below[1]
        strongest = max(c[1] for c in found)
        best = [c for c in found if c[1] == strongest][-1]
        return best[0], 0.85 if sums == set() else 0.75, best[2]
    if fitting_free:
        best_free = max(fitting_free, key=lambda f: (abs(f[0].value), f[1]))
        return best_free[0], 0.7, best_free[1]
    return None, 0.0, 0


def _plus_printed(
    fits: tuple[Amount, int, int],
    found: list[tuple[Amount, int, int]],
    segs: list[Segment],
    money: Any,
) -> tuple[Amount, int, int] | None:
    """A labelled sum further down that is the one that adds up plus an amount printed
    between them (a tax line whose label the lexicon, or OCR, did not read: "21% BIW")."""
    value, line = fits[0].value, fits[2]
    for later in (c for c in found if c[2] > line and abs(c[0].value) > abs(value)):
        between = [a.value for s in segs if line < s.line < later[2] for a in money(s.text)]
        if any(abs(abs(value) + abs(x) - abs(later[0].value)) < 0.011 for x in between):
            return later
    return None


_COMPOUND = re.compile(
    r"(?<![a-z])([a-z]{2,24}-?(?:nummer|number|numero|nr|no|id))\b"
    r"[ .:#°]{0,4}([a-z0-9][\w/.-]{0,30})"
)
_DOCUMENT_WORDS = re.compile(r"rechnung|invoice|factu|fattur|fatur|beleg|bill|receipt|quittung")


def _compound_number(lines: list[str]) -> tuple[str, float] | None:
    """A number after a word the lexicon lacks but that says "number" ("Vorgangsnummer
    8812", "Factuur-ID: F-7"): fairly sure when the word names the document too."""
    for line in lines[:20]:
        folded = fold(line)
        for m in _COMPOUND.finditer(folded):
            value = line[m.start(2) : m.end(2)].rstrip(".-/")
            if any(c.isdigit() for c in value) and not find_dates(value):
                return value, 0.8 if _DOCUMENT_WORDS.search(m.group(1)) else 0.5
    return None


def _after_title(lines: list[str]) -> str | None:
    """The number written right after the document's title ("INVOICE INV-0042")."""
    for line in lines[:15]:
        for kind in find_kinds(line):
            if kind.concept not in _TITLES:
                continue
            rest = line[kind.end :].lstrip(" :#.-")
            ids = find_ids(rest[:40])
            if ids and rest.startswith(ids[0].lstrip("#")) and not find_dates(rest[:12]):
                return ids[0]
    return None


def _most_common(lines: Iterable[str]) -> str | None:
    counts: dict[str, int] = {}
    for line in lines:
        for amount in find_amounts(line):
            if amount.currency:
                counts[amount.currency] = counts.get(amount.currency, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None
