"""openpal's own SDK against a live server: sync and async, errors, paging, files."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

import openpal
from openpal import AsyncEigenpalClient, EigenpalClient
from openpal.client import (
    EigenpalAuthError,
    EigenpalConflictError,
    EigenpalError,
    EigenpalNotFoundError,
    EigenpalTimeoutError,
    EigenpalValidationError,
    Run,
)
from tests.conftest import make_invoice_pdf, start_server


@pytest.fixture
def client(server):
    with EigenpalClient(api_key=server.api_key, base_url=server.base_url) as c:
        yield c


def test_public_names():
    assert set(openpal.__all__) >= {"EigenpalClient", "AsyncEigenpalClient", "__version__"}
    for name in openpal.__all__:
        assert getattr(openpal, name) is not None


def test_config_from_the_environment(server, monkeypatch):
    monkeypatch.delenv("EIGENPAL_API_KEY", raising=False)
    monkeypatch.delenv("OPENPAL_API_KEY", raising=False)
    with pytest.raises(ValueError, match="no API key"):
        EigenpalClient()
    monkeypatch.setenv("OPENPAL_API_KEY", server.api_key)
    monkeypatch.setenv("OPENPAL_BASE_URL", server.base_url)
    with EigenpalClient() as c:
        assert c.runs.list(limit=1) is not None
    monkeypatch.setenv("EIGENPAL_API_KEY", "opk_wrong")  # EIGENPAL_* wins over OPENPAL_*
    with EigenpalClient() as c, pytest.raises(EigenpalAuthError) as info:
        c.runs.list(limit=1)
    assert info.value.status == 401 and info.value.request_id.startswith("req_")


def test_seed_polling_loop_reads_fields_off_runs_get(client):
    triggered = client.run("workflows.hello", input={"name": "Loop"})
    while True:
        status = client.runs.get(triggered.run_id)
        if status.status in {"completed", "failed", "cancelled", "rejected"}:
            break
        time.sleep(0.05)
    assert status.status == "completed" and status.error is None
    assert status.output == {"greeting": "Hello, Loop!", "name": "Loop"}
    assert status.result == status.output and status.run.id == triggered.run_id


def test_run_and_wait_returns_a_typed_run_with_steps(client, tmp_path):
    pdf = make_invoice_pdf(tmp_path / "c.pdf", number="INV-5")
    final = client.workflows.executions.run_and_wait(
        "extract-invoice", input={"contract_document": pdf}
    )
    assert isinstance(final, Run) and final.status == "completed"
    assert final["status"] == "completed" and final["runId"] == final.id
    assert final.output["invoice_number"] == "INV-5"
    assert [s.step_name for s in final.steps] == ["parse", "fields"]
    assert all(s.status == "completed" and s.attempts == 1 for s in final.steps)


@pytest.mark.parametrize("how", ["path", "handle", "dict"])
def test_file_inputs(client, tmp_path, how):
    path = tmp_path / "doc.bin"
    path.write_bytes(b"\x00\x01payload" * 100)
    if how == "path":
        doc = path
    elif how == "handle":
        doc = path.open("rb")
    else:
        doc = {"content": path.read_bytes(), "filename": "doc.bin", "mime_type": "x/custom"}
    try:
        run = client.run("workflows.file-info", {"doc": doc, "label": how}, wait_for_completion=30)
    finally:
        if how == "handle":
            doc.close()
    assert run.status == "completed"
    assert run.output["info"]["size"] == 900 and run.output["label"] == how
    assert run.output["info"]["mime"] == (
        "x/custom" if how == "dict" else "application/octet-stream"
    )


def test_run_and_wait_timeout(client):
    with pytest.raises(EigenpalTimeoutError) as info:
        client.workflows.executions.run_and_wait(
            "slow-count", {"seconds": 2}, poll_interval_seconds=0.1, timeout_seconds=1
        )
    assert info.value.status == 0
    for run in client.runs.iter(source="slow-count", status=["pending", "running"]):
        client.runs.cancel(run.id)


def test_errors_from_real_responses(client):
    with pytest.raises(EigenpalNotFoundError) as nf:
        client.runs.get("exec_nope")
    assert nf.value.status == 404 and nf.value.envelope["issues"][0]["code"] == "not_found"
    with pytest.raises(EigenpalValidationError) as bad:
        client.run("workflows.typed", {"s": 1, "zz": 2})
    assert {i["field"] for i in bad.value.issues} == {"input.s", "input.zz"}
    done = client.run("workflows.hello", {}, wait_for_completion=30)
    with pytest.raises(EigenpalConflictError):
        client.runs.resume(done.run_id)
    with pytest.raises(EigenpalError, match="bad target"):
        client.run("workflows.hello@", {})


def test_iter_pages_through_everything(client):
    ids = {client.run("workflows.hello", {"name": f"it{i}"}).run_id for i in range(5)}
    seen = [r.id for r in client.runs.iter(source="hello", limit=2)]
    assert ids <= set(seen) and len(seen) == len(set(seen))


def test_workflows_rerun_and_cancel(client):
    wf = client.workflows.get("hello")
    assert wf.slug == "hello" and "name: hello" in wf.yaml_content
    assert "hello" in {w.slug for w in client.workflows.list(limit=100).data}
    versions = client.workflows.versions(wf.id)
    assert versions.total >= 1 and versions.data[0].is_current
    first = client.run("workflows.hello", {"name": "R"}, wait_for_completion=30)
    again = client.runs.rerun(first.run_id)
    assert again.id != first.id
    slow = client.run("workflows.slow-count", {"seconds": 3})
    assert client.runs.cancel(slow.run_id)["id"] == slow.run_id


def test_use_after_close_is_a_clear_error(server):
    c = EigenpalClient(api_key=server.api_key, base_url=server.base_url)
    c.close()
    with pytest.raises(EigenpalError, match="closed"):
        c.runs.list()


@pytest.fixture(params=["own", "httpx"])
def transport(request) -> httpx.AsyncBaseTransport | None:
    """The async client's own HTTP/1.1 transport (None: the default) or httpx's."""
    return httpx.AsyncHTTPTransport() if request.param == "httpx" else None


def test_async_client(server, tmp_path, transport):
    """With its own HTTP/1.1 transport (the default) and with httpx's."""
    pdf = make_invoice_pdf(tmp_path / "a.pdf", number="INV-ASYNC")

    async def main() -> None:
        async with AsyncEigenpalClient(
            api_key=server.api_key, base_url=server.base_url, transport=transport
        ) as c:
            runs = await asyncio.gather(
                *[
                    c.run("workflows.hello", {"name": f"a{i}"}, wait_for_completion=30)
                    for i in range(5)
                ]
            )
            assert [r.status for r in runs] == ["completed"] * 5
            final = await c.workflows.executions.run_and_wait(
                "extract-invoice", {"contract_document": Path(pdf)}, poll_interval_seconds=0.1
            )
            assert final.output["invoice_number"] == "INV-ASYNC"
            got = await c.runs.get(final.id)
            assert got.status == "completed" and got.output == final.output
            seen = [r.id async for r in c.runs.iter(source="hello", limit=2)]
            assert {r.id for r in runs} <= set(seen)
            with pytest.raises(EigenpalNotFoundError):
                await c.runs.get("exec_nope")

    asyncio.run(main())


