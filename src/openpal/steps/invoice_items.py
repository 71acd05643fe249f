"""An invoice's line items: under the table's header, else found by their arithmetic.

A row is a line with a quantity, a unit price and an amount where quantity x unit price
= amount (to the cent), in whatever column order, beside other columns (a position
number, a VAT rate, a tax amount); its description is the text before those numbers
(or after, when the row starts with them). Rows whose text says total, subtotal or
tax are not items.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from openpal.steps.extract_rules import CODES
from openpal.steps.invoice_candidates import Amount, find_amounts, find_dates
from openpal.steps.invoice_lexicon import find_labels
from openpal.steps.invoice_table import table_rows

__all__ = ["line_items"]

_NOT_ITEMS = frozenset({"total", "subtotal", "tax"})
MAX_NUMBERS = 8  # numbers of one row tried as (quantity, unit price, amount)


def _triple(amounts: list[Amount]) -> tuple[Amount, Amount, Amount] | None:
    """The right-most (quantity, unit price, amount) with quantity x price = amount."""
    numbers = amounts[-MAX_NUMBERS:]
    if len(numbers) < 3:
        return None
    best: tuple[tuple[int, int, int], tuple[Amount, Amount, Amount]] | None = None
    for i, j, k in itertools.combinations(range(len(numbers)), 3):
        a, b, c = numbers[i], numbers[j], numbers[k]
        for x, y, z in ((a, b, c), (a, c, b), (b, c, a)):
            if abs(x.value * y.value - z.value) > 0.0051 or z.value == 0:
                continue
            if not z.money and (x.money and y.money):
                continue
            qty, price = (x, y) if _quantity_first(x, y) else (y, x)
            rank = (k, j, i)
            if best is None or rank > best[0]:
                best = (rank, (qty, price, z))
    return best[1] if best else None


def _reading(strict: list[Amount], spaced: list[Amount]) -> tuple[Amount, Amount, Amount] | None:
    """The row's numbers read with spaces as thousands separators ("1 250,00") or not:
    the reading that adds up with fewer numbers left over (the strict one on a tie)."""
    one, two = _triple(strict), _triple(spaced)
    if one is None or two is None:
        return one or two
    return two if len(spaced) < len(strict) else one


def _quantity_first(x: Amount, y: Amount) -> bool:
    """Whether `x` (not `y`) is the quantity: printed without cents or a currency, or
    (both alike) the one that comes first."""
    if x.money != y.money:
        return not x.money
    return x.start < y.start


def line_items(lines: list[str], item_keys: dict[str, str]) -> list[dict[str, Any]]:
    """Rows as dicts with `item_keys`' names for description/quantity/unit_price/amount:
    under the table's header (`invoice_table`), else every line that adds up, else a
    run of priced lines that add up to the total."""
    under_header = table_rows(lines, item_keys)
    if under_header:
        return under_header
    rows = []
    for line in lines:
        labels = {label.concept for label in find_labels(line)}
        if labels & _NOT_ITEMS:
            continue
        dates = find_dates(line)
        found = _reading(find_amounts(line, dates), find_amounts(line, dates, True))
        if found is None:
            continue
        qty, price, amount = found
        first = min(a.start for a in found)
        last = max(a.end for a in found)
        description = _clean(line[:first])
        if not re.search(r"[^\W\d_]{2}", description):
            description = _clean(line[last:])
        if not re.search(r"[^\W\d_]{2}", description):
            continue
        values = {"description": description, "quantity": qty.value}
        values |= {"unit_price": price.value, "amount": amount.value}
        rows.append({key: values[role] for role, key in item_keys.items()})
    desc = item_keys.get("description")
    if desc:
        _drop_position_numbers(rows, desc)
    return rows or _priced_lines(lines, item_keys)


def _priced_lines(lines: list[str], item_keys: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of a table without a header the lexicon knows, or a till receipt: a run of
    lines "text [quantity] sum" whose sums add up to a total or subtotal printed below."""
    targets = {
        round(a.value, 2)
        for line in lines
        if {label.concept for label in find_labels(line)} & {"total", "subtotal"}
        for a in find_amounts(line, spaced=True)
        if a.money
    }
    block: list[dict[str, Any]] = []
    for line in [*lines, ""]:
        row = _priced(line)
        if row is not None:
            block.append(row)
            continue
        if block and _times(line, block[-1]):
            continue
        total = round(sum(r["amount"] for r in block), 2)
        if len(block) >= 1 and total in targets:
            return [{key: r[role] for role, key in item_keys.items() if role in r} for r in block]
        block = []
    return []


def _priced(line: str) -> dict[str, Any] | None:
    """`line` as "description [quantity] sum", or None."""
    if {label.concept for label in find_labels(line)} - {"other_amount", "other_date"}:
        return None
    amounts = find_amounts(line, find_dates(line))
    if not amounts or len(amounts) > 2 or not amounts[-1].money:
        return None
    if re.search(r"[^\W\d_]", _clean(line[amounts[-1].end :])):
        return None
    description = _clean(line[: amounts[0].start])
    if not re.search(r"[^\W\d_]{2}", description):
        return None
    row: dict[str, Any] = {"description": description, "amount": amounts[-1].value}
    if len(amounts) == 2 and not amounts[0].money:
        row["quantity"] = amounts[0].value
    elif len(amounts) == 2:
        return None
    return row


_TIMES = re.compile(
    r"\s*(\d{1,4}(?:[.,]\d{1,3})?)\s*[x\u00d7@*]\s*([^\s\d]{0,3}\s?\d{1,7}[.,]\d\d)\s*"
)


def _times(line: str, row: dict[str, Any]) -> bool:
    """A till receipt's "   2 x 3.10" under its row: that row's quantity and unit price,
    where they make its amount."""
    match = _TIMES.fullmatch(line)
    if not match:
        return False
    quantity = float(match.group(1).replace(",", "."))
    prices = [a.value for a in find_amounts(match.group(2))]
    if not prices or abs(quantity * prices[-1] - row["amount"]) >= 0.005:
        return False
    row["quantity"], row["unit_price"] = quantity, prices[-1]
    return True


def _clean(text: str) -> str:
    text = re.sub(rf"(?<![A-Za-z])({'|'.join(CODES)}|S?Fr\.|[€$£¥])(?![A-Za-z])", " ", text)
    return " ".join(text.split()).strip(" -_|:;·[]{}")  # "[", "|", "_": a border OCR read


def _drop_position_numbers(rows: list[dict[str, Any]], key: str) -> None:
    """A leading "Pos." column (1, 2, 3, … in order on every row) is not the description."""
    numbers = [re.match(r"(\d+)[.)]?\s+(?=\S)", str(r[key])) for r in rows]
    if rows and all(m and int(m.group(1)) == i + 1 for i, m in enumerate(numbers)):
        for row, match in zip(rows, numbers, strict=True):
            assert match is not None
            row[key] = str(row[key])[match.end() :]
