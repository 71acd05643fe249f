"""`ai.extract` over a live `openpal serve` (both backends): a refused extraction fails
or, with `on_refusal: review`, parks the run for a person (the /v1 human-review task
says what was not found; approving with values makes them the output, rejecting ends
the run); `provider: openai` against local model servers (a real fake endpoint on
127.0.0.1): the rules answer when the model is unreachable, a server that rejects
`json_schema` is asked with `json_object`, and the tokens are recorded with the run."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_runs import assert_envelope
from tests.conftest import Server, start_server
from tests.fake_chat import FakeChat, closed_port_url

SCHEMA = (
    "{type: object, required: [total], properties: {total: {type: number, x-labels: [total]},"
    " ref: {type: string, x-labels: [reference]}}}"
)
WORKFLOW = """\
name: NAME
inputs:
  - {name: text, type: string}
  - {name: base_url, type: string, default: "http://127.0.0.1:9/v1"}
  - {name: fallback, type: string, default: rules}
steps:
  - name: fields
    type: ai.extract
    with:
      text: "{{ input.text }}"
      schema: SCHEMA
      MORE
output: "{{ steps.fields.output }}"
"""
FLOWS = {
    "extract-review": "on_refusal: review",
    "extract-strict": "provider: rules",
    "extract-model": 'provider: openai\n      base_url: "{{ input.base_url }}"\n'
    '      fallback: "{{ input.fallback }}"\n      model: llama3.2',
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("extract-workflows")
    for name, more in FLOWS.items():
        text = WORKFLOW.replace("NAME", name).replace("SCHEMA", SCHEMA).replace("MORE", more)
        (folder / f"{name}.yaml").write_text(text)
    server = start_server(
        tmp_path_factory.mktemp("extract"),
        workflows=folder,
        database_url=module_db_url,
        env={"OPENPAL_OPENAI_RETRIES": "1", "OPENPAL_OPENAI_API_KEY": ""},
    )
    yield server
    server.stop()


@pytest.fixture
def api(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


def _run(api: httpx.Client, target: str, **inp: object) -> str:
    resp = api.post("/v1/runs", json={"target": f"workflows.{target}", "input": inp})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _until(api: httpx.Client, run_id: str, *statuses: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/v1/runs/{run_id}").json()
        if run["execution"]["status"] in statuses:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.03)


def _parked(api: httpx.Client, text: str = "Reference: R-7\nNo amount here") -> tuple[str, str]:
    run_id = _run(api, "extract-review", text=text)
    run = _until(api, run_id, "waiting", "failed", "completed")
    assert run["execution"]["status"] == "waiting", run
    return run_id, run["execution"]["humanReview"]["taskId"]


def test_without_the_setting_a_refusal_fails_the_run_naming_the_field(api):
    run = _until(api, _run(api, "extract-strict", text="Reference: R-7"), "failed", "completed")
    assert run["execution"]["status"] == "failed"
    assert "required field(s) not found: total" in run["error"]


def test_a_refusal_parks_the_run_and_approved_values_become_the_output(api):
    run_id, task_id = _parked(api)
    listed = api.get("/v1/human-reviews", params={"automationId": "extract-review"}).json()
    assert task_id in [t["id"] for t in listed["tasks"]]
    task = api.get(f"/v1/human-reviews/{task_id}").json()["task"]
    assert task["status"] == "pending" and task["sourceLabel"] == "fields"
    assert "required field(s) not found: total" in task["instructions"]
    waits = [e for e in api.get(f"/v1/runs/{run_id}/events").json()["events"]
             if e["type"] == "run.waiting"]  # fmt: skip
    assert "required field(s) not found: total" in waits[-1]["message"]
    url = f"/v1/human-reviews/{task_id}/approve"
    # values that do not fit the schema: a 400 naming the field, and the run still waits
    assert_envelope(api.post(url, json={"output": {"total": "12,50"}}), 400, "output.total")
    assert_envelope(api.post(url, json={"output": {"ref": "R-7"}}), 400, "output.total")
    assert_envelope(api.post(url, json={"output": {"total": 1, "x": 2}}), 400, "output.x")
    assert_envelope(api.post(url, json={}), 400, "output")
    seed = f"/api/v1/runs/{run_id}/resume"
    assert_envelope(api.post(seed, json={"total": True}), 400, "total")
    assert api.get(f"/v1/runs/{run_id}").json()["execution"]["status"] == "waiting"
    resp = api.post(url, json={"expectedVersion": 1, "output": {"total": 12.5, "ref": "R-7"}})
    assert resp.status_code == 200, resp.text
    run = _until(api, run_id, "completed", "failed", "rejected")
    assert run["execution"]["status"] == "completed", run
    assert run["output"] == {"total": 12.5, "ref": "R-7"}
    assert api.get(f"/v1/human-reviews/{task_id}").json()["task"]["status"] == "approved"


def test_a_rejected_review_ends_the_run_with_the_reason(api):
    run_id, task_id = _parked(api)
    resp = api.post(f"/v1/human-reviews/{task_id}/reject", json={"reason": "not an invoice"})
    assert resp.status_code == 200, resp.text
    run = api.get(f"/v1/runs/{run_id}").json()
    assert run["execution"]["status"] == "rejected"
    assert run["error"] == "rejected by reviewer: not an invoice"


def test_a_step_that_never_waited_is_no_review_task(api):
    run_id = _run(api, "extract-review", text="Total: 3.00")
    run = _until(api, run_id, "completed", "failed", "waiting")
    assert run["execution"]["status"] == "completed" and run["output"]["total"] == 3
    task_id = f"hrt_{run_id.removeprefix('exec_')}_0"
    assert_envelope(api.get(f"/v1/human-reviews/{task_id}"), 404)


@pytest.fixture
def fakes() -> Iterator:
    started: list[FakeChat] = []

    def start(**kw: object) -> FakeChat:
        fake = FakeChat(lambda body: json.dumps({"total": 41.5, "ref": "LLM-1"}), **kw)  # type: ignore[arg-type]
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def test_an_unreachable_model_is_answered_by_the_rules(api):
    text = "Reference: R-9\nTotal: 12.50"
    run = _until(api, _run(api, "extract-model", text=text, base_url=closed_port_url()),
                 "completed", "failed")  # fmt: skip
    assert run["execution"]["status"] == "completed", run
    out = run["output"]
    assert (out["total"], out["ref"], out["_provider"]) == (12.5, "R-9", "rules")
    assert "cannot connect" in out["_fallback_reason"]
    run = _until(api, _run(api, "extract-model", text=text, base_url=closed_port_url(),
                           fallback="none"), "completed", "failed")  # fmt: skip
    assert run["execution"]["status"] == "failed" and "cannot connect" in run["error"]


def test_llamacpp_style_json_schema_rejection_and_usage_recorded(api, fakes):
    fake = fakes(style="llamacpp")
    run_id = _run(api, "extract-model", text="Total: 1", base_url=fake.url)
    run = _until(api, run_id, "completed", "failed")
    assert run["execution"]["status"] == "completed", run
    assert run["output"] == {"total": 41.5, "ref": "LLM-1"}
    kinds = [r["body"]["response_format"]["type"] for r in fake.requests]
    assert kinds == ["json_schema", "json_object"] and fake.requests[0]["auth"] is None
    assert fake.requests[0]["body"]["model"] == "llama3.2"
    usage = api.get(f"/v1/runs/{run_id}/usage").json()["usage"]
    assert usage["llmCallCount"] == 1  # the answered call (the 400 used no tokens)
    assert usage["tokens"] == {"input": 120, "output": 30, "cacheRead": 0, "cacheWrite": 0}


def test_ollama_style_answer_without_usage_counts_the_call(api, fakes):
    fake = fakes(style="ollama")
    run_id = _run(api, "extract-model", text="Total: 1", base_url=fake.url)
    assert _until(api, run_id, "completed", "failed")["execution"]["status"] == "completed"
    usage = api.get(f"/v1/runs/{run_id}/usage").json()["usage"]
    assert usage["llmCallCount"] == 1 and usage["tokens"]["input"] == 0
