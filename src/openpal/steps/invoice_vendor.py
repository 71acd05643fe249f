"""An invoice's vendor: the name after a vendor's label ("From:", "Lieferant:",
"Émis par :"), else the letterhead (the first line that is a name, the document's title
and any label word inside it removed; a company with its legal form under a logo word
preferred), else a company name outside the customer's block.
"""

from __future__ import annotations

import re

from openpal.steps.invoice_candidates import Segment
from openpal.steps.invoice_dates import find_dates
from openpal.steps.invoice_lexicon import LEGAL_FORMS, find_kinds, find_labels, fold

__all__ = ["vendor_of"]

_TITLES = ("invoice", "credit_note", "receipt")
_NAMING = ("vendor", "customer", "invoice_number")


def _name(text: str) -> str | None:
    """`text` as a company or person name, or None (an address, a date, a sum)."""
    text = text.strip(" \t/|·-:")  # "Rechnung / Invoice  Acme GmbH" without its titles
    for cut in ("  ", " | ", " · ", "\t", " \u2013 "):
        text = text.split(cut)[0]
    text = re.split(r",\s*(?=\S*\d)", text)[0]
    text = _before_address(text)
    text = re.sub(r"^[^\W\d_][^:]{0,24}:\s+(?=\S)", "", text)  # "Emitted by: Acme"
    text = " ".join(text.split()).strip(" :;,-|·")
    if len(text) < 2 or find_dates(text) or "@" in text:
        return None
    if text[0].isdigit() and not (re.match(r"\d+[^\W\d_]", text) or _has_legal_form(text)):
        return None  # an address or a postcode; "3M Deutschland GmbH", "24/7 IT Ltd" are names
    letters = sum(c.isalpha() for c in text)
    return text if letters >= 2 and letters >= sum(c.isdigit() for c in text) * 2 else None


def _before_address(text: str) -> str:
    """`text` up to its (last) legal form where an address follows on the same line, as
    a footer's or a letterhead's columns run together: "Billing Solutions Corp. Dock Road
    151 Austin", "Dr. Weiß Consulting GmbH & Co. KG Bahnhofstraße 34"."""
    words = text.split()
    for k in range(len(words) - 2, 0, -1):
        rest = words[k + 1 :]
        if rest[0].startswith("(") and rest[0].endswith(")"):  # "UG (haftungsbeschränkt)"
            continue
        pair = fold(" ".join(words[k - 1 : k + 1]))
        bracket = words[k].startswith("(") and words[k].endswith(")")  # "UG (...)"
        form = _form(words[k]) or pair == "e. k." or (bracket and _form(words[k - 1]))
        if form and re.search(r"\d", " ".join(rest)) and re.match(r"[^\W\d_]", rest[0]):
            if _form(rest[0]):
                continue
            return " ".join(words[: k + 1])
    return text


def _form(word: str) -> bool:
    return fold(word).strip(".,").replace(".", "") in LEGAL_FORMS


def _has_legal_form(text: str) -> bool:
    folded = re.sub(r"\b([a-z]) (?=[a-z]\b)", r"\1", fold(text).replace(".", ""))  # "e. K."
    return any(w in LEGAL_FORMS for w in re.findall(r"[a-z]+", folded))


def vendor_of(lines: list[str], segs: list[Segment]) -> tuple[str, float] | None:
    """The vendor (`_vendor`), spelled as the document spells it best (`_spelled`)."""
    found = _vendor(lines, segs)
    return (_spelled(_whole(found[0], lines), lines), found[1]) if found else None


def _whole(name: str, lines: list[str]) -> str:
    """`name` with the word or two before it that a label or title took, where the
    document prints the longer name as such on two lines: "Invoice Ninja Ltd" in the
    letterhead and again in the footer (not "INVOICE Data Systems GmbH" once, with
    "Data Systems GmbH" alone in the footer)."""
    for words in (2, 1):
        pattern = r"(?:(?<=^)|(?<=[\s|·:]))((?:[A-Z0-9][\w&'.-]*\s+){" + str(words) + "})"
        seen: dict[str, int] = {}
        for line in lines:
            for m in re.finditer(pattern + re.escape(name), line):
                longer = m.group(1) + name
                seen[longer] = seen.get(longer, 0) + 1
        best = [n for n, count in seen.items() if count > 1 and ":" not in n]
        if len(best) == 1 and _name(best[0]) == " ".join(best[0].split()):
            return " ".join(best[0].split())
    return name


def _spelled(name: str, lines: list[str]) -> str:
    """`name` with the accents another line of the document gives it (OCR drops them from
    large bold letterheads and keeps them in a footer: "Garcia" there, "García" here), and
    a legal form with a zero for an O read as such ("V.0.F." is "V.O.F.")."""
    words = name.split()
    for k, word in enumerate(words):
        fixed = word.replace("0", "O")
        if fixed != word and fold(fixed).replace(".", "") in LEGAL_FORMS:
            words[k] = fixed
    name = " ".join(words)
    key, best = fold(name), name
    for line in lines:
        at = fold(line).find(key)
        if at >= 0:
            seen = line[at : at + len(name)]
            if sum(not c.isascii() for c in seen) > sum(not c.isascii() for c in best):
                best = seen
    return best


