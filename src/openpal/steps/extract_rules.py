"""The `rules` provider of `ai.extract`: deterministic, offline field extraction.

Driven by the JSON Schema of what to extract. Each property is found by its
labels (`x-labels`, in priority order; by default its name in words) followed by
a value on the same line, then normalised by its type:

- `number` / `integer`: amounts in any common notation (`1,234.50`, `1.234,50`,
  `1'234.50`, `$99`); for several lines with the same label, the last one wins
  (a grand total comes after the subtotal);
- `format: date`: an ISO `YYYY-MM-DD` date from `2026-03-14`, `14.03.2026`,
  `14/03/2026`, `March 14, 2026`, `14 Mar 2026`, …;
- `format: currency`: an ISO 4217 code from a code or a symbol, looked for on the
  property's own line, then on the lines of `x-near` labels, then anywhere;
- `x-pattern`: a regular expression the value must match (its first group, or the
  whole match, is the value);
- `x-fallback: first-line`: the first line that is not a label line (a letterhead);
- an `array` of objects: table rows, a line of text followed by numbers, mapped to
  the item's string and numeric properties in order (`x-skip` words drop rows);
- `x-concept` (invoice_number, invoice_date, vendor, total, currency, line_items,
  document_type): found by type and context in several languages, with a confidence
  (`invoice_document`); `x-labels` are then only a further hint.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from openpal.steps.safe_regex import compile_safe

__all__ = ["CODES", "MAX_LINE", "extract_rules", "parse_amount", "parse_currency", "parse_date"]

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_CODES = (
    "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "CNY", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD",
)  # fmt: skip
CODES = _CODES  # the currencies' ISO codes read beside an amount
_CODE_RE = re.compile(r"(?<![A-Z])(" + "|".join(_CODES) + r")(?![A-Z])")
_AMOUNT_RE = re.compile(r"-?\d(?:[\d.,' ]*\d)?")
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# Every pattern here is linear in the line (text from documents is untrusted: `re`
# backtracks and holds the GIL for a whole search): a month name is at most 9 letters
# and starts a word, so a long run of letters is tried a bounded number of times.
_DATE_RE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"
    r"|\d{1,2}\.?\s+[A-Za-zäöüÄÖÜ]{3,9}\.?,?\s+\d{4}"
    r"|(?<![A-Za-z])[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
)
_GERMAN_MONTHS = {
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6,
    "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
}  # fmt: skip
_SEPARATORS = " \t:#.-|"
MAX_LINE = 2000  # characters of one line searched at a time


def extract_rules(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Every property of `schema` found in `text` (None where nothing matched); with
    `x-concept` properties, as `invoice_document` reads them, plus `_confidence`."""
    props_: dict[str, Any] = schema.get("properties", {})
    if any(isinstance(spec, dict) and spec.get("x-concept") for spec in props_.values()):
        from openpal.steps.invoice_document import extract_document  # it imports this module

        return extract_document(text, schema)
    lines = [piece.strip() for ln in text.splitlines() for piece in _pieces(ln)]
    lines = [ln for ln in lines if ln]
    props: dict[str, Any] = schema.get("properties", {})
    label_lines = {i for name, spec in props.items() for _, i, _ in _labelled(lines, name, spec)}
    out: dict[str, Any] = {}
    for name, spec in props.items():
        kind = spec.get("type")
        if kind == "array" and spec.get("items", {}).get("type") == "object":
            out[name] = _table_rows(lines, spec)
        else:
            out[name] = _scalar(lines, name, spec, label_lines, props)
    return out


def _pieces(line: str) -> list[str]:
    """A line longer than `MAX_LINE` as pieces of at most that length (no invoice has
    such lines; it bounds each search, so the GIL is never held for long)."""
    if len(line) <= MAX_LINE:
        return [line]
    return [line[i : i + MAX_LINE] for i in range(0, len(line), MAX_LINE)]


# -- scalars ---------------------------------------------------------------------------
def _labels(name: str, spec: dict[str, Any]) -> list[str]:
    labels = spec.get("x-labels")
    if isinstance(labels, list) and labels:
        return [str(label) for label in labels]
    return [name.replace("_", " ")]


