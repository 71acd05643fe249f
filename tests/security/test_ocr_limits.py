"""OCR and the sandbox worker are bounded: pages (`OPENPAL_OCR_MAX_PAGES`), time
(`OPENPAL_OCR_SECONDS`, the worker is killed), pixels (`OPENPAL_OCR_MAX_PIXELS`, a
decompression bomb is refused before it is decoded) and memory (`OPENPAL_SANDBOX_MEMORY_MB`:
a step over it fails naming the setting while `/healthz` keeps answering and other runs
complete, both backends). Cancelling a run kills its OCR. Without Tesseract a document
that needs OCR fails the step saying what to install."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from openpal.files import FileRef
from openpal.settings import Settings
from openpal.steps.documents import DocumentError, pdf_text
from openpal.steps.ocr import render_pages_to_png
from openpal.steps.sandbox import SandboxOutOfMemory, run_killable
from tests.api.test_runs import wait_terminal
from tests.conftest import Server, start_server
from tests.corpus.invoices import corpus, make_invoice
from tests.corpus.ocr_scans import require_ocr, scanned_pdf
from tests.security.test_hostile_steps import NAPS, WORKFLOWS, _alongside, _start


@pytest.fixture
def ocr() -> None:
    require_ocr()


@pytest.fixture(scope="module")
def invoice_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    inv = corpus(1, seed=7)[0]
    return make_invoice(inv, tmp_path_factory.mktemp("ocr") / "inv.pdf").read_bytes()


def _ref(folder: Path, name: str, data: bytes) -> FileRef:
    path = folder / name
    path.write_bytes(data)
    return FileRef("sha256:t", name, "application/octet-stream", len(data), path)


def _png(width: int, height: int) -> bytes:
    """A valid PNG header of any size with almost no data (Pillow reads only the header
    when it opens one)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_pages_over_the_ocr_limit_fail_naming_it(
    tmp_path: Path, invoice_pdf: bytes, ocr: None
) -> None:
    page = Image.open(io.BytesIO(render_pages_to_png(invoice_pdf)[0]))
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=300, save_all=True, append_images=[page, page])
    limits = Settings(ocr_max_pages=2)
    started = time.monotonic()
    with pytest.raises(DocumentError, match=r"3 pages to OCR; the limit is 2 \(OPENPAL_OCR_MAX"):
        pdf_text(_ref(tmp_path, "three.pdf", out.getvalue()), limits)
    tiff = io.BytesIO()
    page.save(tiff, format="TIFF", save_all=True, append_images=[page, page])
    with pytest.raises(DocumentError, match="OPENPAL_OCR_MAX_PAGES"):
        pdf_text(_ref(tmp_path, "three.tiff", tiff.getvalue()), limits)
    assert time.monotonic() - started < 20  # refused before any page is read


def test_ocr_is_killed_after_its_time_limit(tmp_path: Path, invoice_pdf: bytes, ocr: None) -> None:
    scan = _ref(tmp_path, "scan.pdf", scanned_pdf(invoice_pdf))
    started = time.monotonic()
    with pytest.raises(DocumentError, match=r"OCR took longer than 0.05 s \(OPENPAL_OCR_SECONDS"):
        pdf_text(scan, Settings(ocr_seconds=0.05))
    assert time.monotonic() - started < 5
    assert pdf_text(scan)["ocr_pages"] == 1  # a fresh worker reads it within the default


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(
    tmp_path: Path, ocr: None
) -> None:
    bomb = _png(100_000, 100_000)  # 10 G pixels in < 1 kB
    assert len(bomb) < 2000
    with pytest.raises(
        DocumentError, match=r"'bomb.png' has more than .* pixels.*OPENPAL_OCR_MAX_PIXELS"
    ):
        pdf_text(_ref(tmp_path, "bomb.png", bomb))
    small = _png(1200, 1200)
    with pytest.raises(DocumentError, match=r"1200 x 1200 pixels.*OPENPAL_OCR_MAX_PIXELS"):
        pdf_text(_ref(tmp_path, "big.png", small), Settings(ocr_max_pixels=1_000_000))


