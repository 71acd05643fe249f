"""Steps of the extract-invoice example: read the document's text, normalise the fields."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from openpal.files import FileRef

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_ISO_CODE = re.compile(r"\b([A-Z]{3})\b")
# Day-first before month-first: `03/04/2026` is read the European way, and
# `12/31/2026` still works because day-first fails on it.
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%d.%m.%y",
    "%d/%m/%y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
)


def read_text(document: FileRef) -> dict[str, Any]:
    """The document's text and page count: PDF text page by page, anything else as UTF-8."""
    data = document.read()
    if document.mime_type == "application/pdf" or data.startswith(b"%PDF"):
        from pypdf import PdfReader  # imported here: only PDF runs pay for it

        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        return {"text": "\n".join(pages), "pages": len(pages)}
    return {"text": data.decode("utf-8", errors="replace"), "pages": 1}


def parse_amount(raw: str | None) -> float | None:
    """`"1,234.50"`, `"1.234,50"`, `"1 234,50 €"`, `"$99"` → a float (None if no number)."""
    if not raw:
        return None
    digits = re.sub(r"[^0-9.,-]", "", raw)
    negative = digits.startswith("-")
    digits = digits.lstrip("-")
    if "," in digits and "." in digits:
        # both separators: the later one is the decimal point
        thousands = "." if digits.rfind(",") > digits.rfind(".") else ","
        digits = digits.replace(thousands, "").replace(",", ".")
    else:
        for sep in ",.":
            head, _, tail = digits.rpartition(sep)
            # one separator followed by exactly three digits groups thousands
            if sep in digits and (digits.count(sep) > 1 or len(tail) == 3):
                digits = digits.replace(sep, "")
            elif sep in digits:
                digits = f"{head.replace(sep, '')}.{tail}"
    try:
        value = float(digits)
    except ValueError:
        return None
    return -value if negative else value


def parse_currency(*candidates: str | None) -> str | None:
    """The ISO code of the first candidate naming a currency (a symbol or a code)."""
    for raw in candidates:
        if not raw:
            continue
        for symbol, code in _SYMBOLS.items():
            if symbol in raw:
                return code
        match = _ISO_CODE.search(raw)
        if match:
            return match.group(1)
    return None


def parse_date(raw: str | None) -> str | None:
    """An ISO `YYYY-MM-DD` date when `raw` is recognisable, else `raw` unchanged."""
    if not raw:
        return None
    cleaned = re.sub(r"(?<=[A-Za-z])\.", "", raw)  # "Mar. 14" → "Mar 14"
    cleaned = re.sub(r"(?<=\d)\.(?=\s)", "", cleaned)  # "14. March" → "14 March"
    cleaned = re.sub(r"[,\s]+", " ", cleaned).strip()  # "March 14, 2026" → "March 14 2026"
    for fmt in _DATE_FORMATS:
        try:
            parsed: date = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        return parsed.isoformat()
    return raw.strip()


def normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """Typed invoice fields: total as a float, date as ISO, currency as an ISO code."""
    total = fields.get("total")
    return {
        "invoice_number": fields.get("invoice_number"),
        "invoice_date": parse_date(fields.get("invoice_date")),
        "vendor": fields.get("vendor"),
        "total": parse_amount(total),
        "currency": parse_currency(fields.get("currency"), total),
    }
