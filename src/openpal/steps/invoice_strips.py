"""Totals printed as a strip: a row of sums' labels over a row of their values, read as
one "label value" line each before anything else looks at the document.

    Zwischensumme netto   zzgl. 19 % USt   Summe inkl. MwSt.
    15 299,37 Fr.         2 906,88 Fr.     18 206,25 Fr.

becomes "Zwischensumme netto 15 299,37 Fr." / "zzgl. 19 % USt 2 906,88 Fr." / "Summe inkl.
MwSt. 18 206,25 Fr." (SAP, DATEV and many templates print totals so). The label row holds
two or more labels of sums (subtotal, tax, total, other amounts) and nothing before the
first; the value row holds exactly as many sums of money and no other word than their
currencies. Thousands separated by spaces are tried where the plain reading does not give
as many sums as labels.
"""

from __future__ import annotations

import re

from openpal.steps.invoice_candidates import Amount, find_amounts
from openpal.steps.invoice_dates import find_dates
from openpal.steps.invoice_lexicon import find_labels

__all__ = ["unstrip"]

_SUMS = frozenset({"subtotal", "tax", "total", "other_amount"})
_CURRENCY_WORD = re.compile(r"(?i)^(?:[a-z]{3}|fr\.?|[€$£¥]|chf)$")
MAX_STRIP = 6  # columns of one strip
_LAST_TOTAL = re.compile(r"(?i)\)\s+(total|gesamt|totaal|summe|importe total)\s*$")


def _values(line: str, count: int) -> list[Amount] | None:
    """The `count` sums of money that make up `line`, or None."""
    if find_dates(line):
        return None
    for spaced in (False, True):
        amounts = find_amounts(line, [], spaced)
        if len(amounts) != count or not all(a.money for a in amounts):
            continue
        rest = line
        for a in sorted(amounts, key=lambda a: -a.start):
            rest = rest[: a.start] + " " + rest[a.end :]
        if all(_CURRENCY_WORD.match(w) for w in rest.split()):
            return amounts
    return None


def _columns(line: str, count: int) -> list[tuple[int, str]] | None:
    """Where the label row's `count` columns start, and each one's concept (words the
    lexicon does not know make a column of their own where `count` asks for more: before
    the first label, between two labels, a last "Total" after a rate)."""
    labels = find_labels(line)
    if not labels or any(lb.concept not in _SUMS for lb in labels):
        return None
    cols: list[tuple[int, str]] = []
    unknown: list[tuple[int, str]] = []
    if line[: labels[0].start].strip():  # "Nettowarenwert MwSt.-Betrag 7% Gesamt"
        unknown.append((0, "other_amount"))
    for k, lb in enumerate(labels):
        gap = line[labels[k - 1].end : lb.start] if k else ""
        if cols and not gap.strip() and cols[-1][1] == lb.concept:  # "Zwischensumme netto"
            continue
        words = re.search(r"[^\W\d_]{2}", gap)
        if words:  # "Zwischensumme netto  zzgl. 19 % USt  Summe inkl. MwSt."
            unknown.append((labels[k - 1].end + words.start(), "other_amount"))
        cols.append((lb.start, lb.concept))
    last = _LAST_TOTAL.search(line, labels[-1].end)
    if last and cols[-1][1] != "total":  # "GST (20%) Total"
        cols.append((last.start(1), "total"))
    if len(cols) < count:
        cols = sorted(cols + unknown[: count - len(cols)])
    ok = len(cols) == count <= MAX_STRIP and cols[-1][1] == "total"
    return cols if ok else None


def _cells(line: str, amounts: list[Amount]) -> list[str]:
    """The value row cut into one cell per sum, each with its currency's words: those
    before the first sum go with the sums, those after the last go with theirs (both:
    "AUD 76.14 AUD  AUD 15.23 AUD" shares the words between two sums)."""
    lead = line[: amounts[0].start].split()
    trail = line[amounts[-1].end :].split()
    cells = [line[a.start : a.end] for a in amounts]
    prefix = " ".join(lead)
    for k, a in enumerate(amounts):
        after = line[a.end : amounts[k + 1].start].split() if k + 1 < len(amounts) else trail
        keep = len(after) if not lead else min(len(trail), len(after))
        cells[k] = " ".join([prefix, cells[k], *after[:keep]]).strip()
        prefix = " ".join(after[keep:])
    return cells


def unstrip(lines: list[str]) -> list[str]:
    """`lines` with each totals strip (see the module) rewritten as label-value lines."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        cols = values = None
        if i + 1 < len(lines) and not find_amounts(line) and find_labels(line):
            for count in range(2, MAX_STRIP + 1):
                values = _values(lines[i + 1], count)
                if values:
                    cols = _columns(line, count)
                    break
        if not cols or not values:
            out.append(line)
            i += 1
            continue
        ends = [start for start, _ in cols[1:]] + [len(line)]
        cells = _cells(lines[i + 1], values)
        for (start, _), end, cell in zip(cols, ends, cells, strict=True):
            out.append(f"{line[start:end].strip()} {cell}")
        i += 2
    return out
