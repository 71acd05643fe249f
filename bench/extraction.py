"""Field-level accuracy of the bundled `extract-invoice` workflow, per half of the corpus.

    python -m bench.extraction
        [--half dev|wide|wide2|wide3|wide4|heldout|heldout2|realworld|legacy|all]
                               [--n 100] [--seed 7] [--ocr] [--show-misses]

Halves: ``dev`` (tests/corpus/pools_dev.py: the one to read misses from while writing
rules), ``wide`` (tests/corpus/pools_wide.py: a second development pool with other
real label wordings, number shapes and every layout the generator draws), ``wide2``
(tests/corpus/pools_wide2.py: qualified sums, dotted tax names, items and second lines
that start with a label's word, vendors with particles and apostrophes), ``wide3``
(tests/corpus/pools_wide3.py: English as billing tools print it, vendors whose names begin
with a label's word, German and Dutch legal forms), ``heldout``
(tests/corpus/pools_heldout.py: other label words and layout choices, never to be tuned
against: its misses are shown only with --show-heldout-misses, which
whoever writes rules must not use; spent, kept for comparison), ``heldout2``
(tests/corpus/pools_heldout2.py: the fresh held-out half, written without reading the
extractor; the same rules apply), ``realworld`` (tests/corpus/realworld.py: multi-page,
two columns, credit notes, VAT breakdowns, a till receipt, and non-invoices that must be
refused) and ``legacy`` (the six fixed layouts of tests/corpus/invoices.py).

Each document is written to a temporary folder and run through the workflow's steps
in-process, as a worker would. ``--ocr`` also runs the OCR set: each generated
document's page rendered to a grayscale PNG at 300 dpi (openpal.steps.ocr's
render_pages_to_png, pypdfium2) and fed to the workflow as an image upload, so
doc.pdf-text reads it through Tesseract.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.corpus.model import FIELDS, Doc
from tests.corpus.score import Result, extract_invoice, measure_docs


def _docs(half: str, n: int, seed: int) -> list[Doc]:
    from tests.corpus.gen import generate

    if half == "dev":
        from tests.corpus.pools_dev import POOLS

        return generate(POOLS, n, seed)
    if half == "wide":
        from tests.corpus.pools_wide import POOLS as WIDE

        return generate(WIDE, n, seed)
    if half == "wide2":
        from tests.corpus.pools_wide2 import POOLS as WIDE2

        return generate(WIDE2, n, seed)
    if half == "wide3":
        from tests.corpus.pools_wide3 import POOLS as WIDE3

        return generate(WIDE3, n, seed)
    if half == "wide4":
        from tests.corpus.pools_wide4 import POOLS as WIDE4

        return generate(WIDE4, n, seed)
    if half == "heldout":
        from tests.corpus.pools_heldout import POOLS as HELDOUT

        return generate(HELDOUT, n, seed)
    if half == "heldout2":
        from tests.corpus.pools_heldout2 import POOLS as HELDOUT2

        return generate(HELDOUT2, n, seed)
    from tests.corpus.realworld import documents

    return documents()


def _as_png(doc: Doc, folder: Path) -> Path:
    """The document's first page as a grayscale PNG "scan" (300 dpi, the OCR set)."""
    from tests.corpus.gen import write_document

    from openpal.steps.ocr import render_pages_to_png

    pdf = write_document(doc, folder)
    out = pdf.with_suffix(".png")
    out.write_bytes(render_pages_to_png(pdf.read_bytes())[0])
    return out


def _ocr_problem() -> str | None:
    """Why the OCR set cannot run in this tree, or None."""
    try:
        from openpal.settings import Settings
        from openpal.steps.ocr import ocr_problem
    except ImportError:
        return "OCR not available (openpal.steps.ocr is not in this tree)"
    problem = ocr_problem(Settings.from_env().ocr_languages)
    return f"OCR not available ({problem})" if problem else None


def report(name: str, result: Result, show: bool) -> None:
    langs = sorted({lang for _, lang in result.seen})
    print(f"\n### {name}: {result.documents} documents\n")
    print("| field | " + " | ".join(langs) + " | all |")
    print("| --- | " + " | ".join("---" for _ in langs) + " | --- |")
    for key in (*FIELDS, "kind", "refused"):
        if not any(k == key for k, _ in result.seen):
            continue
        cells = [
            f"{result.right[(key, lang)]}/{result.seen[(key, lang)]}"
            if result.seen.get((key, lang))
            else "-"
            for lang in langs
        ]
        r = sum(result.right[(key, lang)] for lang in langs)
        t = sum(result.seen[(key, lang)] for lang in langs)
        print(f"| {key} | " + " | ".join(cells) + f" | {100 * r / t:.1f} % |")
    right, total = result.fields_right()
    if total:
        print(f"\nfields right: {right}/{total} = {100 * right / total:.1f} %")
    if result.not_invoices:
        print(f"non-invoices refused: {result.not_invoices_refused}/{result.not_invoices}")
    if result.refused_invoices:
        print(f"invoices refused: {len(result.refused_invoices)}")
    if result.failed:
        print(f"steps failed (not a refusal): {len(result.failed)}")
    per_100 = 100 * result.seconds / max(result.documents, 1)
    drawn = 100 * result.write_seconds / max(result.documents, 1)
    print(f"time per 100 documents: {per_100:.1f} s extracting, {drawn:.1f} s drawing them")
    if show:
        for miss in result.misses:
            want = "refusal" if miss.field == "refused" else miss.doc.answer(miss.field)
            print(
                f"- {miss.doc.id} [{miss.doc.layout}] {miss.field}: got {miss.got!r}, want {want!r}"
            )
        for doc_id, error in result.failed:
            print(f"- {doc_id} failed: {error}")


async def _run(a: argparse.Namespace) -> int:
    from tests.corpus.gen import write_document

    halves: Sequence[str] = (
        ("dev", "wide", "wide2", "wide3", "wide4", "heldout", "heldout2", "realworld", "legacy")
        if a.half == "all"
        else (a.half,)
    )
    for half in halves:
        if half == "legacy":
            from bench.extraction_legacy import report_legacy

            await report_legacy(a.seed, a.show_misses)
            continue
        docs = _docs(half, a.n, a.seed)
        show = a.show_heldout_misses if half.startswith("heldout") else a.show_misses
        result = await measure_docs(docs, extract_invoice, write_document)
        report(f"{half} (seed {a.seed})" if half != "realworld" else half, result, show)
        if a.ocr and half != "realworld":
            problem = _ocr_problem()
            if problem:
                print(f"\n### {half}, OCR set: {problem}")
                continue
            result = await measure_docs(docs, extract_invoice, _as_png)
            report(f"{half}, OCR set (PNG at 300 dpi)", result, show)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.extraction")
    p.add_argument(
        "--half",
        choices=(
            "dev",
            "wide",
            "wide2",
            "wide3",
            "wide4",
            "heldout",
            "heldout2",
            "realworld",
            "legacy",
            "all",
        ),
        default="dev",
    )
    p.add_argument("--n", type=int, default=100, help="documents per generated half")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--ocr", action="store_true", help="also the OCR set (pages as PNG images)")
    p.add_argument("--show-misses", action="store_true", help="misses of dev, wide and realworld")
    p.add_argument(
        "--show-heldout-misses",
        action="store_true",
        help="misses of the held-out halves: never while writing extraction rules",
    )
    return asyncio.run(_run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
