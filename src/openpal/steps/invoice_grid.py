"""A table-form header: a row of labels over a row of values, paired column by column
even where some labels are words the lexicon does not know.

    Réf. client   Émise le     N° de pièce        Beleg-Nummer  Debitor   Rg.-Datum
    697663        18/09/2026   FC308875           R-2026.4002   247609    17.12.2026

The text of a PDF keeps the order of the cells but not where one ends, and labels run
together ("Date limite de paiement" is one label that starts with the word "Date"). The
value row is cut into values first (a date such as "14 mars 2026" or a sum with its
currency is one value, anything else one per word), then the label row's words and known
labels are grouped, in order, into as many columns as there are values: the grouping whose
labels fit their values' types best wins (an invoice number over an identifier, a date
label over a date), a known label in a column with other words counting only where it
starts the column or the words are not another label's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from openpal.steps.invoice_lexicon import Label, find_kinds, find_labels

__all__ = ["Column", "align"]

Column = tuple[str | None, str, bool]  # (concept, value, weak)
ID_CONCEPTS = frozenset(
    {"invoice_number", "order_number", "customer_number", "tax_id", "reference"}
)
DATE_CONCEPTS = frozenset({"invoice_date", "due_date", "other_date"})
_TITLES = ("invoice", "credit_note", "receipt")
MAX_ITEMS = 16  # labels and words of a label row
MAX_COLUMNS = 6
_MONEY_SIGN = re.compile(r"(?:[A-Z]{3}|[€$£¥]|Fr\.|CHF)")
_WORD = re.compile(r"\S+")


def _units(text: str, dates: Sequence[tuple[int, int]]) -> list[tuple[str, str]]:
    """The values of a row: (kind, text), kind "date", "money", "id" or "text"."""
    out: list[tuple[str, str]] = []
    pending_sign = ""
    last_span = None
    for m in _WORD.finditer(text):
        span = next(((s, e) for s, e in dates if s <= m.start() < e), None)
        if span is not None:
            if span != last_span:
                out.append(("date", text[span[0] : span[1]]))
            last_span = span
            continue
        word = m.group(0)
        if _MONEY_SIGN.fullmatch(word):
            if out and out[-1][0] == "money":
                out[-1] = ("money", f"{out[-1][1]} {word}")
            else:
                pending_sign = word
            continue
        if re.fullmatch(r"[-+]?[€$£]?\d{1,3}(?:[.,' ]\d{3})*[.,]\d\d[€$£]?", word):
            out.append(("money", f"{pending_sign} {word}".strip()))
        else:
            if pending_sign:  # "EUR" alone: a currency column's value
                out.append(("text", pending_sign))
            out.append(("id" if any(c.isdigit() for c in word) else "text", word))
        pending_sign = ""
    return [*out, ("text", pending_sign)] if pending_sign else out


def _items(line: str, labels: list[Label]) -> list[Label | str]:
    """The label row as known labels and the other words, in order."""
    out: list[Label | str] = []
    at = 0
    for label in [*labels, None]:
        end = label.start if label else len(line)
        out.extend(w for w in re.findall(r"[^\W_][\w'.-]*|#", line[at:end]))
        if label:
            out.append(label)
            at = label.end
    return out


def _fits(concept: str, kind: str) -> bool:
    if concept in ID_CONCEPTS:
        return kind == "id"
    if concept in DATE_CONCEPTS:
        return kind == "date"
    return kind in ("money", "id") if concept in ("total", "subtotal", "tax") else True


def _column(group: Sequence[Label | str]) -> tuple[Label | None, float]:
    """The label a group of items names, and a penalty for how it reads."""
    strong = [g for g in group if isinstance(g, Label) and not g.weak]
    weak = [g for g in group if isinstance(g, Label) and g.weak]
    if len(strong) > 1:
        return None, 4.0
    if strong:
        return strong[0], 0.0 if group[0] is strong[0] else 0.5
    if weak and len(group) == 1:
        return weak[0], 0.0
    if weak and all(isinstance(g, Label) for g in group):
        return weak[-1], 0.25  # "Réf. client": the last word says what it is
    return None, 0.0


def align(
    header: str, values: str, dates: Callable[[str], list[tuple[int, int]]]
) -> list[Column] | None:
    """The (concept, value, weak) of each column, or None when `header` over `values` is
    no table-form header (`dates` gives the spans of the dates in a text)."""
    if re.search(r"\d", header) or ":" in header or find_labels(values):
        return None  # (a row of labels holds no digit and no "Label: value")
    labels = find_labels(header)
    for title in find_kinds(header):  # "Invoice | Date | Terms": the invoice's number
        if title.concept in _TITLES and not any(
            lb.start < title.end and title.start < lb.end for lb in labels
        ):
            labels.append(Label("invoice_number", title.start, title.end, True))
    labels.sort(key=lambda lb: lb.start)
    if not any(lb.concept in ID_CONCEPTS | DATE_CONCEPTS for lb in labels):
        return None
    units = _units(values, dates(values))
    items = _items(header, labels)
    k, m = len(units), len(items)
    if not 2 <= k <= MAX_COLUMNS or m < k or m > MAX_ITEMS:
        return None
    typed = sum(kind in ("id", "date", "money") for kind, _ in units)
    if not any(kind in ("id", "date") for kind, _ in units) or typed * 2 < k:
        return None  # values are numbers, dates and sums; "High Street 12" is an address
    best: tuple[float, list[Column]] | None = None
    for cuts in itertools.combinations(range(1, m), k - 1):
        bounds = (0, *cuts, m)
        score = 0.0
        columns: list[Column] = []
        for n, (kind, value) in enumerate(units):
            label, penalty = _column(items[bounds[n] : bounds[n + 1]])
            score -= penalty
            if label is not None:
                fits = _fits(label.concept, kind)
                score += (2.0 if not label.weak else 1.0) if fits else -3.0
            columns.append((label.concept if label else None, value, bool(label and label.weak)))
        if best is None or score > best[0]:
            best = (score, columns)
    return best[1] if best and best[0] > 0 else None
