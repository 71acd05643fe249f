"""Helpers for the hand-made documents of tests/corpus/realworld*.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF

from tests.corpus import fmt
from tests.corpus.draw import new_pdf
from tests.corpus.model import Doc

__all__ = ["Item", "answer_doc", "item_rows", "pdf_writer"]

Item = tuple[str, float, str]  # description, quantity, unit price (as a decimal string)


def pdf_writer(
    font: str, day: date, draw: Callable[[FPDF], None], letter: bool = False
) -> Callable[[Path], Path]:
    """A ``Doc.plan`` that draws with ``draw`` and writes ``<stem>.pdf``."""

    def write(stem: Path) -> Path:
        pdf = new_pdf(font, letter=letter, created=day)
        draw(pdf)
        path = Path(stem).with_suffix(".pdf")
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
        return path

    return write


def item_rows(items: Sequence[Item], sign: int = 1) -> tuple[list[dict[str, Any]], Decimal]:
    rows, net = [], Decimal("0.00")
    for description, quantity, unit in items:
        amount = fmt.cents(Decimal(str(quantity)) * Decimal(unit))
        net += amount
        rows.append(
            {
                "description": description,
                "quantity": quantity,
                "unit_price": sign * float(unit),
                "amount": sign * float(amount),
            }
        )
    return rows, net


def answer_doc(doc_id: str, lang: str, layout: str, kind: str, **answers: Any) -> Doc:
    items = tuple(answers.pop("line_items"))
    return Doc(
        id=f"realworld-{doc_id}",
        half="realworld",
        language=lang,
        layout=layout,
        kind=kind,
        line_items=items,
        **answers,
    )
