"""Field-level accuracy of the bundled `extract-invoice` workflow on the generated corpus."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpal.files import FileRef
from openpal.service.catalog import EXAMPLES_DIR
from openpal.steps.base import StepContext
from openpal.steps.registry import get_step_type
from openpal.workflows.loader import load_workflow_file
from openpal.workflows.templates import render_value
from tests.corpus.invoices import Invoice, write_corpus

Score = dict[str, dict[str, int]]
Miss = tuple[Invoice, str, Any]

FIELDS = ("invoice_number", "invoice_date", "vendor", "total", "currency", "line_items")


async def extract(path: Path) -> dict[str, Any]:
    """Run extract-invoice's steps on one file, as a worker would."""
    wf = load_workflow_file(EXAMPLES_DIR / "extract-invoice.yaml")
    doc = FileRef("sha256:x", path.name, "application/pdf", path.stat().st_size, path)
    scope: dict[str, Any] = {"input": {"contract_document": doc}, "steps": {}}
    for spec in wf.steps:
        ctx = StepContext(run_id="bench", step_name=spec.name, workflow=wf.slug)
        output = await get_step_type(spec.type).run(render_value(spec.with_, scope), ctx)
        scope["steps"][spec.name] = {"output": output}
    return dict(render_value(wf.output, scope))


def _same(field: str, got: Any, want: Any) -> bool:
    if field == "total":
        return isinstance(got, int | float) and abs(got - want) < 0.005
    if field == "line_items":
        rows = [
            (
                str(r.get("description", "")).strip(),
                round(float(r.get("quantity") or 0), 3),
                round(float(r.get("unit_price") or 0), 2),
                round(float(r.get("amount") or 0), 2),
            )
            for r in (got or [])
        ]
        expected = [
            (
                r["description"],
                round(r["quantity"], 3),
                round(r["unit_price"], 2),
                round(r["amount"], 2),
            )
            for r in want
        ]
        return rows == expected
    return got == want


async def measure(n: int, seed: int) -> tuple[Score, list[Miss]]:
    """Per layout and field: {"right": k, "all": m}; and every miss."""
    score: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    with tempfile.TemporaryDirectory() as folder:
        for path, inv in write_corpus(Path(folder), n=n, seed=seed):
            got = await extract(path)
            for field in FIELDS:
                ok = _same(field, got.get(field), getattr(inv, field))
                score[inv.layout][f"{field}:all"] += 1
                score[inv.layout][f"{field}:right"] += int(ok)
                if not ok:
                    misses.append((inv, field, got.get(field)))
    return score, misses
