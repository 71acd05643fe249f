"""A PDF bomb: a few kB that expand to many pages and much text (bench.hostile,
tests/security/test_hostile_steps.py)."""

from __future__ import annotations

import zlib


def shared_page_pdf(pages: int, text_per_page: int) -> bytes:
    """A PDF of a few kB: `pages` pages that are one shared page object, whose one
    compressed content stream draws `text_per_page` characters of text."""
    line = b"(" + b"A" * 100 + b") Tj 0 -1 Td\n"
    content = b"BT /F1 1 Tf 0 800 Td\n" + line * (text_per_page // 100) + b"ET\n"
    stream = zlib.compress(content, 9)
    kids = b" ".join(b"3 0 R" for _ in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)
