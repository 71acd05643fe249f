"""A fifth DEVELOPMENT pool, ``wide4``: the page arranged differently, the words already known.

Round 3 of the extraction work found that wording no longer moves the held-out score; what
the development material lacked was layout variety. This pool reuses the label words of the
wide pools (English twice as often) and draws only the arrangements of
tests/corpus/layouts_wide4.py: company block right-aligned under a large title, at the foot
of the page or as a DIN 5008 sender line; header fields as three columns, a bordered
label|value table, dotted leaders or under a large "amount due"; items stacked with
"2 x 45.00" (a multiplication sign) under each, or with unit and VAT-rate columns; totals
as a labelled strip or with dotted leaders. A few older arrangements are kept so the new
ones also meet them.

Read it freely: ``python -m bench.extraction --half wide4 --show-misses``.
"""

from __future__ import annotations

from dataclasses import replace

from tests.corpus import layouts_wide4
from tests.corpus.model import Pools
from tests.corpus.pools_wide import POOLS as WIDE
from tests.corpus.pools_wide import WFR
from tests.corpus.pools_wide2 import XDE, XES
from tests.corpus.pools_wide3 import YEN, YEN2, YNL

__all__ = ["POOLS"]

_NEW = layouts_wide4.NAMES

POOLS = replace(
    WIDE,
    name="wide4",
    languages=(YEN, XDE, YEN2, WFR, YNL, YEN, XES),
    header_styles=(*_NEW["headers"], *_NEW["headers"], "beside"),
    letterheads=(*_NEW["letterheads"], *_NEW["letterheads"], "left"),
    table_borders=(*_NEW["tables"], *_NEW["tables"], "rules"),
    total_styles=(*_NEW["totals"], *_NEW["totals"], "right"),
    label_separators=(": ", " ", ":  ", " : "),
)
assert isinstance(POOLS, Pools)
