"""Generated invoice corpus: layouts composed at random from a half's pools, known answers.

    python -m tests.corpus.gen [--half dev|heldout|heldout2] [--n 60] [--seed S] [--show K]

Each document draws, from one :class:`~tests.corpus.model.Pools` (pools_dev.py or
pools_heldout.py): a language, its label words for every field, the field order, a date
format, a number format and currency notation, a letterhead placement, a header arrangement
(tests/corpus/layouts.py), a table shape (column order, with or without position, article
code, quantity or unit price; some descriptions on two lines), a totals arrangement, a font,
vendor, customer and item names. Decoys: due and delivery dates, order references, customer
numbers, VAT ids, IBANs, subtotals and tax lines, the customer company, the vendor repeated in
the footer.

Everything comes from ``random.Random(f"{pools.name}|{seed}|{index}")``, so document ``i``
is the same whatever ``n`` is, and PDFs are byte-identical between runs. The self-check
writes the corpus, extracts each PDF's text with pypdf and checks every printed answer is in
it. This module imports the held-out pools only for ``--half heldout`` / ``heldout2`` (the
self-check then prints counts, never held-out strings); everything else takes the pools
passed in.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.corpus import fmt
from tests.corpus.draw import new_pdf
from tests.corpus.layouts import Plan, draw
from tests.corpus.model import Doc, Language, Pools

__all__ = [
    "generate",
    "make_doc",
    "missing_in_text",
    "pdf_text",
    "write_corpus",
    "write_document",
    "write_pdf",
]

FIRST_DAY = date(2025, 1, 1)
DAYS = (date(2026, 12, 31) - FIRST_DAY).days + 1
TIERS = ((40.0, 999.0), (1_000.0, 9_999.0), (10_000.0, 60_000.0))
QUANTITIES = (1, 1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 25, 40, 1.5, 2.5, 0.5, 7.5)


def _pick(rng: random.Random, words: Sequence[str]) -> str:
    return words[rng.randrange(len(words))]


def _items(rng: random.Random, lang: Language, pools: Pools, columns: Sequence[str], target: float):
    """Line items summing to about ``target``: truth rows and printed detail lines."""
    count = rng.randint(1, pools.max_items)
    weights = [rng.uniform(0.2, 1.0) for _ in range(count)]
    scale = target / sum(weights)
    names = rng.sample(list(lang.items), count)
    rows = []
    for name, weight in zip(names, weights, strict=True):
        share = weight * scale
        quantity = float(rng.choice(QUANTITIES)) if "quantity" in columns and share > 15 else 1.0
        unit = max(Decimal("0.50"), fmt.cents(share / quantity))
        if unit >= 20 and rng.random() < 0.4:
            unit = Decimal(round(unit)).quantize(fmt.CENT)
        detail = _pick(rng, lang.item_details) if rng.random() < pools.multiline_rate else ""
        rows.append((name, detail, quantity, unit, fmt.cents(Decimal(str(quantity)) * unit)))
    return rows


def _address(rng: random.Random, lang: Language) -> tuple[str, ...]:
    return (f"{_pick(rng, lang.streets)} {rng.randint(1, 180)}", _pick(rng, lang.cities))


def make_doc(pools: Pools, seed: int, index: int) -> Doc:
    """Document ``index`` of half ``pools`` for ``seed``: its truth and its drawing plan."""
    rng = random.Random(f"{pools.name}|{seed}|{index}")
    lang = pools.languages[index % len(pools.languages)]
    issued = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    date_code = _pick(rng, lang.date_formats)
    seps = lang.separators[rng.randrange(len(lang.separators))]
    money_fmt = _pick(rng, lang.money_formats)
    currency = _pick(rng, lang.currencies)
    shape = pools.table_shapes[rng.randrange(len(pools.table_shapes))]
    low, high = TIERS[index // len(pools.languages) % len(TIERS)]
    rows = _items(rng, lang, pools, shape, low * (high / low) ** rng.random())
    rate = rng.choice(lang.tax_rates)
    subtotal = sum((r[4] for r in rows), Decimal("0.00"))
    tax = fmt.cents(subtotal * rate / 100)
    total = subtotal + tax
    item_money = rng.random() < 0.3

    def day(d: date) -> str:
        return fmt.date_text(d, date_code, lang.months, lang.months_short)

    def cash(value: Decimal, bare: bool = False) -> str:
        return fmt.number(value, seps) if bare else fmt.money(value, currency, money_fmt, seps)

    label = {key: _pick(rng, words) for key, words in lang.labels.items()}
    number = fmt.invoice_number(_pick(rng, lang.number_patterns), rng, issued)
    vendor = f"{_pick(rng, lang.vendor_cores)} {_pick(rng, lang.vendor_suffixes)}"
    due = issued + timedelta(days=rng.choice((7, 10, 14, 30, 45, 60)))
    meta = [
        (label["number"], number),
        (label["date"], day(issued)),
        (label["due"], day(due)),
        (label["po"], f"{_pick(rng, ('PO', '45', 'B', 'ORD-'))}{rng.randint(10**5, 10**7)}"),
        (label["customer_no"], str(rng.randint(10000, 999999))),
    ]
    if rng.random() < 0.4:
        meta.append((label["delivery"], day(issued - timedelta(days=rng.randint(1, 25)))))
    rng.shuffle(meta)
    printed_rows = []
    truth_items = []
    for pos, (name, detail, quantity, unit, amount) in enumerate(rows, 1):
        cells = {
            "pos": str(pos),
            "code": f"{rng.choice('AKMPSTX')}{rng.randint(1000, 99999)}",
            "description": name,
            "quantity": fmt.quantity_text(quantity, seps),
            "unit_price": cash(unit, not item_money),
            "amount": cash(amount, not item_money),
        }
        if detail:
            cells["detail"] = detail
        printed_rows.append({k: v for k, v in cells.items() if k in shape or k == "detail"})
        truth_items.append(
            {
                "description": f"{name} {detail}".strip(),
                "quantity": quantity if "quantity" in shape else None,
                "unit_price": float(unit) if "unit_price" in shape else None,
                "amount": float(amount),
            }
        )
    totals = [(label["subtotal"], cash(subtotal))] if rate else []
    if rate:
        totals.append((label["tax"].replace("{rate}", str(rate)), cash(tax)))
    totals.append((label["total"], cash(total)))
    iban = f"{rng.choice(('DE', 'NL', 'FR', 'ES', 'GB'))}{rng.randint(10, 99)} " + " ".join(
        str(rng.randint(1000, 9999)) for _ in range(4)
    )
    vat = f"{rng.choice(('DE', 'NL', 'FR', 'ES', 'GB'))}{rng.randint(10**8, 10**9 - 1)}"
    plan = Plan(
        font=_pick(rng, pools.fonts),
        letter=currency == "USD",
        issued=issued,
        title=_pick(rng, lang.titles),
        letterhead=_pick(rng, pools.letterheads),
        header_style=_pick(rng, pools.header_styles),
        sep=_pick(rng, pools.label_separators),
        vendor=vendor,
        vendor_address=_address(rng, lang),
        vendor_label=label["vendor"],
        customer=_pick(rng, lang.customers),
        customer_address=_address(rng, lang),
        customer_label=label["customer"],
        meta=tuple(meta),
        columns=shape,
        headers=tuple(_pick(rng, lang.columns[key]) for key in shape),
        border=_pick(rng, pools.table_borders),
        rows=tuple(printed_rows),
        totals=tuple(totals),
        total_style=_pick(rng, pools.total_styles),
        footer=(
            _pick(rng, lang.closings).replace("{due}", day(due)),
            f"{vendor} · {label['vat_id']} {vat} · {label['iban']} {iban}",
        ),
    )
    printed = [number, day(issued), vendor, cash(total)]
    for row in printed_rows:
        printed.extend(v for k, v in row.items() if k != "code")
    return Doc(
        id=f"{pools.name}-{seed}-{index:04d}-{lang.code}",
        half=pools.name,
        language=lang.code,
        layout=f"{plan.header_style}/{plan.letterhead}/{'+'.join(shape)}/{plan.total_style}",
        kind="invoice",
        invoice_number=number,
        invoice_date=issued.isoformat(),
        vendor=vendor,
        total=float(total),
        currency=currency,
        line_items=tuple(truth_items),
        printed=tuple(printed),
        plan=plan,
    )


def generate(pools: Pools, n: int, seed: int) -> list[Doc]:
    """``n`` documents of half ``pools``; the same ``seed`` gives the same documents."""
    return [make_doc(pools, seed, i) for i in range(n)]


def write_pdf(doc: Doc, path: Path) -> Path:
    """Draw ``doc`` (a generated document) to ``path``; byte-identical for the same doc."""
    plan: Plan = doc.plan
    pdf = new_pdf(plan.font, letter=plan.letter, created=plan.issued)
    draw(pdf, plan)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def write_document(doc: Doc, folder: Path) -> Path:
    """Write ``doc`` into ``folder`` as ``<id>.pdf`` (or what its own writer names it)."""
    if callable(doc.plan):  # a hand-made document (tests/corpus/realworld.py) draws itself
        return Path(doc.plan(Path(folder) / doc.id))
    return write_pdf(doc, Path(folder) / f"{doc.id}.pdf")


def write_corpus(folder: Path, pools: Pools, n: int, seed: int) -> Iterator[tuple[Path, Doc]]:
    """Write each generated document into ``folder``, yielding (path, doc)."""
    for doc in generate(pools, n, seed):
        yield write_document(doc, folder), doc


def pdf_text(path: Path) -> str:
    """The text pypdf extracts (as doc.pdf-text does), pages joined by blank lines."""
    from pypdf import PdfReader

    return "\n\n".join(page.extract_text() for page in PdfReader(path).pages)


def missing_in_text(doc: Doc, text: str) -> list[str]:
    """Printed answer strings that ``text`` lacks (whitespace runs count as one space)."""
    flat = " ".join(text.split())
    return [s for s in doc.printed if " ".join(s.split()) not in flat]


def _pools(half: str) -> Pools:
    if half == "heldout":
        from tests.corpus import pools_heldout

        return pools_heldout.POOLS
    if half == "heldout2":
        from tests.corpus import pools_heldout2

        return pools_heldout2.POOLS
    if half == "wide4":
        from tests.corpus import pools_wide4

        return pools_wide4.POOLS
    from tests.corpus import pools_dev

    return pools_dev.POOLS


def _self_check(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.corpus.gen")
    ap.add_argument("--half", choices=("dev", "wide4", "heldout", "heldout2"), default="dev")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show", type=int, default=0, help="print the text of the first K (dev only)")
    a = ap.parse_args(argv)
    pools = _pools(a.half)
    failures = 0
    stats: dict[str, Any] = {"languages": set(), "layouts": set(), "items": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (path, doc) in enumerate(write_corpus(Path(tmp), pools, a.n, a.seed)):
            again = write_pdf(make_doc(pools, a.seed, i), Path(tmp) / "again.pdf")
            if again.read_bytes() != path.read_bytes():
                print(f"NOT DETERMINISTIC: {doc.id}")
                failures += 1
            text = pdf_text(path)
            missing = missing_in_text(doc, text)
            if missing:
                failures += 1
                shown = missing if not a.half.startswith("heldout") else len(missing)
                print(f"MISSING in {doc.id}: {shown}")
            if not a.half.startswith("heldout") and i < a.show:
                print(f"===== {doc.id} {doc.layout} =====\n{text}\n")
            stats["languages"].add(doc.language)
            stats["layouts"].add(doc.layout)
            stats["items"] += len(doc.line_items)
    print(
        f"{a.half}: {a.n} documents, {len(stats['languages'])} languages, "
        f"{len(stats['layouts'])} distinct layouts, {stats['items']} line items; "
        f"failures: {failures}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_self_check())
