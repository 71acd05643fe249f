"""How much of each answer survives OCR, whatever the extractor does with it.

    python -m bench.extraction_ocr [--half dev|heldout2|heldout] [--n 25] [--seed 7] [--show]

Renders each generated document to a 300 dpi grayscale PNG (as ``bench.extraction --ocr``
does), reads it with doc.pdf-text (Tesseract) and counts, per answer, whether the printed
string is in the OCR'd text (whitespace runs count as one space): the ceiling for the OCR
set. ``--show`` lists the strings OCR lost (dev only).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path

KINDS = ("invoice_number", "invoice_date", "vendor", "total")


async def _run(a: argparse.Namespace) -> int:
    from tests.corpus.gen import write_document

    from bench.extraction import _docs, _ocr_problem
    from openpal.files import FileRef
    from openpal.steps.base import StepContext
    from openpal.steps.ocr import render_pages_to_png
    from openpal.steps.registry import get_step_type

    problem = _ocr_problem()
    if problem:
        print(problem)
        return 1
    step = get_step_type("doc.pdf-text")
    seen: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    lost: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        for doc in _docs(a.half, a.n, a.seed):
            pdf = write_document(doc, Path(folder))
            png = pdf.with_suffix(".png")
            png.write_bytes(render_pages_to_png(pdf.read_bytes())[0])
            ref = FileRef("sha256:x", png.name, "image/png", png.stat().st_size, png)
            ctx = StepContext(run_id="bench", step_name="parse", workflow="ocr")
            text = " ".join((await step.run({"file": ref}, ctx))["text"].split())
            names = [*KINDS, *["line items"] * (len(doc.printed) - len(KINDS))]
            for name, printed in zip(names, doc.printed, strict=True):
                seen[name] += 1
                if " ".join(printed.split()) in text:
                    kept[name] += 1
                else:
                    lost.append((doc.id, name, printed))
    print(f"### answers present in the OCR'd text ({a.half}, {a.n} documents)\n")
    print("| answer | present |\n| --- | --- |")
    for name in (*KINDS, "line items"):
        print(f"| {name} | {kept[name]}/{seen[name]} = {100 * kept[name] / seen[name]:.1f} % |")
    if a.show and a.half == "dev":
        for doc_id, name, printed in lost:
            print(f"- {doc_id} {name}: {printed!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.extraction_ocr")
    p.add_argument("--half", choices=("dev", "heldout2", "heldout"), default="dev")
    p.add_argument("--n", type=int, default=25)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--show", action="store_true", help="the strings OCR lost (dev only)")
    return asyncio.run(_run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
