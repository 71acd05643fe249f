"""Reading a document's bytes: a PDF's text per page and metadata (pypdf), or plain text.

`read_document` runs in the sandbox worker for a PDF (see `openpal.steps.documents`,
which adds OCR); it enforces the page and character limits it is given.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

__all__ = ["DocumentError", "document_result", "read_document", "too_many_chars"]


class DocumentError(ValueError):
    """The document cannot be read; the message says why, for the run's error."""


def read_document(
    data: bytes, name: str, mime_type: str, max_pages: int, max_chars: int
) -> dict[str, Any]:
    """The text of a document's bytes, at most `max_pages` pages and `max_chars`
    characters (DocumentError past them). Runs in the child process for a PDF."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        if mime_type.startswith("text/") or _is_text(data):
            text = data.decode("utf-8", errors="replace")
            if len(text) > max_chars:
                raise DocumentError(too_many_chars(name, max_chars))
            return document_result([text], {})
        raise DocumentError(
            f"{name!r} is not a PDF or an image (PNG, JPEG, TIFF) (type {mime_type},"
            " no %PDF header)"
        )
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name!r} is an encrypted PDF; it needs a password")
        if len(reader.pages) > max_pages:
            raise DocumentError(
                f"{name!r} has {len(reader.pages)} pages; the limit is {max_pages}"
                " (OPENPAL_PDF_MAX_PAGES)"
            )
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > max_chars:
                raise DocumentError(too_many_chars(name, max_chars))
        meta: Any = reader.metadata or {}
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{name!r} is not a readable PDF: {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        if "crypt" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise DocumentError(f"{name!r} is an encrypted PDF; it needs a password") from None
        raise DocumentError(f"{name!r} is not a readable PDF: {exc}") from None
    return document_result(pages, meta)


def too_many_chars(name: str, max_chars: int) -> str:
    return (
        f"{name!r} has more than {max_chars} characters of text; the limit is {max_chars}"
        " (OPENPAL_PDF_MAX_CHARS)"
    )


def document_result(pages: list[str], meta: Any) -> dict[str, Any]:
    def field(key: str) -> str | None:
        value = meta.get(key) if hasattr(meta, "get") else None
        return None if value is None else str(value)

    return {
        "text": "\n\n".join(pages),
        "pages": [{"number": i + 1, "text": t, "ocr": False} for i, t in enumerate(pages)],
        "page_count": len(pages),
        "ocr_pages": 0,
        "metadata": {
            "title": field("/Title"),
            "author": field("/Author"),
            "subject": field("/Subject"),
            "creator": field("/Creator"),
            "producer": field("/Producer"),
            "created": _pdf_date(field("/CreationDate")),
            "modified": _pdf_date(field("/ModDate")),
        },
    }


def _pdf_date(raw: str | None) -> str | None:
    """`D:20260314101500+01'00'` → `2026-03-14T10:15:00+01:00` (as written if unknown)."""
    if not raw:
        return None
    text = raw[2:] if raw.startswith("D:") else raw
    digits = text[:14]
    for fmt, size in (("%Y%m%d%H%M%S", 14), ("%Y%m%d%H%M", 12), ("%Y%m%d", 8)):
        try:
            value = datetime.strptime(digits[:size], fmt)
        except ValueError:
            continue
        zone = text[size:].replace("'", "")
        if zone.startswith(("+", "-")) and len(zone) >= 5:
            return value.isoformat() + f"{zone[:3]}:{zone[3:5]}"
        if zone.startswith("Z"):
            return value.isoformat() + "Z"
        return value.isoformat()
    return raw


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