def test_without_tesseract_the_step_says_what_to_install(
    tmp_path: Path, invoice_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "nothing-here"))
    png = _png(50, 50)
    with pytest.raises(DocumentError, match=r"not available here.*apt-get install tesseract-ocr"):
        pdf_text(_ref(tmp_path, "scan.png", png))
    digital = pdf_text(_ref(tmp_path, "digital.pdf", invoice_pdf))  # no OCR needed: fine
    assert digital["ocr_pages"] == 0 and digital["page_count"] == 1


def allocate(mib: int) -> int:
    """Runs in the sandbox worker: touch `mib` MiB."""
    return len(bytearray(mib * 1024 * 1024))


def test_the_sandbox_worker_has_a_memory_cap() -> None:
    with pytest.raises(SandboxOutOfMemory):
        run_killable(allocate, (2048,), seconds=30, memory_mb=512)
    assert run_killable(allocate, (64,), seconds=30, memory_mb=512) == 64 * 1024 * 1024
    assert run_killable(allocate, (600,), seconds=30) == 600 * 1024**2  # the cap is per call


@pytest.fixture
def capped_server(tmp_path: Path, db_url: str | None) -> Iterator[Server]:
    folder = tmp_path / "workflows"
    folder.mkdir()
    for name, text in WORKFLOWS.items():
        (folder / name).write_text(text)
    (folder / "hostile_naps.py").write_text(NAPS)
    # a scanned A4 page needs ~300 MB of address space; a 6000 x 6000 image over 500 MB
    env = {"OPENPAL_LEASE_SECONDS": "2", "OPENPAL_SANDBOX_MEMORY_MB": "400"}
    srv = start_server(tmp_path / "data", workflows=folder, env=env, database_url=db_url)
    yield srv
    srv.stop()


@pytest.mark.slow
def test_a_step_over_the_memory_cap_fails_and_the_server_stays_healthy(
    capped_server: Server, invoice_pdf: bytes, ocr: None
) -> None:
    big = io.BytesIO()
    Image.new("RGB", (6000, 6000), "white").save(big, format="PNG")  # 108 MB decoded
    files = {"doc": ("huge.png", big.getvalue(), "image/png")}
    run = _alongside(
        capped_server, lambda c: _start(c, "hostile-pdf", data={"_json": "{}"}, files=files)
    )
    assert run["status"] == "failed", run
    assert "OPENPAL_SANDBOX_MEMORY_MB" in run["error"] and "huge.png" in run["error"], run
    scan = {"doc": ("scan.pdf", scanned_pdf(invoice_pdf), "application/pdf")}
    with capped_server.client() as client:
        after = wait_terminal(client, _start(client, "hostile-pdf", files=scan), timeout=90)
        assert after["status"] == "completed", after  # the next document is read as before
        assert httpx.get(f"{capped_server.base_url}/healthz").status_code == 200


@pytest.mark.slow
def test_cancel_stops_ocr_at_once(capped_server: Server, invoice_pdf: bytes, ocr: None) -> None:
    page = Image.open(io.BytesIO(render_pages_to_png(invoice_pdf)[0]))
    pdf = io.BytesIO()
    page.save(pdf, format="PDF", resolution=300, save_all=True, append_images=[page] * 19)
    files = {"doc": ("twenty.pdf", pdf.getvalue(), "application/pdf")}  # 11-45 s of OCR
    with capped_server.client() as client:
        run_id = _start(client, "hostile-pdf", files=files)
        deadline = time.monotonic() + 30
        while client.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(2.0)  # the PDF is parsed; its pages are being read by OCR
        cancelled_at = time.monotonic()
        assert client.post(f"/api/v1/runs/{run_id}/cancel").status_code == 200
        run = wait_terminal(client, run_id, timeout=30)
        assert run["status"] == "cancelled", run
        assert time.monotonic() - cancelled_at < 3.0
