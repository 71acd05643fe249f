"""`doc.pdf-text`: the text of a document, page by page, with its metadata.

    - name: parse
      type: doc.pdf-text
      with: {file: "{{ input.contract_document }}"}

Output: `text` (all pages, joined by blank lines), `pages` (`[{number, text}]`),
`page_count` and `metadata` (title, author, subject, creator, producer, created,
modified; missing ones are null). A plain-text file is one page. An encrypted PDF
(without an empty password) or a file that is not a readable PDF fails the step
with an error that says so.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from typing import Any

from openpal.files import FileRef
from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec

__all__ = ["PdfTextStep", "pdf_text"]


class DocumentError(ValueError):
    """The document cannot be read; the message says why, for the run's error."""


class PdfTextStep:
    name = "doc.pdf-text"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        problems: list[Problem] = [
            (str(k), "unknown key (doc.pdf-text takes file)") for k in cfg if k != "file"
        ]
        if "file" not in cfg:
            problems.insert(0, ("file", "required: the document, e.g. '{{ input.document }}'"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        document = config.get("file")
        if not isinstance(document, FileRef):
            raise DocumentError(f"file: expected a file input, got {type(document).__name__}")
        return await asyncio.to_thread(pdf_text, document)


def pdf_text(document: FileRef) -> dict[str, Any]:
    """Read `document` (PDF, or plain text as one page)."""
    data = document.read()
    if not data.lstrip()[:5].startswith(b"%PDF"):
        if document.mime_type.startswith("text/") or _is_text(data):
            text = data.decode("utf-8", errors="replace")
            return _result([text], {})
        raise DocumentError(
            f"{document.name!r} is not a PDF (type {document.mime_type}, no %PDF header)"
        )
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{document.name!r} is an encrypted PDF; it needs a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta: Any = reader.metadata or {}
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{document.name!r} is not a readable PDF: {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        if "crypt" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise DocumentError(
                f"{document.name!r} is an encrypted PDF; it needs a password"
            ) from None
        raise DocumentError(f"{document.name!r} is not a readable PDF: {exc}") from None
    return _result(pages, meta)


def _result(pages: list[str], meta: Any) -> dict[str, Any]:
    def field(key: str) -> str | None:
        value = meta.get(key) if hasattr(meta, "get") else None
        return None if value is None else str(value)

    return {
        "text": "\n\n".join(pages),
        "pages": [{"number": i + 1, "text": t} for i, t in enumerate(pages)],
        "page_count": len(pages),
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
