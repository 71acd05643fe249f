"""OCR for `doc.pdf-text`: images (PNG, JPEG, TIFF) and PDF pages without a text layer.

Tesseract through tesserocr (its library, in this process: killing the sandbox worker
that runs these functions stops the recognition too, and the worker's memory cap
covers it). PDF pages are rasterised with pypdfium2 (PDFium), which draws the whole
page — several images, masks, rotation, any image codec a PDF may use — where taking
a page's embedded image out with pypdf would miss all of those. Both come with
`pip install 'openpal[ocr]'`; Tesseract's language data comes from the system
(`apt-get install tesseract-ocr tesseract-ocr-deu …`, or `TESSDATA_PREFIX`).

The functions that take document bytes run in the sandbox worker
(`openpal.steps.sandbox`); `ocr_problem` is cheap and runs anywhere.
`render_pages_to_png` is the benchmark's way to turn a PDF into "scans".
"""

from __future__ import annotations

import glob
import importlib.util
import io
import os
from typing import Any

__all__ = [
    "OcrError",
    "image_kind",
    "installed_languages",
    "ocr_image",
    "ocr_pdf_pages",
    "ocr_problem",
    "render_pages_to_png",
    "tessdata_dir",
]

DPI = 300  # Tesseract reads body text best at about 300 dots per inch
INSTALL = (
    "pip install 'openpal[ocr]' and apt-get install tesseract-ocr tesseract-ocr-eng"
    " (tesseract-ocr-deu, -fra, -spa, -nld for more languages)"
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_TESSDATA_GLOBS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/*/tessdata",
    "/opt/homebrew/share/tessdata",
)
_apis: dict[tuple[str, str], Any] = {}  # (tessdata, languages) → a loaded TessBaseAPI


class OcrError(ValueError):
    """OCR could not read the document; the message says why (and names a limit)."""


def image_kind(data: bytes) -> str | None:
    """ "PNG", "JPEG" or "TIFF" when `data` starts like one, else None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def tessdata_dir() -> str | None:
    """The folder of Tesseract's `*.traineddata`: `TESSDATA_PREFIX` when set (the folder
    itself or its `tessdata/`), else the first of the usual system folders that has any."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    candidates = [prefix, os.path.join(prefix, "tessdata")] if prefix else []
    if not prefix:
        for pattern in _TESSDATA_GLOBS:
            candidates += sorted(glob.glob(pattern), reverse=True)  # newest version first
    for folder in candidates:
        if glob.glob(os.path.join(folder, "*.traineddata")):
            return folder
    return None


def installed_languages(folder: str) -> set[str]:
    return {
        os.path.basename(p)[: -len(".traineddata")] for p in glob.glob(f"{folder}/*.traineddata")
    }


def ocr_problem(languages: str) -> str | None:
    """Why OCR cannot run here (what to install), or None when it can. Imports nothing."""
    missing = [m for m in ("tesserocr", "pypdfium2", "PIL") if importlib.util.find_spec(m) is None]
    if missing:
        return f"OCR needs the Python packages {', '.join(missing)}: {INSTALL}"
    folder = tessdata_dir()
    if folder is None:
        where = "TESSDATA_PREFIX" if os.environ.get("TESSDATA_PREFIX") else "the usual folders"
        return f"OCR needs Tesseract's language data (no *.traineddata in {where}): {INSTALL}"
    if not _usable(languages, folder):
        return (
            f"OCR languages {languages!r} (OPENPAL_OCR_LANGUAGES): none is installed in"
            f" {folder}: apt-get install tesseract-ocr-<language>"
        )
    return None


def _usable(languages: str, folder: str) -> str:
    """The configured languages that are installed, joined with '+' (may be empty)."""
    have = installed_languages(folder)
    return "+".join(lang for lang in languages.split("+") if lang.strip() in have)


def _api(languages: str) -> Any:
    """A TessBaseAPI for `languages`, loaded once per worker process."""
    import tesserocr

    folder = tessdata_dir()
    problem = ocr_problem(languages)
    if problem or folder is None:
        raise OcrError(problem or f"OCR is not available: {INSTALL}")
    key = (folder, _usable(languages, folder))
    if key not in _apis:
        # one column of lines of different sizes, spaces kept: a label and its value
        # stay on one line (the automatic mode reads a two-column block column by column)
        api = tesserocr.PyTessBaseAPI(path=folder, lang=key[1], psm=tesserocr.PSM.SINGLE_COLUMN)
        api.SetVariable("preserve_interword_spaces", "1")
        _apis[key] = api
    return _apis[key]


def _recognise(image: Any, languages: str) -> str:
    api = _api(languages)
    api.SetImage(image.convert("L"))
    text: str = api.GetUTF8Text()
    api.Clear()
    return text.strip()


def ocr_image(data: bytes, name: str, languages: str, max_pages: int, max_pixels: int) -> list[str]:
    """The text of each frame of a PNG/JPEG/TIFF (a TIFF may hold several pages)."""
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own bomb check, past our own below
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > max_pages:
            raise OcrError(
                f"{name!r} has {frames} pages to OCR; the limit is {max_pages}"
                " (OPENPAL_OCR_MAX_PAGES)"
            )
        texts = []
        for frame in ImageSequence.Iterator(image):
            width, height = frame.size
            if width * height > max_pixels:
                raise OcrError(
                    f"{name!r} is {width} x {height} pixels; the limit is {max_pixels:,}"
                    " pixels per page (OPENPAL_OCR_MAX_PIXELS)"
                )
            texts.append(_recognise(frame, languages))
    except OcrError:
        raise
    except Image.DecompressionBombError:  # Pillow's own check, at twice the limit
        raise OcrError(
            f"{name!r} has more than {2 * max_pixels:,} pixels; the limit is {max_pixels:,}"
            " pixels per page (OPENPAL_OCR_MAX_PIXELS)"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow on broken files
        raise OcrError(f"{name!r} is not a readable image: {exc}") from None
    return texts


def _pixels_scale(width_pt: float, height_pt: float, max_pixels: int) -> float:
    """`DPI`'s scale, lowered so the page's bitmap stays within `max_pixels`."""
    scale = DPI / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    if area * scale * scale > max_pixels:
        scale = (max_pixels / area) ** 0.5
    return scale


def _render(page: Any, max_pixels: int) -> Any:
    width, height = page.get_size()
    scale = _pixels_scale(width, height, max_pixels)
    return page.render(scale=scale, grayscale=True).to_pil()


def ocr_pdf_pages(
    data: bytes,
    name: str,
    pages: list[int],
    only_with_images: bool,
    languages: str,
    max_pages: int,
    max_pixels: int,
) -> dict[int, str]:
    """OCR the PDF's pages at the 0-based indexes `pages`: their text by index. With
    `only_with_images`, pages that show no image are left out (nothing to read)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"{name!r}: PDFium cannot open it for OCR: {exc}") from None
    try:
        if only_with_images:
            image = pdfium.raw.FPDF_PAGEOBJ_IMAGE
            pages = [i for i in pages if next(document[i].get_objects([image], 3), None)]
        if len(pages) > max_pages:
            raise OcrError(
                f"{name!r} has {len(pages)} pages to OCR; the limit is {max_pages}"
                " (OPENPAL_OCR_MAX_PAGES)"
            )
        return {i: _recognise(_render(document[i], max_pixels), languages) for i in pages}
    finally:
        document.close()


def render_pages_to_png(pdf_bytes: bytes, max_pixels: int = 50_000_000) -> list[bytes]:
    """Every page of a PDF as a grayscale PNG at 300 dpi (a "scan" of it), for the
    OCR benchmark and tests. Runs where it is called (trusted input only)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        out = []
        for page in document:
            buffer = io.BytesIO()
            _render(page, max_pixels).convert("L").save(buffer, format="PNG")
            out.append(buffer.getvalue())
        return out
    finally:
        document.close()
