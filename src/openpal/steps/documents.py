"""`doc.pdf-text`: the text of a document, page by page, with its metadata.

    - name: parse
      type: doc.pdf-text
      with: {file: "{{ input.contract_document }}", ocr: auto}

Output: `text` (all pages, joined by blank lines), `pages` (`[{number, text, ocr}]`),
`page_count`, `ocr_pages` (how many pages were read by OCR) and `metadata` (title,
author, subject, creator, producer, created, modified; missing ones are null). A
plain-text file is one page. An encrypted PDF (without an empty password) or a file
that is not a readable PDF fails the step with an error that says so.

OCR (`openpal.steps.ocr`, Tesseract): a PNG, JPEG or TIFF (recognised by its first
bytes) is read by OCR, each TIFF frame a page; with `ocr: auto` (the default) so is a
PDF page whose text layer has fewer than `MIN_TEXT_CHARS` characters and which shows
an image, with `ocr: always` every PDF page, with `ocr: never` none (an image then
fails the step). OCR'd pages count in the run's usage (`ocrPagesProcessed`). Without
Tesseract, a document that needs OCR fails the step naming what to install.

Documents are untrusted, so reading one is bounded: a PDF is parsed in a child
process that is killed after `OPENPAL_PDF_MAX_SECONDS` (a crafted file can keep
pypdf busy for minutes, holding the GIL), with at most `OPENPAL_PDF_MAX_PAGES`
pages and `OPENPAL_PDF_MAX_CHARS` characters of text (plain text too); past a
limit the step fails with an error that names it. OCR runs in the same kind of
process, bounded by `OPENPAL_OCR_MAX_PAGES`, `OPENPAL_OCR_SECONDS` (per document) and
`OPENPAL_OCR_MAX_PIXELS` (per page); every such process has at most
`OPENPAL_SANDBOX_MEMORY_MB` of address space.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from openpal.files import FileRef
from openpal.settings import Settings
from openpal.steps.base import Problem, StepContext
from openpal.steps.ocr import OcrError, image_kind, ocr_image, ocr_pdf_pages, ocr_problem
from openpal.steps.pdf_read import DocumentError, document_result, read_document, too_many_chars
from openpal.steps.sandbox import (
    SandboxCrashed,
    SandboxOutOfMemory,
    SandboxTimeout,
    run_killable,
)
from openpal.workflows.model import StepSpec

__all__ = ["OCR_MODES", "DocumentError", "PdfTextStep", "pdf_text", "read_document"]

OCR_MODES = ("auto", "always", "never")
MIN_TEXT_CHARS = 32  # fewer non-blank characters on a PDF page: no text layer (auto OCR)
# imported once by the sandbox's forkserver, so that each worker starts ready
_PRELOAD = [
    "pypdf",
    "openpal.steps.pdf_read",
    "openpal.steps.ocr",
    "PIL.Image",
    "pypdfium2",
    "tesserocr",
]
_log = logging.getLogger("openpal.step")
_ocr_noted = False


class PdfTextStep:
    name = "doc.pdf-text"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        problems: list[Problem] = [
            (str(k), "unknown key (doc.pdf-text takes file, ocr)")
            for k in cfg
            if k not in ("file", "ocr")
        ]
        if "file" not in cfg:
            problems.insert(0, ("file", "required: the document, e.g. '{{ input.document }}'"))
        mode = cfg.get("ocr", "auto")
        if not isinstance(mode, str) or ("{{" not in mode and mode not in OCR_MODES):
            problems.append(("ocr", f"one of auto, always, never (got {mode!r})"))
        elif mode != "never":
            _note_ocr_once()
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        document = config.get("file")
        if not isinstance(document, FileRef):
            raise DocumentError(f"file: expected a file input, got {type(document).__name__}")
        mode = config.get("ocr", "auto")
        if mode not in OCR_MODES:
            raise DocumentError(f"ocr: expected auto, always or never, got {mode!r}")
        limits = Settings.from_env()
        result = await asyncio.to_thread(
            pdf_text, document, limits, lambda: ctx.cancel_requested, mode
        )
        if result["ocr_pages"]:
            ctx.report_ocr_pages(result["ocr_pages"])
        return result


def _note_ocr_once() -> None:
    """Say once per process, when a workflow that may OCR is loaded, that OCR is missing."""
    global _ocr_noted
    if not _ocr_noted:
        _ocr_noted = True
        problem = ocr_problem(Settings.from_env().ocr_languages)
        if problem:
            _log.warning("doc.pdf-text: scanned pages and images will fail: %s", problem)


def pdf_text(
    document: FileRef,
    limits: Settings | None = None,
    cancelled: Callable[[], bool] | None = None,
    ocr: str = "auto",
) -> dict[str, Any]:
    """Read `document` (PDF, image, or plain text as one page) within `limits`; blocks.

    A PDF is parsed in a child process, killed after `limits.pdf_max_seconds`; OCR
    (`ocr`: auto, always or never) runs in one too, killed after `limits.ocr_seconds`."""
    limits = limits or Settings.from_env()
    data = document.read()
    name, mime = document.name, document.mime_type
    kind = image_kind(data)
    if kind is not None:
        if ocr == "never":
            raise DocumentError(f"{name!r} is a {kind} image; reading it needs OCR (ocr: never)")
        args = (data, name, limits.ocr_languages, limits.ocr_max_pages, limits.ocr_max_pixels)
        texts = _ocr(ocr_image, args, f"{name!r} is a {kind} image", limits, cancelled)
        blank = document_result([""] * len(texts), {})
        return _with_ocr(blank, dict(enumerate(texts)), name, limits.pdf_max_chars)
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return read_document(data, name, mime, limits.pdf_max_pages, limits.pdf_max_chars)
    args = (data, name, mime, limits.pdf_max_pages, limits.pdf_max_chars)
    result: dict[str, Any] = _sandboxed(
        read_document,
        args,
        name,
        limits,
        cancelled,
        seconds=limits.pdf_max_seconds,
        took_too_long="reading the PDF took longer than {:g} s (OPENPAL_PDF_MAX_SECONDS)",
        what="the PDF reader",
    )
    if ocr == "never":
        return result
    texts = [page["text"] for page in result["pages"]]
    wanted = [i for i, t in enumerate(texts) if ocr == "always" or _no_text_layer(t)]
    if not wanted:
        return result
    why = f"{name!r} has pages without a text layer (page {wanted[0] + 1})"
    pages = (data, name, wanted, ocr == "auto", *_ocr_limits(limits))
    found = _ocr(ocr_pdf_pages, pages, why, limits, cancelled)
    return _with_ocr(result, found, name, limits.pdf_max_chars)


def _no_text_layer(text: str) -> bool:
    return len("".join(text.split())) < MIN_TEXT_CHARS


def _ocr_limits(limits: Settings) -> tuple[str, int, int]:
    return limits.ocr_languages, limits.ocr_max_pages, limits.ocr_max_pixels


def _ocr(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    why: str,
    limits: Settings,
    cancelled: Callable[[], bool] | None,
) -> Any:
    """`fn(*args)` (an OCR function) in the sandbox, or a DocumentError saying why not."""
    problem = ocr_problem(limits.ocr_languages)
    if problem:
        raise DocumentError(f"{why} and needs OCR, which is not available here: {problem}")
    name = args[1]
    return _sandboxed(
        fn,
        args,
        name,
        limits,
        cancelled,
        seconds=limits.ocr_seconds,
        took_too_long="OCR took longer than {:g} s (OPENPAL_OCR_SECONDS)",
        what="the OCR worker",
    )


def _sandboxed(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    name: str,
    limits: Settings,
    cancelled: Callable[[], bool] | None,
    *,
    seconds: float,
    took_too_long: str,
    what: str,
) -> Any:
    """`fn(*args)` in a killable worker within `seconds` and the sandbox's memory cap;
    each way it can fail becomes a DocumentError that names the limit."""
    memory = limits.sandbox_memory_mb or None
    try:
        return run_killable(
            fn, args, seconds=seconds, cancelled=cancelled, preload=_PRELOAD, memory_mb=memory
        )
    except SandboxTimeout:
        raise DocumentError(f"{name!r}: {took_too_long.format(seconds)}") from None
    except SandboxOutOfMemory:
        raise DocumentError(
            f"{name!r}: reading it needed more than {memory} MB of memory"
            " (OPENPAL_SANDBOX_MEMORY_MB)"
        ) from None
    except SandboxCrashed as exc:
        hint = f"; it may have needed more than {memory} MB (OPENPAL_SANDBOX_MEMORY_MB)"
        raise DocumentError(f"{name!r}: {what} stopped ({exc}){hint if memory else ''}") from None
    except OcrError as exc:
        raise DocumentError(str(exc)) from None


def _with_ocr(
    result: dict[str, Any], found: dict[int, str], name: str, max_chars: int
) -> dict[str, Any]:
    """`result` with the OCR'd pages' text in place of their text layer's."""
    pages = result["pages"]
    for index, text in found.items():
        pages[index] = {"number": index + 1, "text": text, "ocr": True}
    result["text"] = "\n\n".join(page["text"] for page in pages)
    result["ocr_pages"] = len(found)
    if sum(len(page["text"]) for page in pages) > max_chars:
        raise DocumentError(too_many_chars(name, max_chars))
    return result
