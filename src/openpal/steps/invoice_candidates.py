"""Typed candidates in an invoice's text: dates, money amounts and identifiers, each with
where it stands, and the labelled segments of each line they are read from.

Every pattern is linear in the line (the text is untrusted; lines are searched in pieces
of at most `extract_rules.MAX_LINE` characters): bounded repetitions, classes that do
not overlap where they meet, and lookbehinds that stop a number being retried from
each of its digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpal.steps.extract_rules import parse_amount, parse_currency
from openpal.steps.invoice_columns import find_header
from openpal.steps.invoice_dates import find_dates, numeric_order
from openpal.steps.invoice_grid import align
from openpal.steps.invoice_lexicon import LEGAL_FORMS, Label, find_labels, fold

__all__ = [
    "Amount",
    "Segment",
    "currency_of",
    "find_amounts",
    "find_dates",
    "find_ids",
    "numeric_order",
    "readings",
    "segments",
]

_DIGITS = r"\d[\d.,'\u2019]{0,30}\d|\d"  # a number in any notation (parse_amount reads it)
# not inside a word or a longer number; a currency's code may be written on ("CHF262.29")
_EDGE = (
    r"(?:(?<![\w.,'\u2019])|(?<=EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN|CZK))",
    r"(?:(?![\w'\u2019])|(?=(?:EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN|CZK)\b))",
)
_NUMBER = re.compile(
    rf"{_EDGE[0]}(\d{{1,3}}(?:[\u00a0\u202f]\d{{3}})+[,.]\d\d(?!\d)|{_DIGITS}){_EDGE[1]}"
)
# "1 234,56": a plain space between thousands, read so only where a single sum is expected
# (a total's line) or the reading that leaves fewer numbers over (a row "3 1 250,00 3 750,00")
_SPACED_NUMBER = re.compile(
    rf"{_EDGE[0]}(\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+[,.]\d\d(?!\d)|{_DIGITS}){_EDGE[1]}"
)
_ID = re.compile(r"(?<![\w/.-])#?([A-Za-z0-9][A-Za-z0-9/_.#-]{0,39})")


@dataclass(frozen=True)
class Amount:
    value: float
    currency: str | None
    start: int
    end: int
    money: bool  # printed with two decimals or a currency


@dataclass(frozen=True)
class Segment:
    """The text a label on line `line` applies to (`concept` None: text before any label;
    `below`: the value stands on the line under a line of labels)."""

    line: int
    concept: str | None
    text: str
    below: bool = False
    weak: bool = False


_NAMED = ("vendor", "customer")  # after their ":", the rest of the segment is a name
_RATE = re.compile(r"[(@ ]*\d{1,2}(?:[.,]\d{1,2})?\s?%\)?:?")


def segments(lines: list[str]) -> list[Segment]:
    """Each line cut at its labels; under a line of labels alone, the next line belongs
    to them (a header row: its values are shared out by type, see `invoice_fields`);
    k lines of one label each over k lines of values pair up in order (a block of
    labels printed beside a block of values, read column by column)."""
    out: list[Segment] = []
    found = [_named(line, find_labels(line)) for line in lines]
    grids = _grids(lines, found)
    headers: list[bool] = []
    for i, line in enumerate(lines):
        if i in grids:
            out.extend(grids[i])
            headers.append(False)
            continue
        labels = found[i]
        head = line[: labels[0].start] if labels else line
        if head.strip(" |:;-"):
            out.append(Segment(i, None, head.strip(" |:;")))
        values = []
        for k, label in enumerate(labels):
            end = labels[k + 1].start if k + 1 < len(labels) else len(line)
            value = line[label.end : end].lstrip(" \t:#.-|;°ºª").rstrip(" \t:|;,")
            if fold(line[label.start : label.end]).endswith("n"):  # OCR's "N.2" for "N.º"
                value = re.sub(r"^[2o](?=[\s:.]|$)[\s:.]*", "", value)
            values.append(value)
            out.append(Segment(i, label.concept, value, weak=label.weak))
        named = [v for v in values if v and not _RATE.fullmatch(v)]  # "VAT 20%" holds no value
        header = bool(labels) and not head.strip(" |:;-") and not named
        headers.append(header and not _table_header(line))  # a table's columns hold no field
    i = 0
    while i < len(lines):
        k = 0
        while i + k < len(lines) and headers[i + k] and len(found[i + k]) == 1:
            k += 1
        stacked = k >= 2 and all(not found[j] for j in range(i + k, min(i + 2 * k, len(lines))))
        if stacked and i + 2 * k <= len(lines):
            for j in range(k):
                value = lines[i + k + j]
                out.append(Segment(i + k + j, found[i + j][0].concept, value, below=True))
            i += 2 * k
            continue
        if headers[i] and i + 1 < len(lines) and not found[i + 1]:
            for label in found[i]:
                out.append(Segment(i + 1, label.concept, lines[i + 1], below=True))
        i += 1
    return out


def _named(line: str, labels: list[Label]) -> list[Label]:
    """`labels` without the words inside a name: after "From:" or "Bill to:", the rest of
    the segment is the name ("From: Total Energies SE", "Kunde: Data Systems GmbH") up to
    a "|", a wide gap or another label with its own ":"."""
    out: list[Label] = []
    named = False
    for label in labels:
        gap = line[out[-1].end : label.start].lstrip(" .:\t") if out else ""
        after = line[label.end :].lstrip(" .")[:1]
        if named and not ("|" in gap or "  " in gap or "\t" in gap or after == ":"):
            continue
        out.append(label)
        named = label.concept in _NAMED and after == ":"
        named = named or (label.concept == "vendor" and _company_follows(line[label.end :]))
    return out


def _table_header(line: str) -> bool:
    """Whether `line` is a line-item table's header (it names a description or a quantity)."""
    roles = find_header(line) or []
    return "description" in roles or "quantity" in roles


