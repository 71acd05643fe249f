"""The corpus scorer (tests/corpus/score.py): what counts as right, and refusals."""

from __future__ import annotations

from pathlib import Path

from openpal.steps.extract import ExtractionError, ExtractionRefused
from tests.corpus.model import FIELDS, Doc
from tests.corpus.score import measure_docs, same


def _doc(kind: str = "invoice", **kw) -> Doc:
    answers = {
        "invoice_number": "INV-7",
        "invoice_date": "2026-03-14",
        "vendor": "Acme Ltd.",
        "total": 119.0,
        "currency": "EUR",
        "line_items": (
            {"description": "Bolts M8", "quantity": 2.0, "unit_price": 50.0, "amount": 100.0},
        ),
    }
    answers.update(kw)
    return Doc(id=f"t-{kind}", half="dev", language="en", layout="x", kind=kind, **answers)


def _write(doc: Doc, folder: Path) -> Path:
    path = folder / f"{doc.id}.txt"
    path.write_text(doc.id)
    return path


def test_fields_compare_by_their_meaning():
    assert same("vendor", "ACME LTD", "Acme Ltd.")
    assert not same("vendor", "Acme", "Acme Ltd.")
    assert same("total", 119.004, 119.0) and not same("total", 119.01, 119.0)
    assert not same("total", None, 119.0) and not same("total", True, 1.0)
    assert same("invoice_number", " INV-7 ", "INV-7") and not same("invoice_number", "7", "INV-7")
    row = {"description": "Bolts  M8", "quantity": 2, "unit_price": 50, "amount": 100}
    want = ({"description": "Bolts M8", "quantity": 2.0, "unit_price": 50.0, "amount": 100.0},)
    assert same("line_items", [row], want)
    assert not same("line_items", [row, row], want)
    assert not same("line_items", [{**row, "amount": 99}], want)
    unprinted = (
        {"description": "Bolts M8", "quantity": None, "unit_price": None, "amount": 100.0},
    )
    assert same("line_items", [{"description": "Bolts M8", "amount": 100}], unprinted)
    assert same("line_items", [{**row, "quantity": 1, "unit_price": 100}], unprinted)
    assert not same("line_items", [row], unprinted)  # 2 x 50 is not what the table says


async def test_right_answers_score_every_field(tmp_path):
    doc = _doc()

    async def truth(path: Path) -> dict:
        return {name: doc.answer(name) for name in FIELDS}

    result = await measure_docs([doc], truth, _write)
    assert result.fields_right() == (len(FIELDS), len(FIELDS))
    assert not result.misses


async def test_a_non_invoice_is_right_only_when_refused(tmp_path):
    docs = [_doc("not_invoice", invoice_number=None, total=None, line_items=())] * 3
    outcomes = iter([ExtractionRefused("not an invoice"), ExtractionError("no total"), None])

    async def extract(path: Path) -> dict:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return {"vendor": "fpdf import FPDF", "total": 35.7}

    result = await measure_docs(docs, extract, _write)
    assert (result.not_invoices, result.not_invoices_refused) == (3, 1)
    assert result.fields_right() == (0, 0)
    assert len(result.failed) == 1 and [m.field for m in result.misses] == ["refused"] * 2


async def test_a_refused_invoice_gets_every_field_wrong(tmp_path):
    async def refuse(path: Path) -> dict:
        raise ExtractionRefused("low confidence", ["total"])

    result = await measure_docs([_doc("credit_note", total=-119.0)], refuse, _write)
    assert result.fields_right() == (0, len(FIELDS))
    assert result.refused_invoices == ["t-credit_note"]
