"""Every snippet of seed-executions.md, run with the official, unmodified `eigenpal==0.6.15`
SDK against a live `openpal serve` subprocess."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eigenpal import (
    EigenpalAuthError,
    EigenpalClient,
    EigenpalNotFoundError,
    EigenpalTimeoutError,
    EigenpalValidationError,
)

from tests.conftest import make_invoice_pdf, start_server

TERMINAL = {"completed", "failed", "cancelled", "rejected"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, module_db_url):
    # two worker slots: enough to keep a run pending behind two slow ones
    s = start_server(
        tmp_path_factory.mktemp("compat"), args=("--concurrency", "2"), database_url=module_db_url
    )
    yield s
    s.stop()


@pytest.fixture
def client(srv):
    with EigenpalClient(api_key=srv.api_key, base_url=srv.base_url) as c:
        yield c


@pytest.fixture
def contract_pdf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the seed says Path("contract.pdf")
    return make_invoice_pdf(
        tmp_path / "contract.pdf",
        number="INV-9001",
        total="4,200.00",
        currency="EUR",
        vendor="Globex Ltd",
    )


def _status(value) -> str:
    return getattr(value, "value", value)


def test_server_hold_returns_a_completed_runs_output(client, contract_pdf):
    input = {"contract_document": Path("contract.pdf")}
    result = client.run("workflows.extract-invoice", input, wait_for_completion=60)
    assert result.type_.value == "workflow"
    assert _status(result.status) == "completed"
    assert result.output["invoice_number"] == "INV-9001"
    assert result.output["total"] == 4200.0 and result.output["currency"] == "EUR"
    assert result.error is None


def test_server_hold_expiring_on_a_slow_workflow(client):
    t0 = time.monotonic()
    result = client.run("workflows.slow-count", {"seconds": 2}, wait_for_completion=1)
    assert time.monotonic() - t0 < 10
    assert _status(result.status) in {"pending", "running"}  # 202, no SDK crash
    client.runs.cancel(result.run_id)


def test_run_and_wait_with_a_path_file_input(client, contract_pdf):
    final = client.workflows.executions.run_and_wait(
        "extract-invoice",
        input={"contract_document": Path("contract.pdf")},
        poll_interval_seconds=2.0,  # default 2.0
        timeout_seconds=5 * 60.0,  # default 300.0
    )
    assert final["status"] == "completed"
    assert final["output"]["invoice_number"] == "INV-9001"
    assert final["output"]["vendor"] == "Globex Ltd"
    assert final["error"] is None and final["runId"].startswith("exec_")


def test_run_and_wait_with_json_input(client):
    final = client.workflows.executions.run_and_wait(
        "typed", input={"s": "hi", "a": [1, 2]}, poll_interval_seconds=0.2
    )
    assert final["status"] == "completed"
    assert final["output"]["s"] == "hi" and final["output"]["a"] == [1, 2]


def test_run_and_wait_times_out(client):
    with pytest.raises(EigenpalTimeoutError):
        client.workflows.executions.run_and_wait(
            "slow-count", input={"seconds": 3}, poll_interval_seconds=0.2, timeout_seconds=0.5
        )
    # the SDK does not cancel on timeout: stop the run so it frees its worker slot
    for run in client.runs.list(source="slow-count", status=["pending", "running"]).runs:
        client.runs.cancel(run.id)


def test_get_summary_and_detail(client):
    triggered = client.run("workflows.hello", {"name": "Seed"}, wait_for_completion=30)
    run = client.runs.get(triggered.run_id)  # RunEnvelope(run=...) → typed RunSummary
    assert run.id == triggered.run_id
    assert _status(run.status) == "completed"
    assert run.source_id.startswith("wf_") and run.error is None
    detail = client.runs.get(triggered.run_id, include="detail")
    assert detail["status"] == "completed"
    assert "Seed" in str(detail["output"])
    assert [s["status"] for s in detail["stepExecutions"]] == ["completed"] * len(
        detail["stepExecutions"]
    )


def test_polling_pattern(client):
    input = {"name": "poll"}
    triggered = client.run("workflows.hello", input=input)
    status = None
    while True:
        status = client.runs.get(triggered.run_id)
        if _status(status.status) in TERMINAL:
            break
        time.sleep(0.1)
    assert _status(status.status) == "completed" and status.error is None
    # The official 0.6.15 SDK parses the summary into a typed RunSummary that has no
    # `output` attribute (wire §2.1): the seed's final `status.output` cannot work with
    # it whatever the server sends. openpal's own SDK makes it work.
    with pytest.raises(AttributeError):
        _ = status.output


def test_list_with_the_seed_filters(client):
    failed = [client.run("workflows.fails", {}, wait_for_completion=30) for _ in range(2)]
    wf_id = client.workflows.get("fails").id
    executions = client.runs.list(
        type="workflow",
        source=wf_id,
        status=["failed", "cancelled"],  # str or list[str]
        from_date="now()-7d",  # ISO-8601 or relative expression
        to_date="now()",
        limit=50,
    )
    got = [r.id for r in executions.runs]
    assert got[:2] == [failed[1].run_id, failed[0].run_id]
    assert all(_status(r.status) in {"failed", "cancelled"} for r in executions.runs)
    empty = client.runs.list(
        type="workflow",
        source="wf_abc123",
        status=["failed", "cancelled"],
        from_date="now()-7d",
        to_date="now()",
        limit=50,
    )
    assert empty.runs == [] and empty.next_cursor is None
    by_slug = client.runs.list(source="fails", status="failed", limit=50)
    assert [r.id for r in by_slug.runs] == got


def test_list_offset_paging(client):
    for i in range(5):
        client.run("workflows.hello", {"name": f"p{i}"}, wait_for_completion=30)
    everything = [r.id for r in client.runs.list(source="hello", limit=100).runs]
    pages = []
    for offset in range(0, len(everything), 2):
        pages += [r.id for r in client.runs.list(source="hello", limit=2, offset=offset).runs]
    assert pages == everything and len(everything) >= 5


def test_cancel_pending_running_and_finished(client, srv):
    blockers = [client.run("workflows.slow-count", {"seconds": 2}) for _ in range(2)]
    deadline = time.monotonic() + 10
    while any(_status(client.runs.get(b.run_id).status) != "running" for b in blockers):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pending = client.run("workflows.hello", {})
    assert _status(client.runs.get(pending.run_id).status) == "pending"
    result = client.runs.cancel(pending.run_id)
    assert result["status"] == "cancelled"  # immediate
    running = blockers[0]
    result = client.runs.cancel(running.run_id)
    assert result["cancelRequestedAt"] is not None
    deadline = time.monotonic() + 10
    while _status(client.runs.get(running.run_id).status) not in TERMINAL:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    detail = client.runs.get(running.run_id, include="detail")
    assert detail["status"] == "cancelled"
    statuses = [s["status"] for s in detail["stepExecutions"]]
    assert statuses[-1] == "not_run" and "completed" not in statuses[1:]
    client.runs.cancel(blockers[1].run_id)
    finished = client.run("workflows.hello", {}, wait_for_completion=30)
    again = client.runs.cancel(finished.run_id)
    assert again["status"] == "completed"
    assert _status(client.runs.get(finished.run_id).status) == "completed"


def test_errors_map_to_the_sdk_exceptions(client, srv):
    with pytest.raises(EigenpalNotFoundError) as nf:
        client.runs.get("exec_unknown")
    assert nf.value.status == 404 and nf.value.request_id.startswith("req_")
    with pytest.raises(EigenpalNotFoundError):
        client.run("workflows.no-such-workflow", {})
    with pytest.raises(EigenpalValidationError) as bad:
        client.run("workflows.typed", {"s": 1})
    assert bad.value.issues[0]["field"] == "input.s"
    with pytest.raises(EigenpalValidationError):
        client.runs.list(status="bogus")
    with (
        EigenpalClient(api_key="opk_wrong", base_url=srv.base_url) as bad_client,
        pytest.raises(EigenpalAuthError),
    ):
        bad_client.runs.list()


def test_workflows_and_rerun(client):
    page = client.workflows.list(limit=100)
    assert "extract-invoice" in {w.name for w in page.data}
    detail = client.workflows.get("extract-invoice")
    assert detail.id.startswith("wf_") and "contract_document" in detail.yaml_content
    versions = client.workflows.versions(detail.id)
    assert versions.total >= 1 and versions.data[0].is_current
    first = client.run("workflows.hello", {"name": "again"}, wait_for_completion=30)
    rerun = client.runs.rerun(first.run_id)
    assert rerun.run_id and rerun.run_id != first.run_id


def test_context_manager_closes_cleanly(srv):
    with EigenpalClient(api_key=srv.api_key, base_url=srv.base_url) as client:
        client.runs.list(limit=1)
    with pytest.raises(RuntimeError):
        client.runs.list(limit=1)


def test_resume_approves_a_run_waiting_for_a_person(client):
    started = client.run("workflows.approval", {"amount": 75})
    deadline = time.monotonic() + 20
    while _status(client.runs.get(started.run_id).status) != "waiting":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answer = client.runs.resume(started.run_id)  # the official SDK sends no body
    assert answer["status"] == "pending" and answer["id"] == started.run_id
    deadline = time.monotonic() + 20
    while _status((run := client.runs.get(started.run_id)).status) not in TERMINAL:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _status(run.status) == "completed"


def test_run_and_wait_extracts_every_field_of_a_corpus_invoice(client, tmp_path, monkeypatch):
    from tests.corpus.invoices import corpus, make_invoice

    monkeypatch.chdir(tmp_path)
    inv = next(i for i in corpus(12, seed=5) if i.layout == "german")
    make_invoice(inv, tmp_path / "contract.pdf")
    final = client.workflows.executions.run_and_wait(
        "extract-invoice", input={"contract_document": Path("contract.pdf")}
    )
    assert final["status"] == "completed"  # the official SDK returns a plain dict here
    out = final["output"]
    assert (out["invoice_number"], out["invoice_date"], out["vendor"]) == (
        inv.invoice_number,
        inv.invoice_date,
        inv.vendor,
    )
    assert (out["total"], out["currency"]) == (pytest.approx(inv.total), inv.currency)
    assert [r["description"] for r in out["line_items"]] == [
        r["description"] for r in inv.line_items
    ]