def _company_follows(rest: str) -> bool:
    """Whether `rest` (after a vendor's or customer's label without a colon) up to a wide
    gap is a company's name with its legal form: "Pay to Total Gas & Power LLC",
    "Lieferant Summe & Partner UG (haftungsbeschränkt)"."""
    text = re.split(r"\s{2,}|\t|\|", rest.strip(" "), maxsplit=1)[0]
    text = re.sub(r"\s*\([^)]*\)$", "", text)  # "UG (haftungsbeschränkt)"
    words = re.sub(r"\b(\w) (?=\w\b)", r"\1", fold(text).replace(".", "")).split()
    return len(words) >= 2 and words[0][:1].isalnum() and words[-1] in LEGAL_FORMS


def _grids(lines: list[str], found: list[list[Label]]) -> dict[int, list[Segment]]:
    """Table-form headers (`invoice_grid`): {line: its segments} for both of their lines
    (the label row's are empty, the values are the value row's)."""
    out: dict[int, list[Segment]] = {}
    for i in range(len(lines) - 1):
        if i in out or not found[i] or found[i + 1]:
            continue
        if any(_company_follows(lines[i][lb.end :]) for lb in found[i] if lb.concept == "vendor"):
            continue  # "Leverancier Factuur Direct N.V." over its street: no header row
        if _table_header(lines[i]):
            continue  # "# Quantity Product Unit Cost Amount" over an item's row
        columns = align(lines[i], lines[i + 1], _date_spans)
        if columns:
            out[i] = []
            out[i + 1] = [Segment(i + 1, c, v, weak=w) for c, v, w in columns]
    return out


def _date_spans(text: str) -> list[tuple[int, int]]:
    return [(s, e) for _, s, e in find_dates(text)]


def find_amounts(
    text: str,
    dates: list[tuple[str, int, int]] | None = None,
    spaced: bool = False,
    percents: bool = False,
) -> list[Amount]:
    """Every number in `text` that is not part of a date or a percentage, with the
    currency written next to it and its sign (`-12.00`, `(12.00)`, `12.00-`); `spaced`:
    a plain space may separate thousands; `percents`: rates (`19 %`) are kept too."""
    spans = [(s, e) for _, s, e in (dates if dates is not None else find_dates(text))]
    out = []
    for m in (_SPACED_NUMBER if spaced else _NUMBER).finditer(text):
        start, end = m.span(1)
        if any(s <= start < e for s, e in spans):
            continue
        after = text[end : end + 6]
        if (after[:1] in "/:" and after[1:2].isdigit()) or (
            after.lstrip()[:1] == "%" and not percents
        ):
            continue
        value = parse_amount(m.group(1).replace("\u2019", "'"))
        if value is None:
            continue
        if (
            start >= 2
            and text[start - 1] == "-"
            and (text[start - 2].isdigit() or text[start - 2] == ".")
        ):
            continue  # the end of a range ("01.-31.03."), no sum
        before = text[max(0, start - 6) : start]
        compact = before.replace(" ", "")
        negative = compact.endswith(("-", "\u2212", "-€", "-$", "-£"))
        negative = negative or (compact.endswith("(") and after[:1] == ")")
        if after[:1] == "-" and after[1:2].isalpha():
            continue  # part of a word ("24-port")
        negative = negative or (after[:1] == "-" and not after[1:2].isalnum())
        currency = currency_of(before[-4:]) or currency_of(after.split("\n")[0][:5])
        word = _CURRENCY_WORD.match(text[end : end + 12])
        currency = currency or (_WORDS[word.group(1).lower().rstrip("s")] if word else None)
        digits = m.group(1)
        money = bool(re.search(r"[.,]\d\d$", digits)) or currency is not None
        out.append(Amount(-value if negative else value, currency, start, end, money))
    return out


