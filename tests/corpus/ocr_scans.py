"""Scans of generated invoices for the OCR tests: a PDF rendered to images and back.

`scanned_pdf` turns a PDF into one without a text layer (each page a 300 dpi grayscale
image, as a scanner would deliver it); `require_ocr` skips a test when Tesseract is
missing here, and fails it in CI (CI=true), where ./scripts/test installs it.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from openpal.settings import Settings
from openpal.steps.ocr import ocr_problem, render_pages_to_png

__all__ = ["require_ocr", "scanned_pdf"]


def require_ocr() -> None:
    """Skip (locally) or fail (CI) when OCR cannot run in this environment."""
    problem = ocr_problem(Settings().ocr_languages)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test OCR (./scripts/test installs Tesseract): {problem}")
        pytest.skip(problem)


def scanned_pdf(pdf_bytes: bytes) -> bytes:
    """The same pages as images only: no text layer left to extract."""
    pages = [Image.open(io.BytesIO(png)) for png in render_pages_to_png(pdf_bytes)]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", resolution=300, save_all=True, append_images=pages[1:])
    return out.getvalue()
