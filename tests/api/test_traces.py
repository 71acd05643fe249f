"""OpenTelemetry traces: a span per run execution and per step attempt, continuing the
trace of the `traceparent` the run was started with. In-process (`create_app` through
httpx's ASGI transport, the embedded worker in the same event loop) with an in-memory
exporter; the server's start-up configuration is tested on its own."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from openpal import tracing
from openpal.api.app import create_app
from openpal.cli.keys import ensure_first_key
from openpal.settings import Settings
from openpal.steps.base import StepContext
from openpal.steps.extract import ExtractStep
from tests.conftest import TEST_WORKFLOWS
from tests.fake_chat import FakeChat
from tests.pg import BACKENDS, create_database, db_url, drop_database, require_postgres

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
EXPORTED = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def provider():
    """One tracer provider for the process (OpenTelemetry allows setting it once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        sdk = TracerProvider()
        sdk.add_span_processor(SimpleSpanProcessor(EXPORTED))
        trace.set_tracer_provider(sdk)
    yield


@pytest.fixture(params=BACKENDS)
def settings(request, tmp_path):
    env = {"OPENPAL_DATA_DIR": str(tmp_path / "data"), "OPENPAL_WORKFLOWS_DIR": str(TEST_WORKFLOWS)}
    name = None
    if request.param == "postgres":
        require_postgres()
        name = asyncio.run(create_database())
        env["OPENPAL_DATABASE_URL"] = db_url(name)
    yield Settings.from_env(env)
    if name is not None:
        asyncio.run(drop_database(name))


async def _run(settings: Settings, key: str, target: str, body: dict, headers: dict) -> dict:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        auth = {"authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://openpal") as api:
            started = await api.post(f"/api/v1/run/{target}", json=body, headers=auth | headers)
            assert started.status_code == 201, started.text
            run_id = started.json()["runId"]
            for _ in range(400):
                got = await api.get(f"/api/v1/runs/{run_id}", headers=auth)
                run = got.json()["run"]
                ended = any(s.name.startswith("run ") and _run_id(s) == run_id for s in _spans())
                if run["status"] in ("completed", "failed") and ended:
                    return dict(run)
                await asyncio.sleep(0.025)
    raise AssertionError(f"run {run_id} did not end: {run}")


def _spans() -> list:
    return list(EXPORTED.get_finished_spans())


def _run_id(span) -> str | None:
    return (span.attributes or {}).get("openpal.run_id")


def _tree(run_id: str):
    spans = _spans()
    (root,) = [s for s in spans if _run_id(s) == run_id]
    steps = [s for s in spans if s.parent is not None and s.parent.span_id == root.context.span_id]
    return root, sorted(steps, key=lambda s: s.start_time)


def test_a_run_continues_the_callers_trace_with_a_span_per_step_attempt(settings):
    key = ensure_first_key(settings)
    assert key is not None
    parent = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
    body = {"key": uuid.uuid4().hex, "failures": 1}
    run = asyncio.run(_run(settings, key, "workflows.flaky", body, {"traceparent": parent}))
    assert run["status"] == "completed"
    root, steps = _tree(run["id"])
    assert root.name == "run flaky"
    assert format(root.context.trace_id, "032x") == TRACE_ID
    assert root.parent is not None and format(root.parent.span_id, "016x") == CALLER_SPAN
    assert [(s.name, s.attributes["openpal.attempt"]) for s in steps] == [
        ("step try", 1),
        ("step try", 2),
    ]
    assert [s.status.status_code for s in steps] == [StatusCode.ERROR, StatusCode.UNSET]
    assert "attempt 1 failed" in (steps[0].status.description or "")
    assert all(s.context.trace_id == root.context.trace_id for s in steps)


def test_without_a_traceparent_a_run_starts_its_own_trace(settings):
    key = ensure_first_key(settings)
    assert key is not None
    bogus = {"traceparent": "00-" + "0" * 32 + "-" + CALLER_SPAN + "-01"}  # invalid: ignored
    run = asyncio.run(_run(settings, key, "workflows.hello", {"name": "Li"}, bogus))
    root, steps = _tree(run["id"])
    assert root.parent is None and format(root.context.trace_id, "032x") != TRACE_ID
    assert [s.name for s in steps] == ["step greet", "step summary"]


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "billing"}, False),  # no exporter named: off
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, False),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_TRACES_EXPORTER": "zipkin-json"}, False),
    ],
)
def test_tracing_is_off_unless_configured(env, on):
    assert tracing.configure(env) is on


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (f"00-{TRACE_ID}-{CALLER_SPAN}-01", True),
        (f"00-{TRACE_ID}-{CALLER_SPAN}-01-extra", False),  # version 00 has no more fields
        (f"cc-{TRACE_ID}-{CALLER_SPAN}-01-extra", True),  # a later version may
        (f"ff-{TRACE_ID}-{CALLER_SPAN}-01", False),
        (f"00-{TRACE_ID.upper()}-{CALLER_SPAN}-01", False),
        (f"00-{TRACE_ID}-{'0' * 16}-01", False),
        ("", False),
        ("x" * 10_000, False),
    ],
)
def test_only_a_valid_traceparent_is_continued(header, kept):
    assert (tracing.valid_traceparent(header) is not None) is kept


def test_the_model_provider_passes_the_trace_on():
    """`ai.extract` with a model sends the step's `traceparent`, so the model server's
    spans join the run's trace."""
    fake = FakeChat(lambda body: '{"total": 5}', style="vllm")
    config = {
        "text": "Total 5",
        "schema": {"type": "object", "properties": {"total": {"type": "number"}}},
        "provider": "openai",
        "base_url": fake.url,
    }
    ctx = StepContext(run_id="exec_t", step_name="s", workflow="w")
    try:
        with trace.get_tracer("test").start_as_current_span("step s") as span:
            asyncio.run(ExtractStep().run(config, ctx))
    finally:
        fake.close()
    sent = fake.requests[0]["traceparent"]
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert sent is not None and sent.split("-")[1] == trace_id