def _label_re(label: str) -> re.Pattern[str]:
    words = r"\s*".join(re.escape(w) for w in label.split())
    return re.compile(rf"(?<![A-Za-zäöüÄÖÜ]){words}(?![A-Za-zäöüÄÖÜ])", re.IGNORECASE)


def _labelled(lines: list[str], name: str, spec: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(label rank, line index, value after the label) for every line with one of the
    labels, in label-priority order, then line order."""
    found = []
    for rank, label in enumerate(_labels(name, spec)):
        pattern = _label_re(label)
        for i, line in enumerate(lines):
            match = pattern.search(line)
            if match:
                value = line[match.end() :].lstrip(_SEPARATORS)
                value = _before_column(value)
                found.append((rank, i, value))
    return found


def _before_column(value: str) -> str:
    """`value` up to a column separator (a `|` between spaces), stripped; linear in `value`."""
    at = value.find("|")
    while at != -1:
        if 0 < at < len(value) - 1 and value[at - 1].isspace() and value[at + 1].isspace():
            return value[:at].strip()
        at = value.find("|", at + 1)
    return value.strip()


def _scalar(
    lines: list[str],
    name: str,
    spec: dict[str, Any],
    label_lines: set[int],
    props: dict[str, Any],
) -> Any:
    kind, fmt = spec.get("type"), spec.get("format")
    candidates = _labelled(lines, name, spec)
    if kind in ("number", "integer"):
        # the best-ranked label with a number; of its lines the last (a total follows
        # its subtotals)
        numeric: list[tuple[int, float]] = []
        for rank, _, value in candidates:
            parsed = parse_amount(value)
            if parsed is not None:
                numeric.append((rank, parsed))
        if not numeric:
            return None
        top = min(rank for rank, _ in numeric)
        amount = [a for rank, a in numeric if rank == top][-1]
        return int(amount) if kind == "integer" else amount
    if fmt == "currency":
        for _, _, value in candidates:
            code = parse_currency(value)
            if code:
                return code
        for near in spec.get("x-near", []):
            for _, _, value in _labelled(lines, near, props.get(near, {})):
                code = parse_currency(value)
                if code:
                    return code
        return _most_common_currency(lines)
    for _, _, value in candidates:
        result = _string_value(value, spec, fmt)
        if result:
            return result
    if spec.get("x-fallback") == "first-line":
        for i, line in enumerate(lines):
            head = _letterhead(line, spec)
            if i not in label_lines and head:
                return head
    return None


def _string_value(value: str, spec: dict[str, Any], fmt: str | None) -> str | None:
    if not value:
        return None
    if fmt == "date":
        return parse_date(value)
    pattern = spec.get("x-pattern")
    if pattern:
        match = compile_safe(str(pattern)).search(value)  # RE2: linear in the value
        if not match:
            return None
        group = match.group(1) if match.re.groups else match.group(0)
        return (group or "").strip()
    return value


def _letterhead(line: str, spec: dict[str, Any]) -> str | None:
    """The line as a name, with `x-skip` words (e.g. a heading beside it) removed; None
    for lines that are no name (an address, a date, a label, a lone heading)."""
    for word in spec.get("x-skip", []):
        line = re.sub(rf"(?i)(?<![A-Za-z]){re.escape(str(word))}(?![A-Za-z])", " ", line)
    line = " ".join(line.split())
    if len(line) < 2 or line[0].isdigit() or ":" in line or _DATE_RE.search(line):
        return None
    return line if sum(c.isalpha() for c in line) >= 2 else None


# -- tables ----------------------------------------------------------------------------
def _table_rows(lines: list[str], spec: dict[str, Any]) -> list[dict[str, Any]]:
    item = spec.get("items", {})
    props: dict[str, Any] = item.get("properties", {})
    text_props = [k for k, v in props.items() if v.get("type") == "string"]
    number_props = [k for k, v in props.items() if v.get("type") in ("number", "integer")]
    if not number_props:
        return []
    skip = [str(w).lower() for w in spec.get("x-skip", [])]
    rows = []
    for line in lines:
        cleaned = _CODE_RE.sub(" ", line)
        for symbol in _SYMBOLS:
            cleaned = cleaned.replace(symbol, " ")
        tokens = cleaned.split()
        numbers: list[float] = []
        while tokens and len(numbers) < len(number_props):
            amount = parse_amount(tokens[-1]) if re.fullmatch(r"-?[\d.,']+", tokens[-1]) else None
            if amount is None:
                break
            numbers.insert(0, amount)
            tokens.pop()
        description = " ".join(tokens).strip(" -|:")
        if len(numbers) < len(number_props) or not re.search(r"[A-Za-z]", description):
            continue
        if any(w in description.lower() for w in skip):
            continue
        row: dict[str, Any] = dict(zip(number_props, numbers, strict=True))
        if text_props:
            row[text_props[0]] = description
        rows.append(row)
    if text_props:
        _drop_position_numbers(rows, text_props[0])
    return rows


def _drop_position_numbers(rows: list[dict[str, Any]], key: str) -> None:
    """A leading "Pos." column (1, 2, 3, … in order on every row) is not the description."""
    numbers = [re.match(r"(\d+)\s+(?=\S)", str(r[key])) for r in rows]
    if rows and all(m and int(m.group(1)) == i + 1 for i, m in enumerate(numbers)):
        for row, match in zip(rows, numbers, strict=True):
            assert match is not None
            row[key] = str(row[key])[match.end() :]


# -- normalisation ---------------------------------------------------------------------
def parse_amount(raw: str | None) -> float | None:
    """`"1,234.50"`, `"1.234,50"`, `"1'234.50"`, `"$ 99"` → a float (None if no number)."""
    if not raw:
        return None
    cleaned = _CODE_RE.sub(" ", raw)
    for space in "\u00a0\u202f\u2009":  # no-break, narrow no-break and thin spaces
        cleaned = cleaned.replace(space, " ")
    match = _AMOUNT_RE.search(cleaned)
    if not match:
        return None
    digits = match.group(0).replace("'", "").replace(" ", "")
    negative = digits.startswith("-")
    digits = digits.lstrip("-")
    if "," in digits and "." in digits:
        thousands = "." if digits.rfind(",") > digits.rfind(".") else ","
        digits = digits.replace(thousands, "").replace(",", ".")
    else:
        for sep in ",.":
            if sep not in digits:
                continue
            head, _, tail = digits.rpartition(sep)
            if digits.count(sep) > 1 or len(tail) == 3:
                digits = digits.replace(sep, "")  # thousands only: 1,234 or 1.234.567
            else:
                digits = f"{head.replace(sep, '')}.{tail}"
    try:
        value = float(digits)
    except ValueError:
        return None
    return -value if negative else value


def parse_currency(raw: str | None) -> str | None:
    """The ISO code named by a code or a symbol in `raw`."""
    if not raw:
        return None
    match = _CODE_RE.search(raw)
    if match:
        return match.group(1)
    for symbol, code in _SYMBOLS.items():
        if symbol in raw:
            return code
    return None


def _most_common_currency(lines: list[str]) -> str | None:
    counts: dict[str, int] = {}
    for line in lines:
        for match in _CODE_RE.finditer(line):
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        for symbol, code in _SYMBOLS.items():
            if symbol in line:
                counts[code] = counts.get(code, 0) + line.count(symbol)
    return max(counts, key=lambda c: counts[c]) if counts else None


def parse_date(raw: str | None) -> str | None:
    """An ISO `YYYY-MM-DD` date found in `raw`, or None."""
    if not raw:
        return None
    match = _DATE_RE.search(raw)
    if not match:
        return None
    text = match.group(0)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return _iso(*map(int, text.split("-")))
    numeric = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})", text)
    if numeric:
        first, second, year = (int(g) for g in numeric.groups())
        year += 2000 if year < 100 else 0
        # day first (Europe), unless that cannot be a date (12/31/2026)
        return _iso(year, second, first) or _iso(year, first, second)
    words = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text).replace(",", " ").replace(".", " ")
    parts = words.split()
    if parts[0].isdigit():
        day, month_name, year_text = parts[0], parts[1], parts[2]
    else:
        month_name, day, year_text = parts[0], parts[1], parts[2]
    month = _month(month_name)
    if month is None:
        return None
    return _iso(int(year_text), month, int(day))


def _month(name: str) -> int | None:
    lowered = name.lower()
    if lowered in _GERMAN_MONTHS:
        return _GERMAN_MONTHS[lowered]
    for number, full in enumerate(_MONTHS, start=1):
        if len(lowered) >= 3 and full.startswith(lowered[:3]):
            return number
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