def _vendor(lines: list[str], segs: list[Segment]) -> tuple[str, float] | None:
    """The vendor: labelled, else the letterhead, else a company name outside the
    customer's block."""
    top = _letterhead_line(lines)
    for strength in (2, 1):
        for seg in segs:
            weak = seg.weak or seg.below
            if seg.concept == "vendor" and (1 if weak else 2) == strength and seg.line != top:
                name = _name(seg.text)
                if name:
                    return name, 0.9 if strength == 2 else 0.8
    customer_lines = _customer_lines(segs) - {top}
    labelled = {s.line for s in segs if s.concept is not None and s.concept not in _TITLES}
    labelled -= {i for i, line in enumerate(lines[:8]) if _labels_in_titles(line)}
    labelled -= {i for i in range(min(8, len(lines))) if _mislabelled(i, segs) or i == top}
    for i, line in enumerate(lines[:8]):
        if i in customer_lines and not any(s.line == i and s.concept == "customer" for s in segs):
            continue  # (a customer label's own line may start with the letterhead)
        text = _without_titles(line)
        if i in labelled:
            heads = [s.text for s in segs if s.line == i and s.concept is None]
            first = find_labels(line)
            text = _without_titles(heads[0]) if heads and first and first[0].start > 0 else ""
            # "Facture N° Atelier Moreau SAS": a title's "N°" with the letterhead's name
            numbers = [s.text for s in segs if s.line == i and s.concept == "invoice_number"]
            if not text and numbers and not re.search(r"\d", numbers[0]):
                text = numbers[0]
        name = _name(text)
        if name:
            repeated = sum(name in other for other in lines) > 1
            if _has_legal_form(name) or repeated:
                return name, 0.75
            better = _company_above_title(lines, i + 1, customer_lines)
            return (better, 0.7) if better else (name, 0.6)
    for i, line in enumerate(lines):
        name = _name(_without_titles(line)) if i not in customer_lines else None
        if name and _has_legal_form(name):
            return name, 0.5
    return None


def _letterhead_line(lines: list[str]) -> int | None:
    """The document's first line (after a title alone on its line), when it reads as a
    company with its legal form, no ":" follows a word of it and it does not start with
    a vendor's, customer's or number's label: "Total Energies SE", "Payment Solutions AG"
    are names ("Supplier Acme Ltd", "N° Acme SAS" are labelled)."""
    for i, line in enumerate(lines[:2]):
        if find_kinds(line) and not _without_titles(line).strip(" /|-"):
            continue
        rest = _without_titles(line)
        first = find_labels(rest.strip())
        if first and first[0].start == 0 and first[0].concept in _NAMING:
            return None
        name = _name(rest)
        ok = name is not None and ":" not in line and _has_legal_form(name)
        return i if ok and name == " ".join(_without_titles(line).split()).strip() else None
    return None


def _mislabelled(i: int, segs: list[Segment]) -> bool:
    """Whether line `i`'s labels all lack a value of their type: words but no digit after
    a number's, a date's or a sum's label ("INVOICE Data Systems GmbH", "Bank Street
    Bakery Ltd") — a name that holds a label's word."""
    on_line = [s for s in segs if s.line == i and s.concept not in (None, *_TITLES)]
    return bool(on_line) and all(
        s.concept not in _NAMING
        and re.search(r"[^\W\d_]{2}", s.text)
        and not re.search(r"\d", s.text)
        for s in on_line
    )


def _company_above_title(lines: list[str], start: int, customer_lines: set[int]) -> str | None:
    """A company name (with its legal form) among the next lines of the letterhead, above
    the document's title: "ACME" over "Acme Tools GmbH"."""
    for i in range(start, min(start + 3, len(lines))):
        if find_kinds(lines[i]) or i in customer_lines or find_labels(lines[i]):
            return None
        name = _name(lines[i])
        if name and _has_legal_form(name):
            return name
    return None


def _labels_in_titles(line: str) -> bool:
    """Whether every label on `line` is a word of the document's title ("TAX INVOICE")."""
    kinds = find_kinds(line)
    labels = find_labels(line)
    return bool(labels) and all(
        any(k.start <= lb.start and lb.end <= k.end for k in kinds) for lb in labels
    )


def _without_titles(line: str) -> str:
    for kind in sorted(find_kinds(line), key=lambda k: -k.start):
        if line[kind.end : kind.end + 1] not in ("'", "\u2019"):  # "Bill's Plumbing"
            line = line[: kind.start] + " " + line[kind.end :]
    return line


def _customer_lines(segs: list[Segment]) -> set[int]:
    """Lines of the bill-to block: the label's line and the three under it."""
    out: set[int] = set()
    for seg in segs:
        if seg.concept == "customer":
            out |= set(range(seg.line, seg.line + 4))
    return out
