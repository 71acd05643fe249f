"""Built-in step types run directly with a StepContext, and the bundled examples end to end."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

import openpal
from openpal.errors import RunCancelled
from openpal.files import FileRef
from openpal.steps.base import StepContext
from openpal.steps.python_step import resolve
from openpal.steps.registry import get_step_type, register, step_type_names
from openpal.workflows.loader import load_workflow_file
from openpal.workflows.model import StepSpec, WorkflowDef
from openpal.workflows.templates import evaluate_condition, render_value

EXAMPLES_DIR = Path(openpal.__file__).resolve().parent / "examples"


def ctx(base_dir: str | Path | None = None, **kw: Any) -> StepContext:
    return StepContext(
        run_id="exec_t",
        step_name="s",
        workflow="w",
        base_dir=None if base_dir is None else str(base_dir),
        **kw,
    )


async def run(type_name: str, config: dict[str, Any], context: StepContext | None = None) -> Any:
    return await get_step_type(type_name).run(config, context or ctx())


def problems(type_name: str, with_: dict[str, Any]) -> list[tuple[str, str]]:
    return get_step_type(type_name).validate(StepSpec(name="s", type=type_name, with_=with_))


def test_registry_knows_the_builtins():
    assert {"transform.set", "transform.template", "transform.regex-extract", "python"} <= set(
        step_type_names()
    )
    with pytest.raises(KeyError):
        get_step_type("nope")

    class Echo:
        name = "test.echo"

        def validate(self, step: StepSpec) -> list[tuple[str, str]]:
            return []

        async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
            return config

    register(Echo())
    assert get_step_type("test.echo").name == "test.echo"


async def test_transform_set_outputs_its_config():
    assert await run("transform.set", {"a": 1, "b": [2]}) == {"a": 1, "b": [2]}
    assert problems("transform.set", {}) == []


async def test_transform_template_wraps_the_rendered_text():
    assert await run("transform.template", {"template": "Hello, Ada!"}) == {"text": "Hello, Ada!"}
    assert await run("transform.template", {"template": 3}) == {"text": "3"}
    assert await run("transform.template", {"template": None}) == {"text": ""}
    assert problems("transform.template", {"template": "x"}) == []
    assert problems("transform.template", {})[0][0] == "template"
    assert problems("transform.template", {"template": "x", "extra": 1})[0][0] == "extra"


TEXT = "Invoice No: A-17\nDate: 2026-01-02\nTotal: 10.50 EUR\ntotal: 3.00 EUR\n"


async def test_regex_extract_first_group_whole_match_named_groups_and_misses():
    out = await run(
        "transform.regex-extract",
        {
            "text": TEXT,
            "flags": "i|m",
            "patterns": {
                "number": r"invoice no:\s*(\S+)",
                "date": r"\d{4}-\d{2}-\d{2}",
                "total": r"^total:\s*(?P<amount>[\d.]+)\s*(?P<currency>[A-Z]{3})",
                "vat": r"VAT:\s*(\S+)",
            },
        },
    )
    assert out == {
        "number": "A-17",
        "date": "2026-01-02",
        "total": {"amount": "10.50", "currency": "EUR"},
        "vat": None,
    }


async def test_regex_extract_all_and_flags():
    config = {"text": TEXT, "patterns": {"totals": r"^total:\s*([\d.]+)"}, "all": True}
    assert await run("transform.regex-extract", {**config, "flags": "im"}) == {
        "totals": ["10.50", "3.00"]
    }
    assert await run("transform.regex-extract", {**config, "flags": "m"}) == {"totals": ["3.00"]}
    assert await run("transform.regex-extract", {**config, "flags": ""}) == {"totals": []}


def test_regex_extract_validation():
    good = {"text": "{{ input.t }}", "patterns": {"a": "(x)"}, "flags": "i|s"}
    assert problems("transform.regex-extract", good) == []
    fields = {p[0] for p in problems("transform.regex-extract", {"patterns": {"a": "(x"}})}
    assert fields == {"text", "patterns.a"}
    assert problems("transform.regex-extract", {**good, "flags": "q"})[0][0] == "flags"
    assert problems("transform.regex-extract", {**good, "all": "yes"})[0][0] == "all"
    assert problems("transform.regex-extract", {"text": "t"})[0][0] == "patterns"
    # a templated pattern is only known at run time
    templated = {"text": "t", "patterns": {"a": "{{ input.rx }}"}}
    assert problems("transform.regex-extract", templated) == []


def write_module(tmp_path: Path, source: str) -> str:
    name = f"user_steps_{uuid.uuid4().hex}"  # unique: modules are cached in sys.modules
    (tmp_path / f"{name}.py").write_text(source)
    return name


USER_CODE = """
import threading