MAX_JOINS = 6  # ambiguous "1 234" groups of one line read both ways (2**6 readings)
_GROUP = re.compile(r"\d{3}(?:[,.]\d{1,2})?")  # spaced thousands go with a decimal comma


def readings(text: str, dates: list[tuple[str, int, int]] | None = None) -> list[list[Amount]]:
    """Every way to read the numbers of `text` with a plain space between thousands or
    not ("2 777,91 1 555,82" is 2 and 777.91 and 1,555.82, among others), the strict one
    (no space a separator) first; rates (`19 %`) included."""
    strict = find_amounts(text, dates, percents=True)
    joins = [
        i
        for i in range(len(strict) - 1)
        if text[strict[i].end : strict[i + 1].start] in (" ", "\u00a0", "\u202f")
        and re.fullmatch(r"\d{1,3}", text[strict[i].start : strict[i].end])
        and _GROUP.fullmatch(text[strict[i + 1].start : strict[i + 1].end])
    ][-MAX_JOINS:]
    out = []
    for mask in range(2 ** len(joins)):
        chosen = {i for k, i in enumerate(joins) if mask >> k & 1}
        merged: list[Amount] = []
        for i, amount in enumerate(strict):
            if i - 1 in chosen:
                first = merged.pop()
                digits = text[first.start : amount.end].replace(" ", "").replace("\u00a0", "")
                value = parse_amount(digits.replace("\u202f", "")) or 0.0
                value = -value if first.value < 0 else value
                currency = first.currency or amount.currency
                money = amount.money or currency is not None
                amount = Amount(value, currency, first.start, amount.end, money)
            merged.append(amount)
        out.append(merged)
    return out


# a currency written out after the sum ("1.234,50 Euro", "120 francs", "£5 sterling")
_CURRENCY_WORD = re.compile(r"\s?(euros?|franken|francs?|pounds?|sterling|dollars?)\b", re.I)
_WORDS = {"euro": "EUR", "franken": "CHF", "franc": "CHF", "pound": "GBP", "sterling": "GBP"}
_WORDS |= {"dollar": "USD"}
_LOCAL_SIGNS = re.compile(r"(?<![A-Za-z])(S?Fr\.|CA\$|C\$|A\$|AU\$|US\$|R\$|zł|Kč|₹|₺|₽)")
_LOCAL = {"Fr.": "CHF", "SFr.": "CHF", "CA$": "CAD", "C$": "CAD", "A$": "AUD", "AU$": "AUD"}
_LOCAL |= {"US$": "USD", "R$": "BRL", "zł": "PLN", "Kč": "CZK", "₹": "INR", "₺": "TRY", "₽": "RUB"}


def currency_of(text: str) -> str | None:
    """The ISO code a code or a sign next to an amount names (`Fr.` is CHF, `C$` CAD)."""
    local = _LOCAL_SIGNS.search(text)
    return _LOCAL[local.group(1)] if local else parse_currency(text)


def find_ids(text: str) -> list[str]:
    """Tokens that can be a document number: with a digit, not a date or a sum of money."""
    dates = find_dates(text)
    out = []
    for m in _ID.finditer(text):
        token = m.group(1).rstrip(".-/#")
        if not any(c.isdigit() for c in token) or len(token) < 1:
            continue
        if any(s <= m.start(1) < e for _, s, e in dates):
            continue
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}", token):
            continue
        out.append(token)
    return out
