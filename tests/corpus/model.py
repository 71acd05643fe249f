"""What a corpus half is made of (:class:`Pools`, one :class:`Language` each) and what a
generated document is (:class:`Doc`: its ground truth, plus the drawing plan).

The generator (tests/corpus/gen.py) knows how to draw; the pools say *what* may be drawn:
label words per field and language, date and money formats, table column orders, header
arrangements, vendor and item names. The development half (pools_dev.py) and the held-out
half (pools_heldout.py) are two instances of :class:`Pools` with different words and choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIELDS", "KINDS", "Doc", "Language", "Pools"]

FIELDS = ("invoice_number", "invoice_date", "vendor", "total", "currency", "line_items")
KINDS = ("invoice", "credit_note", "receipt", "not_invoice")

# Keys of Language.labels: the answers' labels and the decoys' labels.
LABEL_KEYS = (
    "number",  # invoice number (answer)
    "date",  # invoice date (answer)
    "vendor",  # "From:" / "Supplier:" (answer, in labelled letterheads)
    "total",  # grand total (answer)
    "due",  # due date (decoy)
    "po",  # purchase-order / order reference (decoy)
    "customer_no",  # customer number (decoy)
    "delivery",  # delivery / service date (decoy)
    "vat_id",  # VAT id / tax number (decoy)
    "iban",  # bank account (decoy)
    "customer",  # bill-to block (decoy company)
    "subtotal",  # net sum (decoy amount)
    "tax",  # tax line, "{rate}" is replaced by the percentage (decoy amount)
)
# Keys of Language.columns: the line-item table's header words.
COLUMN_KEYS = ("pos", "code", "description", "quantity", "unit_price", "amount")


@dataclass(frozen=True)
class Language:
    """Everything language-specific one half may draw from."""

    code: str  # en, de, fr, es, nl
    titles: tuple[str, ...]  # the document's title ("INVOICE", "Rechnung")
    labels: Mapping[str, tuple[str, ...]]  # LABEL_KEYS -> label words
    columns: Mapping[str, tuple[str, ...]]  # COLUMN_KEYS -> table header words
    months: tuple[str, ...]  # 12 full month names
    months_short: tuple[str, ...]  # 12 abbreviations
    date_formats: tuple[str, ...]  # codes of tests/corpus/fmt.py DATE_FORMATS
    separators: tuple[tuple[str, str], ...]  # (thousands, decimal)
    money_formats: tuple[str, ...]  # "{code} {n}", "{n} {sym}", ... (fmt.money)
    currencies: tuple[str, ...]  # ISO codes, weighted by repetition
    tax_rates: tuple[int, ...]  # whole percent; 0 = no tax line
    items: tuple[str, ...]  # line-item descriptions
    item_details: tuple[str, ...]  # second lines of multi-line descriptions
    vendor_cores: tuple[str, ...]
    vendor_suffixes: tuple[str, ...]
    customers: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[str, ...]
    closings: tuple[str, ...]  # footer sentences; "{due}" becomes the due date
    number_patterns: tuple[str, ...]  # fmt.invoice_number patterns


@dataclass(frozen=True)
class Pools:
    """One half of the corpus: its languages and the layout choices it may compose."""

    name: str  # "dev" or "heldout"
    languages: tuple[Language, ...]
    header_styles: tuple[str, ...]  # gen.HEADER_STYLES keys
    letterheads: tuple[str, ...]  # gen.LETTERHEADS keys
    table_shapes: tuple[tuple[str, ...], ...]  # column orders (COLUMN_KEYS)
    table_borders: tuple[str, ...]  # "grid", "rules", "none", "shaded"
    total_styles: tuple[str, ...]  # gen.TOTAL_STYLES keys
    label_separators: tuple[str, ...]  # between a label and its value on one line
    fonts: tuple[str, ...]  # tests/corpus/draw.py FONTS keys
    multiline_rate: float = 0.25  # share of line items with a second description line
    max_items: int = 6


@dataclass(frozen=True)
class Doc:
    """Ground truth for one document, and how to draw it.

    ``invoice_date`` is ISO 8601, ``total`` a float (negative for a credit note),
    ``currency`` an ISO 4217 code; ``line_items`` hold ``description``, ``quantity``,
    ``unit_price`` and ``amount`` (``quantity``/``unit_price`` are None when the table
    does not print them). ``kind`` is one of :data:`KINDS`; a ``not_invoice`` document has
    no answers and is right only when extraction refuses it. ``printed`` lists strings the
    PDF text must contain (the self-check). ``plan`` is the drawing plan (not ground truth).
    """

    id: str
    half: str
    language: str
    layout: str
    kind: str
    invoice_number: str | None
    invoice_date: str | None
    vendor: str | None
    total: float | None
    currency: str | None
    line_items: tuple[dict[str, Any], ...]
    printed: tuple[str, ...] = ()
    plan: Any = field(default=None, compare=False, repr=False)

    def answer(self, name: str) -> Any:
        return getattr(self, name)
