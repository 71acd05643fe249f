"""The generated invoice corpus (tests/corpus/gen.py) is deterministic and its answers are
printed: the same seed gives the same documents and byte-identical PDFs, and every answer
(number, date, vendor, total, line-item cells) is in the text pypdf extracts."""

from __future__ import annotations

import dataclasses

import pytest

from tests.corpus import pools_dev
from tests.corpus.gen import generate, make_doc, missing_in_text, pdf_text, write_document
from tests.corpus.model import Pools


def _pools(half: str) -> Pools:
    if half == "dev":
        return pools_dev.POOLS
    if half == "wide4":
        from tests.corpus import pools_wide4

        return pools_wide4.POOLS
    if half == "heldout2":
        from tests.corpus import pools_heldout2

        return pools_heldout2.POOLS
    from tests.corpus import pools_heldout

    return pools_heldout.POOLS


@pytest.mark.parametrize("half", ["dev", "wide4", "heldout", "heldout2"])
def test_same_seed_same_documents(half, tmp_path):
    pools = _pools(half)
    first, again, other = generate(pools, 12, 7), generate(pools, 12, 7), generate(pools, 12, 8)
    assert first == again
    assert [d.plan for d in first] == [d.plan for d in again]
    assert [dataclasses.astuple(d)[:11] for d in first] != [
        dataclasses.astuple(d)[:11] for d in other
    ]
    assert make_doc(pools, 7, 11) == first[11]  # document i does not depend on n
    a = write_document(first[3], tmp_path / "a").read_bytes()
    b = write_document(again[3], tmp_path / "b").read_bytes()
    assert a == b


@pytest.mark.parametrize("half", ["dev", "wide4", "heldout", "heldout2"])
def test_every_answer_is_in_the_pdf_text(half, tmp_path):
    pools = _pools(half)
    docs = generate(pools, 15, 11)
    assert {d.language for d in docs} == {"en", "de", "fr", "es", "nl"}
    missing = {}
    for doc in docs:
        lost = missing_in_text(doc, pdf_text(write_document(doc, tmp_path)))
        if lost:  # held-out strings are not printed: only how many went missing
            missing[doc.id] = len(lost) if half.startswith("heldout") else lost
    assert not missing
    assert all(doc.printed and doc.kind == "invoice" for doc in docs)


def test_realworld_set_writes_and_prints_its_answers(tmp_path):
    from tests.corpus.realworld import documents

    docs = documents()
    kinds = {d.kind for d in docs}
    assert kinds == {"invoice", "credit_note", "receipt", "not_invoice"}
    for doc in docs:
        path = write_document(doc, tmp_path)
        text = pdf_text(path) if path.suffix == ".pdf" else path.read_text()
        if doc.kind == "not_invoice":
            assert doc.total is None and not doc.line_items
            continue
        flat = " ".join(text.split()).casefold()
        assert doc.invoice_number in text and doc.vendor and doc.vendor.casefold() in flat
        assert all(item["description"] in text for item in doc.line_items), doc.id
        assert (doc.total or 0) < 0 if doc.kind == "credit_note" else (doc.total or 0) > 0
