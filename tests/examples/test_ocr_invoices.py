"""Scanned invoices through `extract-invoice` over HTTP, both backends: an image-only PDF
(a generated invoice rendered at 300 dpi and wrapped back into a PDF) and a PNG upload
are read by OCR (Tesseract) and give the invoice's fields; the OCR'd pages reach the
run's usage (`ocrPagesProcessed`, /v1 `expand=usage` and `/usage`). Skipped locally
without Tesseract, a failure in CI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from openpal.files import FileRef
from openpal.steps.documents import DocumentError, pdf_text
from openpal.steps.ocr import render_pages_to_png
from tests.api.test_runs import wait_terminal
from tests.api.test_v1_run_parts import assert_models
from tests.corpus.invoices import Invoice, corpus, make_invoice
from tests.corpus.ocr_scans import require_ocr, scanned_pdf

FIELDS = ("invoice_number", "invoice_date", "vendor", "total", "currency")


@pytest.fixture
def ocr() -> None:
    require_ocr()


def _invoice(layout: str, tmp_path: Path) -> tuple[Invoice, bytes]:
    inv = next(i for i in corpus(12, seed=7) if i.layout == layout)
    return inv, make_invoice(inv, tmp_path / f"{layout}.pdf").read_bytes()


def _extract(api: httpx.Client, name: str, data: bytes, mime: str) -> dict[str, Any]:
    files = {"contract_document": (name, data, mime)}
    resp = api.post("/api/v1/run/workflows.extract-invoice", data={"_json": "{}"}, files=files)
    assert resp.status_code == 201, resp.text
    run = wait_terminal(api, resp.json()["runId"], timeout=120)
    assert run["status"] == "completed", run
    return run


def _usage(api: httpx.Client, run_id: str) -> dict[str, Any]:
    run = api.get(f"/v1/runs/{run_id}", params={"expand": "usage"}).json()
    usage = api.get(f"/v1/runs/{run_id}/usage").json()
    assert usage["usage"]["ocrPagesProcessed"] == run["usage"]["ocrPagesProcessed"]
    assert_models(("RunUsageResponse", usage))
    return dict(usage["usage"])


@pytest.mark.slow
def test_a_scanned_pdf_is_read_by_ocr(api: httpx.Client, tmp_path: Path, ocr: None) -> None:
    inv, pdf = _invoice("german", tmp_path)
    scan = scanned_pdf(pdf)
    assert pdf_text_of(scan, tmp_path)["text"].strip() == ""  # no text layer without OCR
    run = _extract(api, "scan.pdf", scan, "application/pdf")
    assert {k: run["output"][k] for k in FIELDS} == {k: getattr(inv, k) for k in FIELDS}
    usage = _usage(api, run["id"])
    assert usage["ocrPagesProcessed"] == 1
    assert [s["ocrPagesProcessed"] for s in usage["steps"]] == [1, 0]
    digital = _extract(api, "digital.pdf", pdf, "application/pdf")  # has a text layer
    assert _usage(api, digital["id"])["ocrPagesProcessed"] == 0


@pytest.mark.slow
def test_a_png_upload_is_read_by_ocr(api: httpx.Client, tmp_path: Path, ocr: None) -> None:
    inv, pdf = _invoice("uk", tmp_path)
    [png] = render_pages_to_png(pdf)
    run = _extract(api, "invoice.png", png, "image/png")
    assert {k: run["output"][k] for k in FIELDS} == {k: getattr(inv, k) for k in FIELDS}
    assert _usage(api, run["id"])["ocrPagesProcessed"] == 1


def pdf_text_of(data: bytes, folder: Path, ocr: str = "never") -> dict[str, Any]:
    path = folder / "doc.bin"
    path.write_bytes(data)
    return pdf_text(FileRef("sha256:t", "doc.pdf", "application/pdf", len(data), path), ocr=ocr)


def test_ocr_modes(tmp_path: Path, ocr: None) -> None:
    inv, pdf = _invoice("us", tmp_path)
    digital = pdf_text_of(pdf, tmp_path, "auto")
    assert digital["ocr_pages"] == 0 and digital["pages"][0]["ocr"] is False
    always = pdf_text_of(pdf, tmp_path, "always")
    assert always["ocr_pages"] == 1 and always["pages"][0]["ocr"] is True
    assert inv.invoice_number in always["text"]
    with pytest.raises(DocumentError, match=r"PNG image; reading it needs OCR \(ocr: never\)"):
        pdf_text_of(render_pages_to_png(pdf)[0], tmp_path, "never")


def test_the_ocr_setting_is_checked_at_load() -> None:
    from tests.unit.test_steps import problems

    doc = "{{ input.doc }}"
    assert problems("doc.pdf-text", {"file": doc, "ocr": "sometimes"}) == [
        ("ocr", "one of auto, always, never (got 'sometimes')")
    ]
    assert problems("doc.pdf-text", {"file": doc, "ocr": "never", "lang": "x"}) == [
        ("lang", "unknown key (doc.pdf-text takes file, ocr)")
    ]
    for mode in ("auto", "always", "never", "{{ input.mode }}"):
        assert problems("doc.pdf-text", {"file": doc, "ocr": mode}) == []
