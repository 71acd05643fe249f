"""An invoice's line items read under the table's header row.

The header ("Pos. Beschreibung Menge Einzelpreis Gesamt", "Item Units Total") says
which columns there are and in which order, in any of the lexicon's languages. Each
row under it is read from both ends: the columns before the description (position,
article code, sometimes the quantity) are its first words, the numeric columns after
it are its last numbers; what lies between is the description. A line under a row that
is no row itself (no sum of money where the amount column is) continues its description.
The table ends at a total, subtotal or tax line.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from openpal.steps.extract_rules import CODES
from openpal.steps.invoice_candidates import Amount, find_amounts, find_dates, readings
from openpal.steps.invoice_columns import find_header
from openpal.steps.invoice_lexicon import Label, find_labels

__all__ = ["find_header", "table_rows", "times_row"]

_NUMERIC = ("quantity", "unit_price", "amount", "vat", "gross")
_ENDS = frozenset({"total", "subtotal", "tax"})
_NAMES = frozenset({"vendor", "customer"})
_CURRENCY = re.compile(rf"(?<![A-Za-z])({'|'.join(CODES)}|S?Fr\.|[€$£¥])(?![A-Za-z])")
# (a "Customer:" or "From:" line inside the table is a note on its row, not the bill-to block)
_NOT_CONTINUED = _ENDS | {"carry", "page", "bank", "contact", "tax_id"}
_UNITS = re.compile(r"(?<![A-Za-z])(?:[A-Z]{3}|Fr\.|[€$£¥%x])(?![A-Za-z])")
# units of measure printed in a unit column ("12 Std 68,00", "Toner ea 2 64.00")
_UNIT_WORD = re.compile(
    r"(?i)(?:ea|each|pc|pcs|piece|pieces|h|hr|hrs|hour|hours|std|stk|stuck|stück|st|m|m2|m²|"
    r"kg|g|l|lt|psch|pausch|pauschal|set|day|days|tag|tage|jour|jours|j|uur|u|dag|dagen|"
    r"mes|mois|monat|month|months|km|unit|units|pkg|pack|lfm|forfait|ud|uds|pz|stuks|pce|pces)\.?"
)
_LEADER = re.compile(r"\.{5,}")
MAX_CONTINUATION = 120  # characters of a line that continues a description


def _leading_zero(amounts: list[Amount], line: str) -> bool:
    return any(re.match(r"0\d", line[a.start : a.end]) for a in amounts)


def _row(line: str, roles: list[str], keys: dict[str, str]) -> dict[str, Any] | None:
    """`line` read as a row of the table with columns `roles`, or None."""
    at = roles.index("description") if "description" in roles else 0
    lead, trail = roles[:at], [r for r in roles[at + 1 :] if r in _NUMERIC]
    tokens = line.split()
    if len(tokens) <= len(lead) or not trail:
        return None
    units = "unit_name" in roles
    values: dict[str, Any] = {}
    for role, token in zip(lead, tokens, strict=False):
        if role in ("pos", "quantity") and not re.fullmatch(r"\d+(?:[.,]\d+)?[.)]?", token):
            return None
        if role == "date" and not find_dates(token):  # "03/14/2026 Rock Fountain 1 275.00"
            return None
        if role == "quantity":
            values["quantity"] = float(token.rstrip(".)").replace(",", "."))
    offset = len(" ".join(tokens[: len(lead)])) if lead else 0
    offset = line.find(tokens[len(lead)], offset) if lead else 0
    found_rows = []
    for joins, reading in enumerate(readings(line, find_dates(line))):
        amounts = [a for a in reading if a.start >= offset]
        if len(amounts) < len(trail) or _leading_zero(amounts, line):
            continue
        picked = dict(zip(trail, amounts[-len(trail) :], strict=True))
        cells = amounts[-len(trail) :]
        between = [line[a.end : b.start] for a, b in itertools.pairwise(cells)]
        gaps = [_UNITS.sub("", gap).strip() for gap in between]
        # a unit's word in its own column, or after a quantity: "12 hrs $85.00"
        after_qty = [units or role == "quantity" for role in trail[:-1]]
        gaps = [
            "" if ok and _UNIT_WORD.fullmatch(g) else g
            for g, ok in zip(gaps, after_qty, strict=True)
        ]
        if any(re.search(r"[^\W\d_]", gap) for gap in gaps):
            continue  # words between two columns: "(100 Stück) 1 168,00" is no 100 and 1,168
        tail = line[picked[trail[-1]].end :]
        if re.search(r"[^\W_]{4,}", tail) or ("amount" in picked and not picked["amount"].money):
            continue
        qty, price, amount = picked.get("quantity"), picked.get("unit_price"), picked.get("amount")
        if qty and price and amount and abs(qty.value * price.value - amount.value) > 0.0051:
            continue
        description = line[offset : amounts[-len(trail)].start]
        description = _CURRENCY.sub(" ", description)
        description = " ".join(description.split()).strip(" -_|:;·[]{}")  # OCR'd borders
        if roles[at + 1 : at + 2] == ["unit_name"]:  # "Toner black ea": the unit column
            head, _, last = description.rpartition(" ")
            description = head if head and _UNIT_WORD.fullmatch(last) else description
        if not re.search(r"[^\W\d_]{2}", description):
            continue
        found = values | {r: a.value for r, a in picked.items() if r not in ("vat", "gross")}
        found["description"] = description
        row = {keys[role]: found[role] for role in keys if found.get(role) is not None}
        found_rows.append((len(amounts) - len(trail), joins, row))
    # "3 1 250,00 3 750,00": the reading that leaves fewer numbers in the description
    return min(found_rows, key=lambda r: r[:2])[2] if found_rows else None


def table_rows(lines: list[str], keys: dict[str, str]) -> list[dict[str, Any]] | None:
    """The rows under the table headers of `lines`, up to each total or subtotal (a
    table over several pages repeats its header); None when there is no header."""
    rows: list[dict[str, Any]] = []
    roles: list[str] | None = None
    seen = False
    continuing = False
    desc = keys.get("description")
    for n, line in enumerate(lines):
        if rows and _LEADER.search(line):  # "Subtotal ........ 4.074,71 €": the totals
            roles, continuing = None, False
            continue
        header = find_header(line)
        if header and "description" not in header and _sum_label(line):
            header = None  # "Total IVA incluido" over the amount due: no table's header
        if header and rows and "description" not in header:
            roles, continuing = None, False  # "Net amount | VAT | Balance due" under the rows
            continue
        if header:
            roles, continuing, seen = header, False, True
            continue
        if roles is None:
            continue
        labels = find_labels(line)
        # "From 1 to 31 March", "Customer training", "Tax year 2025" (no sum on the line):
        # a weak word without a ":" names no vendor, customer or total
        priced = any(a.money for a in find_amounts(line))
        concepts = {
            lb.concept
            for lb in labels
            if not lb.weak or _colon(line, lb.end) or (lb.concept not in _NAMES and priced)
        }
        row = _row(line, roles, keys)
        numbered = row is not None and roles[0] == "pos"  # "2 Totaal onderhoud 14.598,00"
        if rows and times_row(line, rows[-1], keys):
            continue
        timed = row is not None and _timed(lines[n + 1 : n + 3], row, keys)
        if concepts & _ENDS and not _priced_row(row) and not numbered and not timed:
            if rows:  # the table ends; another header (the next page's) restarts it
                roles, continuing = None, False
            continue
        row = row if row is not None or not desc else _charge(line, keys)
        if row is not None:
            rows.append(row)
            continuing = True
        elif continuing and desc and rows and _continues(line, concepts, labels):
            rows[-1][desc] = f"{rows[-1][desc]} {line.strip()}"
        else:
            continuing = False
    return rows if seen else None


_CHARGE = re.compile(
    r"(?i)\s*(?:(discount|rabatt|nachlass|remise|descuento|korting|sconto|coupon|promo)|"
    r"shipping|delivery|freight|handling|postage|versand|porto|fracht|frais de port|"
    r"livraison|env[ií]o|portes|verzend|bezorg)"
)


def _charge(line: str, keys: dict[str, str]) -> dict[str, Any] | None:
    """A row of the table with its text and one sum only: a discount (below zero however
    it is printed) or a shipping charge ("Discount (10%) -$111.00", "Shipping 15.00")."""
    match = _CHARGE.match(line)
    amounts = [a for a in find_amounts(line, find_dates(line)) if a.money]
    if not match or len(amounts) != 1 or re.search(r"[^\W\d_]", line[amounts[0].end :]):
        return None
    text = _CURRENCY.sub(" ", line[: amounts[0].start])
    value = -abs(amounts[0].value) if match.group(1) else amounts[0].value
    found = {"description": " ".join(text.split()).strip(" -_|:;·"), "amount": value}
    return {keys[role]: found[role] for role in keys if role in found}


_TIMES = re.compile(r"\s*(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:[x\u00d7*@]|pcs?\.? x)\s*(\S.{0,30})")


def _sum_label(line: str) -> bool:
    """Whether `line` starts with a total's or subtotal's label."""
    return any(lb.start == 0 and lb.concept in ("total", "subtotal") for lb in find_labels(line))


def _timed(below: list[str], row: dict[str, Any], keys: dict[str, str]) -> bool:
    """Whether the next line, or the one after a line of text, is a "2 x 45.00" that makes
    `row`'s amount (an item whose text starts with a sum's word: "Netto-Planung")."""
    if below and times_row(below[0], dict(row), keys):
        return True
    plain = len(below) > 1 and not find_amounts(below[0]) and not find_header(below[0])
    return plain and times_row(below[1], dict(row), keys)


def times_row(line: str, row: dict[str, Any], keys: dict[str, str]) -> bool:
    """A line "2 x 45.00" (x or the multiplication sign; a till's "   2 x 3.10", a web
    shop's "2 pcs x $45.00") under a row whose amount it makes: that row's quantity and
    unit price (set on the row where it lacks them, as `keys` name them)."""
    match = _TIMES.fullmatch(line)
    amount = row.get(keys.get("amount", "amount"))
    if not match or not isinstance(amount, int | float):
        return False
    rest = match.group(2)
    prices = [a for a in find_amounts(rest, [], True) if a.money] or find_amounts(rest, [])
    if len(prices) != 1 or re.search(r"[^\W\d_]{4,}", _CURRENCY.sub(" ", rest)):
        return False
    quantity, price = float(match.group(1).replace(",", ".")), prices[0].value
    if abs(quantity * price - abs(amount)) > 0.0051:
        return False
    for role, value in (("quantity", quantity), ("unit_price", price)):
        if role in keys and row.get(keys[role]) is None:
            row[keys[role]] = value
    return True


def _colon(line: str, end: int) -> bool:
    return line[end:].lstrip(" .")[:1] == ":"


def _priced_row(row: dict[str, Any] | None) -> bool:
    """A row whose quantity x unit price = amount: an item, whatever words it holds
    ("Tax return preparation 1 250.00 250.00")."""
    return row is not None and len([v for v in row.values() if isinstance(v, float)]) >= 3


def _continues(line: str, concepts: set[str], labels: list[Label]) -> bool:
    """A line of text under a row ("Zeitraum 01.-31.03.", "as per quote Q-1182"), not a
    page's header or footer, a carried-forward sum, a note in a currency or a sum's label
    alone on its line (a "Total" over its value)."""
    if len(line) > MAX_CONTINUATION or concepts & _NOT_CONTINUED:
        return False
    alone = [lb for lb in labels if lb.concept in _ENDS and lb.start == 0 and lb.end >= len(line)]
    if alone:
        return False
    priced = any(a.currency for a in find_amounts(line))
    return not priced and bool(re.search(r"[^\W\d_]{2}", line))