def test_a_run_with_its_own_deadline(client):
    run = client.run(
        "workflows.slow-count",
        {"seconds": 0.3},
        wait_for_completion=20,
        deadline_seconds=0.5,
    )
    assert run.status == "failed" and run.error == "run timed out: over its 0.5 s deadline"


async def test_async_run_with_its_own_deadline(server):
    async with AsyncEigenpalClient(api_key=server.api_key, base_url=server.base_url) as client:
        run = await client.run(
            "workflows.deadline", {}, wait_for_completion=20, deadline_seconds=10
        )
    assert run.status == "completed"


def _until_waiting(client, run_id):
    deadline = time.monotonic() + 20
    while client.runs.get(run_id).status != "waiting":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_approve_with_output_and_reject_with_reason(client):
    approved = client.run("workflows.approval", {"amount": 10})
    _until_waiting(client, approved.run_id)
    assert client.runs.resume(approved.run_id, {"by": "sdk"})["status"] == "pending"
    deadline = time.monotonic() + 20
    while (run := client.runs.get(approved.run_id)).status != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert run.output == {"approved_by": "sdk", "amount": 10}
    refused = client.run("workflows.approval", {"amount": 10})
    _until_waiting(client, refused.run_id)
    answer = client.runs.reject(refused.run_id, "no budget")
    assert answer["status"] == "rejected"
    assert client.runs.get(refused.run_id).error == "rejected by reviewer: no budget"


def test_async_upload_far_over_the_limit_is_a_clear_error(tmp_path, transport):
    """10 MB against a 1 MB limit: the server answers 413 before the body is sent;
    the SDK raises with the server's message rather than a broken-pipe error."""
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 10_000_000)
    srv = start_server(tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": "1000000"})

    async def main() -> None:
        async with AsyncEigenpalClient(
            api_key=srv.api_key, base_url=srv.base_url, transport=transport
        ) as c:
            with pytest.raises(EigenpalError, match="larger than the 1000000-byte limit") as err:
                await c.run("workflows.file-info", {"doc": big})
            assert err.value.status == 413
            small = await c.run("workflows.hello", {"name": "after"}, wait_for_completion=20)
            assert small.status == "completed"

    try:
        asyncio.run(main())
    finally:
        srv.stop()
