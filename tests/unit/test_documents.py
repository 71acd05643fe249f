"""`doc.pdf-text` and `ai.extract` on real files and a real (local) HTTP endpoint."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fpdf import FPDF

from openpal.files import FileRef
from openpal.steps.base import StepContext
from openpal.steps.documents import DocumentError, pdf_text
from openpal.steps.extract import ExtractionError, ExtractStep
from openpal.steps.extract_openai import ProviderError
from openpal.steps.extract_rules import parse_amount, parse_date
from openpal.workflows.loader import load_workflow_text

CTX = StepContext(run_id="exec_t", step_name="s", workflow="w")


def _pdf(path: Path, pages: list[list[str]], *, password: str | None = None) -> FileRef:
    pdf = FPDF()
    pdf.set_title("Invoice 7")
    pdf.set_author("Acme")
    if password is not None:
        pdf.set_encryption(owner_password="owner", user_password=password)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return FileRef("sha256:t", path.name, "application/pdf", path.stat().st_size, path)


def test_pdf_text_pages_and_metadata(tmp_path):
    out = pdf_text(_pdf(tmp_path / "a.pdf", [["First page"], ["Second page", "more"]]))
    assert out["page_count"] == 2
    assert [p["number"] for p in out["pages"]] == [1, 2]
    assert "First page" in out["pages"][0]["text"] and "more" in out["pages"][1]["text"]
    assert "First page" in out["text"] and "Second page" in out["text"]
    assert out["metadata"]["title"] == "Invoice 7" and out["metadata"]["author"] == "Acme"
    assert out["metadata"]["created"].startswith("20")


def test_encrypted_and_corrupt_pdfs_fail_clearly(tmp_path):
    locked = _pdf(tmp_path / "locked.pdf", [["secret"]], password="pw")
    with pytest.raises(DocumentError, match="encrypted PDF; it needs a password"):
        pdf_text(locked)
    open_owner = _pdf(tmp_path / "owner.pdf", [["readable"]], password="")
    assert "readable" in pdf_text(open_owner)["text"]  # empty user password: readable
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    ref = FileRef("sha256:b", "broken.pdf", "application/pdf", broken.stat().st_size, broken)
    with pytest.raises(DocumentError, match="is not a readable PDF"):
        pdf_text(ref)
    image = tmp_path / "image.gif"  # PNG, JPEG and TIFF are read by OCR
    image.write_bytes(b"GIF89a" + b"\x00" * 64)
    ref = FileRef("sha256:i", "image.gif", "image/gif", 70, image)
    with pytest.raises(DocumentError, match=r"is not a PDF or an image \(PNG, JPEG, TIFF\)"):
        pdf_text(ref)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1,234.50", 1234.5),
        ("1.234,50 EUR", 1234.5),
        ("CHF 1'234.50", 1234.5),
        ("$99", 99.0),
        ("£ 12.5", 12.5),
        ("1 234,50", 1234.5),
        ("-7,00", -7.0),
        ("no number", None),
    ],
)
def test_amounts(raw, value):
    assert parse_amount(raw) == value


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2026-03-14", "2026-03-14"),
        ("14.03.2026", "2026-03-14"),
        ("14/03/2026", "2026-03-14"),
        ("12/31/2026", "2026-12-31"),
        ("March 14, 2026", "2026-03-14"),
        ("14 Mar 2026", "2026-03-14"),
        ("14. März 2026", "2026-03-14"),
        ("Date: Sept 3rd, 2025", "2025-09-03"),
        ("31.02.2026", None),
    ],
)
def test_dates(raw, iso):
    assert parse_date(raw) == iso


SCHEMA = {
    "type": "object",
    "required": ["total"],
    "properties": {
        "total": {"type": "number", "x-labels": ["grand total", "total"]},
        "ref": {"type": "string", "x-labels": ["reference"]},
    },
}


async def test_rules_extract_and_required_fields():
    step = ExtractStep()
    out = await step.run(
        {
            "text": "Subtotal: 10\nReference: R-1\nTotal: 12.00\nGrand total: 12.50",
            "schema": SCHEMA,
        },
        CTX,
    )
    assert out == {"total": 12.5, "ref": "R-1"}
    with pytest.raises(ExtractionError, match="required field\\(s\\) not found: total"):
        await step.run({"text": "nothing here", "schema": SCHEMA}, CTX)


def test_ai_extract_configuration_is_checked_at_load():
    base = "name: x\nsteps:\n  - name: e\n    type: ai.extract\n    with: {}\n"
    for with_, field in [
        ("{schema: {type: object}}", "steps[0].with.text"),
        ("{text: t}", "steps[0].with.schema"),
        ("{text: t, schema: {type: nope}}", "steps[0].with.schema"),
        ("{text: t, schema: {type: array}}", "steps[0].with.schema"),
        ("{text: t, schema: {type: object}, provider: magic}", "steps[0].with.provider"),
        ("{text: t, schema: {type: object}, temperature: 1}", "steps[0].with.temperature"),
    ]:
        with pytest.raises(Exception) as info:
            load_workflow_text(base.replace("{}", with_))
        assert getattr(info.value, "field", None) == field, (with_, str(info.value))


class FakeModel:
    """A local OpenAI-compatible endpoint answering from a script of replies."""

    def __init__(self, replies: list[tuple[int, str]]) -> None:
        self.replies = replies
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                fake.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, content = fake.replies.pop(0)
                body = (
                    json.dumps({"choices": [{"message": {"content": content}}]})
                    if status == 200
                    else content
                ).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_model(monkeypatch):
    models = []

    def start(replies):
        model = FakeModel(replies)
        models.append(model)
        monkeypatch.setenv("OPENPAL_OPENAI_BASE_URL", model.url)
        monkeypatch.setenv("OPENPAL_OPENAI_API_KEY", "sk-test")
        return model

    yield start
    for model in models:
        model.close()


async def test_openai_provider_retries_invalid_output_then_succeeds(fake_model):
    model = fake_model(
        [
            (200, "not json at all"),
            (200, json.dumps({"total": "twelve"})),
            (200, json.dumps({"total": 12.5, "ref": "R-9"})),
        ]
    )
    out = await ExtractStep().run(
        {"text": "Total: 12.50", "schema": SCHEMA, "provider": "openai", "model": "m1"}, CTX
    )
    assert out == {"total": 12.5, "ref": "R-9"}
    first, second, third = model.requests
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert first["body"]["model"] == "m1"
    sent_schema = first["body"]["response_format"]["json_schema"]["schema"]
    assert "x-labels" not in json.dumps(sent_schema)  # openpal's hints stay home
    assert first["body"]["messages"][-1] == {"role": "user", "content": "Total: 12.50"}
    assert "not JSON" in second["body"]["messages"][-1]["content"]
    assert "total: 'twelve' is not of type 'number'" in third["body"]["messages"][-1]["content"]


async def test_openai_provider_gives_up_and_reports_http_errors(fake_model):
    fake_model([(200, "{}")] * 2)
    with pytest.raises(ProviderError, match="no valid output after 2 attempts"):
        await ExtractStep().run(
            {"text": "x", "schema": SCHEMA, "provider": "openai", "max_attempts": 2}, CTX
        )
    fake_model([(429, '{"error": "slow down"}')])
    with pytest.raises(ProviderError, match="answered 429"):
        await ExtractStep().run({"text": "x", "schema": SCHEMA, "provider": "openai"}, CTX)
