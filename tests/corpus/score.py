"""Scoring extract-invoice on a list of corpus documents, field by field and per language.

A field is right when it equals the answer: text fields exactly (whitespace runs count as
one space; the vendor in any case, without a trailing full stop), the total to the cent,
the currency as its ISO code, line items as whole rows (a quantity or unit price the table
does not print may be null, or 1 and the amount). A ``not_invoice`` document is right only when
extraction refuses it (``ExtractionRefused``); an invoice that is refused or fails gets
every field wrong.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus.model import FIELDS, Doc

__all__ = ["Miss", "Result", "extract_invoice", "measure_docs", "same"]

Extractor = Callable[[Path], Awaitable[dict[str, Any]]]
MIME = {".pdf": "application/pdf", ".png": "image/png", ".txt": "text/plain"}


async def extract_invoice(path: Path) -> dict[str, Any]:
    """Run the bundled extract-invoice workflow's steps on one file, as a worker would."""
    from openpal.files import FileRef
    from openpal.service.catalog import EXAMPLES_DIR
    from openpal.steps.base import StepContext
    from openpal.steps.registry import get_step_type
    from openpal.workflows.loader import load_workflow_file
    from openpal.workflows.templates import render_value

    wf = load_workflow_file(EXAMPLES_DIR / "extract-invoice.yaml")
    mime = MIME.get(path.suffix, "application/octet-stream")
    doc = FileRef("sha256:x", path.name, mime, path.stat().st_size, path)
    scope: dict[str, Any] = {"input": {"contract_document": doc}, "steps": {}}
    for spec in wf.steps:
        ctx = StepContext(run_id="bench", step_name=spec.name, workflow=wf.slug)
        output = await get_step_type(spec.type).run(render_value(spec.with_, scope), ctx)
        scope["steps"][spec.name] = {"output": output}
    return dict(render_value(wf.output, scope))


@dataclass
class Miss:
    doc: Doc
    field: str
    got: Any


@dataclass
class Result:
    """Counts per (field, language): ``right[(field, lang)]`` of ``seen[(field, lang)]``."""

    right: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    seen: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    misses: list[Miss] = field(default_factory=list)
    refused_invoices: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doc id, error)
    not_invoices: int = 0
    not_invoices_refused: int = 0
    seconds: float = 0.0  # running the workflow
    write_seconds: float = 0.0  # drawing the documents
    documents: int = 0

    def add(self, key: str, lang: str, ok: bool) -> None:
        self.seen[(key, lang)] += 1
        self.right[(key, lang)] += int(ok)

    def fields_right(self) -> tuple[int, int]:
        keys = [k for k in self.seen if k[0] in FIELDS]
        return sum(self.right[k] for k in keys), sum(self.seen[k] for k in keys)


def _norm(text: Any) -> str:
    return " ".join(str(text).split())


def _vendor(text: Any) -> str:
    return _norm(text).rstrip(".,").casefold()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _row_ok(got: Any, want: dict[str, Any]) -> bool:
    if not isinstance(got, dict):
        return False
    amount = _num(got.get("amount"))
    if amount is None or abs(amount - want["amount"]) >= 0.005:
        return False
    if _norm(got.get("description", "")) != _norm(want["description"]):
        return False
    quantity, unit = _num(got.get("quantity")), _num(got.get("unit_price"))
    if want["quantity"] is None:
        if quantity not in (None, 1.0):
            return False
    elif quantity is None or abs(quantity - want["quantity"]) >= 0.0005:
        return False
    if want["unit_price"] is None:
        q = want["quantity"] or 1.0
        return unit is None or abs(unit * q - want["amount"]) < 0.01
    return unit is not None and abs(unit - want["unit_price"]) < 0.005


def same(name: str, got: Any, want: Any) -> bool:
    """Is ``got`` (the extractor's value) the answer ``want`` for field ``name``?"""
    if name == "total":
        value = _num(got)
        return value is not None and want is not None and abs(value - want) < 0.005
    if name == "line_items":
        rows = list(got or [])
        if len(rows) != len(want):
            return False
        return all(_row_ok(g, w) for g, w in zip(rows, want, strict=True))
    if name == "invoice_number":
        return got is not None and _norm(got) == _norm(want)
    if name == "vendor":  # "ACME LTD" for "Acme Ltd." is right: case and a final stop aside
        return got is not None and _vendor(got) == _vendor(want)
    return got == want


async def measure_docs(
    docs: Sequence[Doc],
    extract: Extractor,
    write: Callable[[Doc, Path], Path],
) -> Result:
    """Write each document, run ``extract`` on it and score it."""
    from openpal.steps.extract import ExtractionRefused

    result = Result()
    with tempfile.TemporaryDirectory() as folder:
        for doc in docs:
            started = time.perf_counter()
            path = write(doc, Path(folder))
            result.write_seconds += time.perf_counter() - started
            started = time.perf_counter()
            got: dict[str, Any] | None = None
            refused = False
            try:
                got = await extract(path)
            except ExtractionRefused:
                refused = True
            except Exception as exc:  # a failed step: wrong for an invoice
                result.failed.append((doc.id, f"{type(exc).__name__}: {exc}"[:200]))
            result.seconds += time.perf_counter() - started
            result.documents += 1
            if doc.kind == "not_invoice":
                result.not_invoices += 1
                result.not_invoices_refused += int(refused)
                result.add("refused", doc.language, refused)
                if not refused:
                    result.misses.append(Miss(doc, "refused", got))
                continue
            if refused:
                result.refused_invoices.append(doc.id)
            for name in FIELDS:
                value = (got or {}).get(name)
                ok = got is not None and same(name, value, doc.answer(name))
                result.add(name, doc.language, ok)
                if not ok:
                    result.misses.append(Miss(doc, name, "<refused>" if refused else value))
            if got is not None and "kind" in got:
                result.add("kind", doc.language, got.get("kind") == doc.kind)
    return result
