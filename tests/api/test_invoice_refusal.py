"""The bundled extract-invoice workflow over HTTP (both backends): a Python source file
and a letter are refused, the run failing with a message that says why; an invoice
completes with a confidence per field."""

from __future__ import annotations

import httpx

from tests.api.test_runs import wait_terminal

PYTHON = b"""from fpdf import FPDF

def make_invoice(inv, path):
    pdf = FPDF()
    pdf.add_page()
    pdf.cell(0, 10, "INVOICE")
    pdf.cell(0, 10, f"Invoice Number: {inv.number}")
    pdf.cell(0, 10, f"Total: {inv.total:.2f} EUR")
    return pdf.output(path)
"""
LETTER = b"""Acme Tools GmbH
Industriestrasse 12, 80331 Munich
Munich, 14 March 2026
Dear Mr Smith,
thank you for your visit last week. As discussed, we will send you our catalogue shortly.
We would be glad to welcome you again at our exhibition in Hamburg next spring as well.
Kind regards,
Anna Miller
"""
INVOICE = """Rossi Forniture S.r.l.
Fattura n. 45/2026 del 21/05/2026
Descrizione Quantità Prezzo Importo
Sedie ufficio 4 120,00 480,00
Imponibile 480,00
IVA 22% 105,60
Totale documento 585,60 EUR
""".encode()


def _run(api: httpx.Client, name: str, content: bytes) -> dict:
    resp = api.post(
        "/api/v1/run/workflows.extract-invoice",
        data={"_json": "{}"},
        files={"contract_document": (name, content, "text/plain")},
    )
    assert resp.status_code in (200, 201, 202), resp.text
    return wait_terminal(api, resp.json()["runId"])


def test_a_python_source_file_is_refused(api):
    run = _run(api, "make_invoice.py", PYTHON)
    assert run["status"] == "failed", run
    assert "not an invoice" in str(run["error"]) and "source code" in str(run["error"])


def test_a_letter_is_refused(api):
    run = _run(api, "letter.txt", LETTER)
    assert run["status"] == "failed", run
    assert "a letter, not an invoice" in str(run["error"])


def test_an_invoice_completes_with_a_confidence_per_field(api):
    run = _run(api, "fattura.txt", INVOICE)
    assert run["status"] == "completed", run
    out = run["output"]
    assert (out["invoice_number"], out["invoice_date"]) == ("45/2026", "2026-05-21")
    assert (out["total"], out["currency"]) == (585.6, "EUR")
    assert out["vendor"] == "Rossi Forniture S.r.l."
    assert set(out["confidence"]) == {
        "invoice_number", "invoice_date", "vendor", "total", "currency", "line_items"
    }  # fmt: skip
    assert all(0 < c <= 1 for c in out["confidence"].values())
