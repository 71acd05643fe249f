"""`doc.pdf-text`: the text of a document, page by page, with its metadata.

    - name: parse
      type: doc.pdf-text
      with: {file: "{{ input.contract_document }}"}

Output: `text` (all pages, joined by blank lines), `pages` (`[{number, text}]`),
`page_count` and `metadata` (title, author, subject, creator, producer, created,
modified; missing ones are null). A plain-text file is one page. An encrypted PDF
(without an empty password) or a file that is not a readable PDF fails the step
with an error that says so.

Documents are untrusted, so reading one is bounded: a PDF is parsed in a child
process that is killed after `OPENPAL_PDF_MAX_SECONDS` (a crafted file can keep
pypdf busy for minutes, holding the GIL), with at most `OPENPAL_PDF_MAX_PAGES`
pages and `OPENPAL_PDF_MAX_CHARS` characters of text (plain text too); past a
limit the step fails with an error that names it.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

from openpal.files import FileRef
from openpal.settings import Settings
from openpal.steps.base import Problem, StepContext
from openpal.steps.sandbox import SandboxCrashed, SandboxTimeout, run_killable
from openpal.workflows.model import StepSpec

__all__ = ["DocumentError", "PdfTextStep", "pdf_text", "read_document"]


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
        limits = Settings.from_env()
        return await asyncio.to_thread(pdf_text, document, limits, lambda: ctx.cancel_requested)


def pdf_text(
    document: FileRef,
    limits: Settings | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Read `document` (PDF, or plain text as one page) within `limits`; blocks.

    A PDF is parsed in a child process, killed after `limits.pdf_max_seconds`."""
    limits = limits or Settings.from_env()
    data = document.read()
    name, mime = document.name, document.mime_type
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return read_document(data, name, mime, limits.pdf_max_pages, limits.pdf_max_chars)
    args = (data, name, mime, limits.pdf_max_pages, limits.pdf_max_chars)
    try:
        result: dict[str, Any] = run_killable(
            read_document,
            args,
            seconds=limits.pdf_max_seconds,
            cancelled=cancelled,
            preload=["pypdf", "openpal.steps.documents"],
        )
    except SandboxTimeout:
        raise DocumentError(
            f"{name!r}: reading the PDF took longer than {limits.pdf_max_seconds:g} s"
            " (OPENPAL_PDF_MAX_SECONDS)"
        ) from None
    except SandboxCrashed as exc:
        raise DocumentError(f"{name!r}: the PDF reader stopped ({exc})") from None
    return result


def read_document(
    data: bytes, name: str, mime_type: str, max_pages: int, max_chars: int
) -> dict[str, Any]:
    """The text of a document's bytes, at most `max_pages` pages and `max_chars`
    characters (DocumentError past them). Runs in the child process for a PDF."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        if mime_type.startswith("text/") or _is_text(data):
            text = data.decode("utf-8", errors="replace")
            if len(text) > max_chars:
                raise DocumentError(_too_many_chars(name, max_chars))
            return _result([text], {})
        raise DocumentError(f"{name!r} is not a PDF (type {mime_type}, no %PDF header)")
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
                raise DocumentError(_too_many_chars(name, max_chars))
        meta: Any = reader.metadata or {}
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{name!r} is not a readable PDF: {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        if "crypt" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise DocumentError(f"{name!r} is an encrypted PDF; it needs a password") from None
        raise DocumentError(f"{name!r} is not a readable PDF: {exc}") from None
    return _result(pages, meta)


def _too_many_chars(name: str, max_chars: int) -> str:
    return (
        f"{name!r} has more than {max_chars} characters of text; the limit is {max_chars}"
        " (OPENPAL_PDF_MAX_CHARS)"
    )


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
