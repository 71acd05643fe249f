"""Untrusted patterns and documents cannot stall the server: while a hostile run executes
(a backtracking pattern, the invoice extractor on a 30 k-character line, a PDF over the
page or character limit), every `/healthz` answers within a second (100 ms in practice),
the hostile run ends within its limits, and a normal run that runs at the same time
keeps its lease (it completes with attempt 1, no takeover). Both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from bench.pdf_bomb import shared_page_pdf
from bench.procs import BENCH_WORKFLOWS

from openpal.files import FileRef
from openpal.settings import Settings
from openpal.steps.documents import DocumentError, pdf_text
from tests.api.test_runs import wait_terminal
from tests.conftest import Server, start_server

WORKFLOWS = {  # hostile-regex and hostile-pdf are bench.hostile's too
    **{
        name: (BENCH_WORKFLOWS / name).read_text()
        for name in ("hostile-regex.yaml", "hostile-pdf.yaml")
    },
    "hostile-nap.yaml": """
name: hostile-nap
steps:
  - name: nap
    type: python
    with: {function: "hostile_naps:nap", args: {seconds: 3}}
output: {slept: "{{ steps.nap.output.slept }}"}
""",
}
NAPS = """
import asyncio


async def nap(seconds: float) -> dict:
    await asyncio.sleep(seconds)
    return {"slept": seconds}
"""


@pytest.fixture
def server(tmp_path: Path, db_url: str | None) -> Iterator[Server]:
    folder = tmp_path / "workflows"
    folder.mkdir()
    for name, text in WORKFLOWS.items():
        (folder / name).write_text(text)
    (folder / "hostile_naps.py").write_text(NAPS)
    env = {"OPENPAL_LEASE_SECONDS": "2"}  # a stall of a few seconds would lose leases
    srv = start_server(tmp_path / "data", workflows=folder, env=env, database_url=db_url)
    yield srv
    srv.stop()


def _alongside(server: Server, start_hostile: Callable[[httpx.Client], str]) -> dict:
    """Start a normal run, then the hostile one, polling `/healthz` until both end;
    the hostile run's final state (the normal one is checked here)."""
    worst = 0.0
    done = threading.Event()

    def poll() -> None:
        nonlocal worst
        with httpx.Client(base_url=server.base_url, timeout=120) as probe:
            while not done.is_set():
                started = time.monotonic()
                assert probe.get("/healthz").status_code == 200
                worst = max(worst, time.monotonic() - started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    with server.client() as client:
        normal = client.post("/api/v1/run/workflows.hostile-nap", json={})
        assert normal.status_code == 201, normal.text
        poller.start()
        hostile_id = start_hostile(client)
        try:
            hostile = wait_terminal(client, hostile_id, timeout=90)
            final = wait_terminal(client, normal.json()["runId"], timeout=60)
        finally:
            done.set()
            poller.join(120)
    assert worst < 1.0, f"/healthz took {worst:.2f} s while a hostile run executed"
    assert final["status"] == "completed", final
    assert final["attempt"] == 1 and final["takeovers"] == 0, final
    return hostile


def _start(client: httpx.Client, workflow: str, **kw: object) -> str:
    resp = client.post(f"/api/v1/run/workflows.{workflow}", **kw)  # type: ignore[arg-type]
    assert resp.status_code == 201, resp.text
    return str(resp.json()["runId"])


def test_a_backtracking_pattern_runs_in_linear_time(server: Server) -> None:
    hostile = {"text": "a" * 28 + "!", "pattern": "(a+)+$"}  # ~21 s with Python's re
    run = _alongside(server, lambda c: _start(c, "hostile-regex", json=hostile))
    assert run["status"] == "completed", run
    assert run["output"] == {"hit": None}


def test_the_invoice_extractor_on_a_30k_character_line(server: Server) -> None:
    """10 s of quadratic searches before. The extractor refuses a document that is not an
    invoice, so the long line sits inside one that is: every pattern meets it."""
    head = "Invoice INV-77 Date 14.03.2026 Total 12.50 EUR "
    for text, done in ((head + "a" * 30_000, "completed"), ("a" * 30_000, "failed")):
        files = {"contract_document": ("long.txt", text.encode(), "text/plain")}
        run = _alongside(
            server, lambda c, f=files: _start(c, "extract-invoice", data={"_json": "{}"}, files=f)
        )
        assert run["status"] == done, run
        if done == "completed":
            assert run["output"]["total"] == 12.5 and run["output"]["invoice_number"] == "INV-77"
        else:
            assert "not an invoice" in run["error"], run["error"]


@pytest.mark.parametrize(
    ("pages", "text_per_page", "limit"),
    [
        (1000, 100, "OPENPAL_PDF_MAX_PAGES"),  # over the default 500 pages
        (400, 10_000, "OPENPAL_PDF_MAX_CHARS"),  # 4 M characters; the default is 2 M
    ],
)
def test_a_pdf_over_a_limit_fails_naming_it(
    server: Server, pages: int, text_per_page: int, limit: str
) -> None:
    data = shared_page_pdf(pages, text_per_page)
    assert len(data) < 8000
    files = {"doc": ("bomb.pdf", data, "application/pdf")}
    run = _alongside(server, lambda c: _start(c, "hostile-pdf", data={"_json": "{}"}, files=files))
    assert run["status"] == "failed", run
    assert limit in run["error"] and "bomb.pdf" in run["error"], run["error"]


def test_pdf_parsing_is_killed_after_its_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "slow.pdf"
    path.write_bytes(shared_page_pdf(400, 4000))  # within the limits, seconds to parse
    ref = FileRef("sha256:t", path.name, "application/pdf", path.stat().st_size, path)
    started = time.monotonic()
    with pytest.raises(DocumentError, match="OPENPAL_PDF_MAX_SECONDS"):
        pdf_text(ref, Settings(pdf_max_seconds=0.3))
    assert time.monotonic() - started < 5
    assert pdf_text(ref, Settings(pdf_max_pages=1000))["page_count"] == 400  # the pool recovers


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [(r"(a)\1", "backreference"), (r"(?<=a)b", "lookbehind"), (r"a(?=b)", "lookahead")],
)
async def test_patterns_need_linear_time(pattern: str, construct: str) -> None:
    from tests.unit.test_steps import problems, run

    found = problems("transform.regex-extract", {"text": "t", "patterns": {"p": pattern}})
    assert [(f, construct in m) for f, m in found] == [("patterns.p", True)]
    with pytest.raises(ValueError, match=f"transform.regex-extract: patterns.p: .*{construct}"):
        await run("transform.regex-extract", {"text": "ab", "patterns": {"p": pattern}})
    with pytest.raises(ValueError, match="OPENPAL_REGEX_MAX_TEXT_CHARS"):
        await run("transform.regex-extract", {"text": "a" * 1_000_001, "patterns": {"p": "a"}})


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("[]#] x", "a]#x", ["#x"]),  # `]` first in a class, then `#`: not a comment
        ("[] a]+", "b] a", ["] a"]),  # a space in a class is kept under x
        ("[^]a] + # comment", "]a b ", [" b "]),
    ],
)
async def test_the_x_flag_keeps_a_leading_bracket_in_its_class(
    pattern: str, text: str, found: list[str]
) -> None:
    import re

    from tests.unit.test_steps import run

    assert re.findall(pattern, text, re.VERBOSE) == found  # what `re` does
    out = await run(
        "transform.regex-extract",
        {"text": text, "patterns": {"p": pattern}, "flags": "x", "all": True},
    )
    assert out == {"p": found}