def sync_fn(x, y=1):
    return {"sum": x + y, "thread": threading.get_ident()}

async def async_fn(x):
    return {"double": x * 2, "thread": threading.get_ident()}

def with_ctx(x, ctx):
    ctx.heartbeat()
    ctx.check_cancelled()
    return {"x": x, "run": ctx.run_id, "step": ctx.step_name}

async def async_with_ctx(ctx):
    ctx.check_cancelled()
    return ctx.workflow

def boom(message):
    raise ValueError(message)

class Namespace:
    @staticmethod
    def nested():
        return "nested"
"""


async def test_python_sync_runs_in_a_thread_async_on_the_loop(tmp_path: Path):
    mod = write_module(tmp_path, USER_CODE)
    here = threading.get_ident()
    out = await run("python", {"function": f"{mod}:sync_fn", "args": {"x": 2}}, ctx(tmp_path))
    assert out["sum"] == 3 and out["thread"] != here
    out = await run("python", {"function": f"{mod}:async_fn", "args": {"x": 4}}, ctx(tmp_path))
    assert out["double"] == 8 and out["thread"] == here
    out = await run("python", {"function": f"{mod}:Namespace.nested"}, ctx(tmp_path))
    assert out == "nested"


async def test_python_passes_ctx_only_when_asked(tmp_path: Path):
    mod = write_module(tmp_path, USER_CODE)
    beats: list[int] = []
    context = ctx(tmp_path, _on_heartbeat=lambda: beats.append(1))
    out = await run("python", {"function": f"{mod}:with_ctx", "args": {"x": 1}}, context)
    assert out == {"x": 1, "run": "exec_t", "step": "s"} and beats == [1]
    assert await run("python", {"function": f"{mod}:async_with_ctx"}, ctx(tmp_path)) == "w"


async def test_python_cancel_and_errors_propagate_unchanged(tmp_path: Path):
    mod = write_module(tmp_path, USER_CODE)
    cancelled = ctx(tmp_path)
    cancelled.request_cancel()
    for fn in ("with_ctx", "async_with_ctx"):
        args = {"x": 1} if fn == "with_ctx" else {}
        with pytest.raises(RunCancelled):
            await run("python", {"function": f"{mod}:{fn}", "args": args}, cancelled)
    with pytest.raises(ValueError, match="it broke"):
        await run(
            "python", {"function": f"{mod}:boom", "args": {"message": "it broke"}}, ctx(tmp_path)
        )
    with pytest.raises(ModuleNotFoundError):
        await run("python", {"function": "no_such_module_xyz:f"}, ctx(tmp_path))
    with pytest.raises(AttributeError):
        await run("python", {"function": f"{mod}:missing"}, ctx(tmp_path))


def test_python_resolution_is_cached(tmp_path: Path):
    mod = write_module(tmp_path, USER_CODE)
    assert resolve(f"{mod}:sync_fn", str(tmp_path)) is resolve(f"{mod}:sync_fn", str(tmp_path))


def test_python_validation_does_not_import():
    assert problems("python", {"function": "surely_not_importable:f", "args": {"a": 1}}) == []
    assert problems("python", {})[0][0] == "function"
    for bad in ("nocolon", "a:", ":b", "a b:c", 3):
        assert problems("python", {"function": bad})[0][0] == "function"
    assert problems("python", {"function": "m:f", "args": [1]})[0][0] == "args"
    assert problems("python", {"function": "m:f", "args": {"ctx": 1}})[0][0] == "args.ctx"
    assert problems("python", {"function": "m:f", "argz": {}})[0][0] == "argz"


async def test_slow_step_sleeps_heartbeats_and_stops_on_cancel():
    beats: list[int] = []
    context = ctx(EXAMPLES_DIR, _on_heartbeat=lambda: beats.append(1))
    config = {"function": "slow_steps:count", "args": {"n": 2, "seconds": 0.12}}
    assert await run("python", config, context) == {"step": 2, "slept": 0.12}
    assert len(beats) >= 2
    stopper = ctx(EXAMPLES_DIR)
    task = asyncio.create_task(run("python", {**config, "args": {"n": 1, "seconds": 5}}, stopper))
    await asyncio.sleep(0.1)
    stopper.request_cancel()
    with pytest.raises(RunCancelled):
        await asyncio.wait_for(task, 1)


async def execute(wf: WorkflowDef, data: dict[str, Any]) -> Any:
    """What the engine does, minus the store: render, maybe skip, run, record."""
    defaults = {i.name: i.default for i in wf.inputs if i.has_default}
    scope: dict[str, Any] = {
        "input": {**defaults, **data},
        "steps": {},
        "run": {"id": "exec_t", "workflow": wf.slug, "attempt": 1},
    }
    for spec in wf.steps:
        output = None
        if spec.if_ is None or evaluate_condition(spec.if_, scope):
            context = StepContext("exec_t", spec.name, wf.slug, base_dir=wf.base_dir)
            config = render_value(spec.with_, scope)
            output = await get_step_type(spec.type).run(config, context)
        scope["steps"][spec.name] = {"output": output}
    return render_value(wf.output, scope)


def invoice_pdf(path: Path, lines: list[str]) -> FileRef:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(0, 10, "Thank you for your business.")
    pdf.output(str(path))
    return FileRef("sha256:x", path.name, "application/pdf", path.stat().st_size, path)


async def test_extract_invoice_reads_a_generated_pdf(tmp_path: Path):
    wf = load_workflow_file(EXAMPLES_DIR / "extract-invoice.yaml")
    doc = invoice_pdf(
        tmp_path / "invoice.pdf",
        [
            "ACME TOOLS GMBH",
            "From: Acme Tools GmbH",
            "Invoice Number: INV-2041",
            "Invoice Date: 14 March 2026",
            "Due Date: 2026-04-14",
            "Subtotal: 1,000.00 EUR",
            "VAT (19%): 234.50 EUR",
            "Total: 1,234.50 EUR",
        ],
    )
    out = await execute(wf, {"contract_document": doc})
    assert out.pop("confidence")["total"] == 0.98  # labelled, and subtotal + VAT add up to it
    assert out == {
        "invoice_number": "INV-2041",
        "invoice_date": "2026-03-14",
        "vendor": "Acme Tools GmbH",
        "total": 1234.5,
        "currency": "EUR",
        "line_items": [],
    }


async def test_extract_invoice_other_layouts(tmp_path: Path):
    wf = load_workflow_file(EXAMPLES_DIR / "extract-invoice.yaml")
    doc = invoice_pdf(
        tmp_path / "us.pdf",
        [
            "Vendor: Widgets Inc.",
            "Invoice # 2026/0042",
            "Date: 03/31/2026",
            "Amount due: $99.90",
        ],
    )
    out = await execute(wf, {"contract_document": doc})
    assert set(out.pop("confidence")) == {*out} - {"confidence"}
    assert out == {
        "invoice_number": "2026/0042",
        "invoice_date": "2026-03-31",
        "vendor": "Widgets Inc.",
        "total": 99.9,
        "currency": "USD",
        "line_items": [],
    }
    text = tmp_path / "inv.txt"
    text.write_text("Seller: Brit Ltd\nInvoice no. GB-7\nDate: 2 Jan 2026\nTotal: £1.234,00\n")
    ref = FileRef("sha256:y", "inv.txt", "text/plain", text.stat().st_size, text)
    out = await execute(wf, {"contract_document": ref})
    assert out.pop("confidence")["invoice_number"] == 0.95
    assert out == {
        "invoice_number": "GB-7",
        "invoice_date": "2026-01-02",
        "vendor": "Brit Ltd",
        "total": 1234.0,
        "currency": "GBP",
        "line_items": [],
    }


async def test_hello_and_noop3_examples():
    hello = load_workflow_file(EXAMPLES_DIR / "hello.yaml")
    assert await execute(hello, {"name": "Ada"}) == {"greeting": "Hello, Ada!", "name": "Ada"}
    assert (await execute(hello, {}))["greeting"] == "Hello, world!"
    noop3 = load_workflow_file(EXAMPLES_DIR / "noop3.yaml")
    assert await execute(noop3, {"i": 5}) == {"i": 5}
