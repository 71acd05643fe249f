"""Steps of the extract-invoice example: read the document, normalise the fields."""

import re
from datetime import datetime
from typing import Any

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%b %d, %Y",
)


def read_text(document: Any) -> dict[str, Any]:
    data = document.read()
    if document.mime_type == "application/pdf" or data[:5] == b"%PDF-":
        import io

        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        return {"text": "\n".join(pages), "pages": len(pages)}
    return {"text": data.decode("utf-8", errors="replace"), "pages": 1}


def _amount(raw: str) -> tuple[float | None, str | None]:
    currency = None
    for symbol, code in _SYMBOLS.items():
        if symbol in raw:
            currency = code
    iso_code = re.search(r"\b([A-Z]{3})\b", raw)
    if iso_code:
        currency = iso_code.group(1)
    digits = re.sub(r"[^0-9.,]", "", raw)
    if "," in digits and "." in digits:
        # the later separator is the decimal one
        if digits.rfind(",") > digits.rfind("."):
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
    elif "," in digits:
        head, _, tail = digits.rpartition(",")
        digits = f"{head.replace(',', '')}.{tail}" if len(tail) == 2 else digits.replace(",", "")
    try:
        return float(digits), currency
    except ValueError:
        return None, currency


def _date(raw: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return raw


def normalise(fields: dict[str, Any]) -> dict[str, Any]:
    total, currency = _amount(fields.get("total") or "")
    return {
        "invoice_number": fields.get("invoice_number"),
        "invoice_date": _date(fields.get("invoice_date")),
        "vendor": fields.get("vendor"),
        "total": total,
        "currency": currency,
    }
