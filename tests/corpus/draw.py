"""Drawing helpers for the corpus: Unicode TrueType fonts, a pinned PDF, rows and cells.

Fonts are the DejaVu (Debian: fonts-dejavu-core, installed by ./scripts/test) and, where
installed, Liberation families, so "€", "£" and accented letters are real text. A font slot
whose files are missing falls back to DejaVu Sans; without DejaVu Sans the corpus cannot be
drawn and :func:`new_pdf` says which package to install.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

__all__ = ["FONTS", "cell_row", "line", "new_pdf", "set_font"]

FONTS: dict[str, tuple[str, str]] = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "liberation-sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation-serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
}
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
)


@cache
def _font_file(name: str) -> Path | None:
    extra = os.environ.get("OPENPAL_CORPUS_FONT_DIR")
    for root in ((extra,) if extra else ()) + FONT_DIRS:
        for path in sorted(Path(root).rglob(name)) if Path(root).is_dir() else ():
            return path
    return None


def _files(slot: str) -> tuple[Path, Path]:
    regular, bold = (_font_file(n) for n in FONTS[slot])
    if regular and bold:
        return regular, bold
    if slot != "sans":
        return _files("sans")
    raise RuntimeError(
        "the invoice corpus needs the DejaVu fonts (Debian/Ubuntu: apt-get install "
        "fonts-dejavu-core; or set OPENPAL_CORPUS_FONT_DIR to a folder holding DejaVuSans.ttf)"
    )


def new_pdf(slot: str, *, letter: bool, created: date) -> FPDF:
    """An A4 (or US letter) PDF with font family ``slot`` selected, 15 mm margins, no
    automatic page breaks and a creation date pinned to ``created`` (byte-identical output)."""
    pdf = FPDF(format="letter" if letter else "A4")
    regular, bold = _files(slot)
    pdf.add_font(slot, "", str(regular))
    pdf.add_font(slot, "B", str(bold))
    pdf.set_creation_date(datetime(created.year, created.month, created.day, 9, tzinfo=UTC))
    pdf.set_creator("openpal synthetic invoice corpus")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(False)
    pdf.set_font(slot, "", 10)
    return pdf


def set_font(pdf: FPDF, style: str = "", size: float | None = None) -> None:
    """Change style and/or size, keeping the family."""
    pdf.set_font(pdf.font_family, style, size or pdf.font_size_pt)


def line(pdf: FPDF, text: str, h: float = 6, align: str = "L", x: float | None = None) -> None:
    """One line of text from ``x`` (default: the left margin) to the right margin."""
    if x is not None:
        pdf.set_x(x)
    pdf.cell(0, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def cell_row(
    pdf: FPDF,
    cells: Sequence[tuple[float, str, str]],
    h: float = 6,
    border: str | int = 0,
    x: float | None = None,
    fill: bool = False,
) -> None:
    """A row of (width, text, align) cells from ``x``, then the start of the next line.

    Cells are drawn wider than their text by the caller: a cell sized exactly to its text
    makes pypdf glue it to the next one ("Total:99.00").
    """
    if x is not None:
        pdf.set_x(x)
    for width, text, align in cells:
        pdf.cell(width, h, text, border=border, align=align, fill=fill)
    pdf.ln(h)
