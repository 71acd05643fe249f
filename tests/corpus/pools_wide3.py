"""A fourth DEVELOPMENT pool, ``wide3``: invoices worded as real tools print them.

English from accounting and billing tools (QuickBooks, Xero, FreshBooks, Stripe, Zoho,
Wave, Square, Shopify, Amazon, Google Workspace, AWS, Upwork, utility bills): "Invoice #",
"Inv #", "Reference", "Bill number", "Invoice ID"; numbers "INV-0042", "#1043",
"2026-00017", "US-123456"; dates "Issued", "Date of issue", "Billing date"; columns
"Product/Service", "Item | Hours | Rate | Total", "Unit Cost", "Line Total"; shipping and
fee rows. Vendors whose name begins with a label's word without a colon ("Supplier Direct
Ltd", "Invoice Ninja Inc.", "Total Gas & Power Ltd", "Billing Solutions GmbH"), German and
Dutch legal forms (GmbH & Co. KG, e.K., UG (haftungsbeschränkt), B.V., V.O.F.), "Please pay
to"/"Remit to" vendor blocks. English is drawn twice as often as the other languages.

Written from how such invoices are worded in practice, never from the held-out pools; read
it freely: ``python -m bench.extraction --half wide3 --show-misses``.
"""

from __future__ import annotations

from dataclasses import replace

from tests.corpus.model import Pools
from tests.corpus.pools_wide import POOLS as WIDE
from tests.corpus.pools_wide import WDE, WEN, WNL
from tests.corpus.pools_wide2 import XES, XFR

__all__ = ["POOLS"]

# fmt: off

_EN_ITEMS = (
    "Google Workspace Business Standard", "Amazon EC2 usage (us-east-1)", "Web design retainer",
    "Shipping", "Shipping & handling", "Processing fee", "Bookkeeping - monthly",
    "Plumbing repair labour", "Logo design", "Copywriting (blog posts)", "Standard delivery",
    "Electricity supply charge", "Gas standing charge", "Hourly consulting", "Setup fee",
    "Developer hours (Upwork contract)", "Gift wrap", "T-shirt, black, size M",
    "Annual subscription - Pro plan", "Discounted bundle (10% off)", "Seat licences",
)
_EN_DETAILS = (
    "Billing period Mar 1 - Mar 31", "3 users x 1 month", "Milestone 2 of 4",
    "Order #10293", "Meter 00417 reading", "Usage through end of month", "per hour",
)

YEN = replace(
    WEN,
    titles=("INVOICE", "Invoice", "Tax invoice", "Bill", "Sales invoice"),
    labels={
        **WEN.labels,
        "number": ("Invoice #", "Invoice No", "Inv #", "Reference", "Bill number", "Invoice ID",
                   "Invoice number", "INVOICE NO.", "Bill #", "Invoice Number"),
        "date": ("Issued", "Date of issue", "Invoice Date", "Billing date", "Date issued",
                 "Issue date", "Invoice date", "Bill date"),
        "vendor": ("Please pay to", "Remit to", "Pay to", "From", "Company", "Make payable to"),
        "total": ("Amount due", "Total due", "Balance due (USD)", "Total", "Amount Due",
                  "Total amount due", "Amount paid", "Total charges"),
        "due": ("Due date", "Date due", "Payment due", "Due"),
        "po": ("P.O./S.O.", "PO #", "Order number", "Project"),
        "customer_no": ("Account number", "Customer ID", "Account #"),
        "delivery": ("Service period end", "Ship date", "Shipped"),
        "customer": ("Bill to", "BILL TO", "Billed to", "Customer", "Ship to"),
        "subtotal": ("Subtotal", "Sub total", "Total before tax", "Net amount"),
        "tax": ("Tax ({rate}%)", "Sales tax {rate}%", "VAT {rate}%", "GST ({rate}%)"),
    },
    columns={
        "pos": ("#", "Line", "No."),
        "code": ("SKU", "Item code", "Product code"),
        "description": ("Description", "Item", "Product/Service", "Item & Description",
                        "Activity", "Service", "Product"),
        "quantity": ("Qty", "Hours", "Quantity", "Units", "Hrs", "QTY"),
        "unit_price": ("Rate", "Unit Cost", "Unit price", "Price", "Unit Price (USD)"),
        "amount": ("Amount", "Total", "Line Total", "Amount (USD)", "Amount excl. tax"),
    },
    items=_EN_ITEMS,
    item_details=_EN_DETAILS,
    vendor_cores=("Supplier Direct", "Invoice Ninja", "Total Gas & Power", "Billing Solutions",
                  "Payment Partners", "Amount Media", "Balance Fitness", "Date & Time Events",
                  "Customer First Services", "Order Express", "Due North Outfitters",
                  "Reference Point Labs"),
    vendor_suffixes=("Ltd", "Inc.", "LLC", "Ltd.", "Corp.", "Co."),
    currencies=("USD", "USD", "USD", "GBP", "CAD", "AUD"),
    number_patterns=("INV-{z4}", "{n4}", "{Y}-{z5}", "US-{n6}", "INV{z6}", "{n8}",
                     "{A}{A}{A}-{n5}", "{z4}-{z4}", "SI-{n5}"),
)

YEN2 = replace(
    YEN,
    titles=("INVOICE", "Invoice"),
    date_formats=("month d, yyyy", "mon d, yyyy", "iso", "d mon yyyy", "d-mon-yyyy"),
    money_formats=("{sym}{n}", "{sym}{n} {code}", "{code} {n}", "{sym} {n}"),
)

YDE = replace(
    WDE,
    labels={
        **WDE.labels,
        "vendor": ("Rechnungsaussteller", "Leistungserbringer", "Absender", "Lieferant"),
    },
    vendor_cores=("Rechnung Direkt", "Müller Haustechnik", "Summe & Partner",
                  "Betrag Logistik", "Schneider Bau", "Kunde Eins Service",
                  "Weber Elektro", "Lieferant24"),
    vendor_suffixes=("GmbH & Co. KG", "e.K.", "UG (haftungsbeschränkt)", "GmbH", "AG", "KG",
                     "OHG", "e. K."),
)

YNL = replace(
    WNL,
    labels={
        **WNL.labels,
        "vendor": ("Leverancier", "Afzender", "Betalen aan", "Van"),
    },
    vendor_cores=("Factuur Direct", "Jansen Installatietechniek", "Totaal Schoonmaak",
                  "De Vries & Bakker", "Klant Service Nederland", "Bakkerij Smit"),
    vendor_suffixes=("B.V.", "V.O.F.", "B.V.", "C.V.", "N.V.", "Holding B.V."),
)

# fmt: on

POOLS = replace(
    WIDE,
    name="wide3",
    languages=(YEN, YDE, YEN2, YNL, XFR, YEN, XES),
    label_separators=(": ", " ", ":  ", " : ", ":"),
)
assert isinstance(POOLS, Pools)
