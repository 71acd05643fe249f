"""`/v1/runs/{id}/…` over HTTP on both backends: steps (stable ids, one in full with its
traceback), events (order, retries, waits, decisions, cancels), usage, trace, scores,
artifacts (list, download, zip) and the 404s; every body parsed by the official 0.20.93
SDK's generated models (skipped when its interpreter is absent)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from openpal.service.review_ids import step_execution_id
from tests.api.test_runs import assert_envelope, wait_terminal

CURRENT_PYTHON = Path(
    os.environ.get("OPENPAL_TEST_EIGENPAL_CURRENT")
    or Path(__file__).resolve().parents[2] / ".venv-eigenpal-current" / "bin" / "python"
)
# Parses each (model, body) with eigenpal._generated.models, members of unions included
# (a union field falls back to the raw dict when its model does not parse).
_PARSE = """
import json, sys
from eigenpal._generated import models as M
for model, body in json.load(sys.stdin):
    getattr(M, model).from_dict(body)
    if model == "RunUsageResponse":
        M.RunUsage.from_dict(body["usage"]); M.RunUsageTokens.from_dict(body["usage"]["tokens"])
    for item in body.get("events", []) if model == "RunEventsResponse" else []:
        M.RunEvent.from_dict(item)
    for item in body.get("artifacts", []) if model == "RunArtifactsResponse" else []:
        M.RunArtifact.from_dict(item)
print("ok")
"""


def assert_models(*pairs: tuple[str, Any]) -> None:
    """Each body parses with the official SDK's model of that name."""
    if not CURRENT_PYTHON.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must check shapes with the current SDK: no {CURRENT_PYTHON}")
        return  # the HTTP checks still ran; only the model parse is skipped
    done = subprocess.run(
        [str(CURRENT_PYTHON), "-c", _PARSE],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr[-3000:]


def _run(api: httpx.Client, slug: str, hold: float | None = 30, **inp: Any) -> str:
    params = {"wait_for_completion": hold} if hold is not None else {}
    resp = api.post(f"/api/v1/run/workflows.{slug}", params=params, json=inp)
    assert resp.status_code in (200, 201, 202), resp.text
    return str(resp.json()["runId"])


def _get(api: httpx.Client, path: str) -> Any:
    resp = api.get(path)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    return resp.json()


def _events(api: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    events = _get(api, f"/v1/runs/{run_id}/events")["events"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), events
    return list(events)


def _wait_status(api: httpx.Client, run_id: str, status: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while api.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] != status:
        assert time.monotonic() < deadline, f"run {run_id} never became {status}"
        time.sleep(0.03)


def test_a_completed_runs_steps_events_usage_trace_and_scores(api):
    run_id = _run(api, "hello", name="Parts")
    steps = _get(api, f"/v1/runs/{run_id}/steps")
    assert steps["total"] == 2
    ids = [step_execution_id(run_id, 0), step_execution_id(run_id, 1)]
    assert [s["id"] for s in steps["steps"]] == ids
    assert [(s["name"], s["type"], s["status"]) for s in steps["steps"]] == [
        ("greet", "transform.template", "completed"),
        ("summary", "transform.set", "completed"),
    ]
    assert "output" not in steps["steps"][0]  # slim rows: payloads only one step at a time
    assert _get(api, f"/v1/runs/{run_id}/steps")["steps"] == steps["steps"]  # stable ids

    greet = _get(api, f"/v1/runs/{run_id}/steps/{ids[0]}")
    assert greet["id"] == ids[0] and greet["runId"] == run_id and greet["status"] == "completed"
    assert greet["input"] == {"template": "Hello, Parts!"}
    assert greet["config"] == {"template": "Hello, {{ input.name }}!"}
    assert "rendered again" in greet["inputSource"]
    assert greet["output"] == {"text": "Hello, Parts!"}
    assert greet["traceback"] is None and greet["retries"] == [] and greet["attempts"] == 1
    summary = _get(api, f"/v1/runs/{run_id}/steps/{ids[1]}")
    assert summary["input"] == {"greeting": "Hello, Parts!", "length": 13}

    events = _events(api, run_id)
    assert [(e["type"], e["metadata"].get("stepName")) for e in events] == [
        ("run.created", None),
        ("run.started", None),
        ("step.started", "greet"),
        ("step.completed", "greet"),
        ("step.started", "summary"),
        ("step.completed", "summary"),
        ("run.completed", None),
    ]
    assert events[2]["metadata"]["stepExecutionId"] == ids[0]
    assert events[-1]["status"] == "completed"

    usage = _get(api, f"/v1/runs/{run_id}/usage")
    assert usage["usage"]["tokens"] == {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}
    assert usage["usage"]["creditsCharged"] == 0 and usage["usage"]["llmCallCount"] == 0
    run = _get(api, f"/api/v1/runs/{run_id}")["run"]
    assert usage["usage"]["durationMs"] == run["durationMs"]
    assert [s["id"] for s in usage["usage"]["steps"]] == ids

    trace = _get(api, f"/v1/runs/{run_id}/trace")
    kinds = [(t["type"], t.get("phase"), t.get("stepName")) for t in trace["events"]]
    assert kinds[0] == ("phase", "queued", None)
    assert ("step", "step", "greet") in kinds and ("step", "step", "summary") in kinds
    assert ("phase", "run", None) in kinds
    scores = _get(api, f"/v1/runs/{run_id}/scores")
    assert scores == {"scores": []}
    assert_models(
        ("RunStepsResponse", steps),
        ("RunEventsResponse", {"events": events}),
        ("RunUsageResponse", usage),
        ("RunTraceResponse", trace),
        ("RunScoresResponse", scores),
    )


def test_a_failed_steps_traceback_is_reachable(api):
    run_id = _run(api, "fails", message="kaput " + uuid.uuid4().hex[:6])
    before, boom, after = _get(api, f"/v1/runs/{run_id}/steps")["steps"]
    assert (before["status"], boom["status"], after["status"]) == ("completed", "failed", "not_run")
    full = _get(api, f"/v1/runs/{run_id}/steps/{boom['id']}")
    assert full["error"].startswith("ValueError: kaput ")
    trace = full["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "wf_steps.py" in trace and "raise ValueError(message)" in trace
    assert trace.rstrip().endswith(full["error"])
    assert full["input"] == {"function": "wf_steps:boom", "args": {"message": full["error"][12:]}}
    never = _get(api, f"/v1/runs/{run_id}/steps/{after['id']}")
    assert never["input"] is None and "has not run" in never["inputSource"]
    assert never["traceback"] is None and never["output"] is None

    events = _events(api, run_id)
    failed = next(e for e in events if e["type"] == "step.failed")
    assert failed["metadata"]["stepName"] == "boom" and failed["message"] == full["error"]
    assert failed["metadata"]["traceback"] == trace
    assert events[-1]["type"] == "run.failed" and full["error"] in events[-1]["message"]
    assert "step.started" not in [
        e["type"] for e in events if e["metadata"].get("stepName") == "after"
    ]
    assert_models(("RunEventsResponse", {"events": events}))


def test_a_file_input_renders_as_its_reference(api):
    data = b"%PDF-1.4 not much of a pdf"
    resp = api.post(
        "/api/v1/run/workflows.file-info",
        params={"wait_for_completion": 20},
        files={"doc": ("tiny.pdf", data, "application/pdf")},
    )
    assert resp.status_code == 200, resp.text
    run_id = resp.json()["runId"]
    step = _get(api, f"/v1/runs/{run_id}/steps/{step_execution_id(run_id, 0)}")
    doc = step["input"]["args"]["doc"]
    assert doc == {
        "fileId": "sha256:" + hashlib.sha256(data).hexdigest(),
        "name": "tiny.pdf",
        "mimeType": "application/pdf",
        "size": len(data),
    }
    assert step["config"] == {"function": "wf_steps:file_info", "args": {"doc": "{{ input.doc }}"}}


def test_retried_attempts_are_events_with_their_tracebacks(api):
    ok = _run(api, "flaky", key=uuid.uuid4().hex, failures=2)
    retries = [e for e in _events(api, ok) if e["type"] == "step.retry"]
    assert [e["metadata"]["attempt"] for e in retries] == [1, 2]
    for n, event in enumerate(retries, 1):
        assert event["message"] == f"attempt {n} failed: RuntimeError: attempt {n} failed"
        assert event["status"] == "retrying" and event["metadata"]["stepName"] == "try"
        assert event["metadata"]["traceback"].rstrip().endswith(f"RuntimeError: attempt {n} failed")
        assert event["metadata"]["delaySeconds"] == pytest.approx(0.01 * 2 ** (n - 1))
    step = _get(api, f"/v1/runs/{ok}/steps/{step_execution_id(ok, 0)}")
    assert step["status"] == "completed" and step["attempts"] == 3 and step["traceback"] is None
    assert [r["attempt"] for r in step["retries"]] == [1, 2]
    assert step["retries"][0]["traceback"] == retries[0]["metadata"]["traceback"]

    bad = _run(api, "flaky", key=uuid.uuid4().hex, failures=9)
    step = _get(api, f"/v1/runs/{bad}/steps/{step_execution_id(bad, 0)}")
    assert step["status"] == "failed" and step["attempts"] == 3
    assert [r["attempt"] for r in step["retries"]] == [1, 2]  # the third is the step's own
    assert step["traceback"].rstrip().endswith("RuntimeError: attempt 3 failed")


def test_a_timer_wait_and_its_resumption(api):
    run_id = _run(api, "wait", hold=None, seconds=0.3)
    assert wait_terminal(api, run_id)["status"] == "completed"
    events = _events(api, run_id)
    kinds = [e["type"] for e in events]
    waited = kinds.index("run.waiting")
    assert kinds[waited : waited + 3] == ["run.waiting", "run.resumed", "step.started"]
    wait = events[waited]
    assert wait["status"] == "waiting" and wait["metadata"]["stepName"] == "pause"
    assert wait["metadata"]["waitingFor"] == "timer" and wait["metadata"]["until"].endswith("Z")
    assert events[waited + 1]["message"] == "resumed: timer fired"
    trace = _get(api, f"/v1/runs/{run_id}/trace")["events"]
    [phase] = [t for t in trace if t.get("phase") == "waiting"]
    assert phase["stepName"] == "pause" and phase["completedAt"] is not None


def test_approvals_record_the_wait_and_the_decision(api):
    approved = _run(api, "approval", hold=None, amount=10)
    _wait_status(api, approved, "waiting")
    steps = _get(api, f"/v1/runs/{approved}/steps")["steps"]
    assert [s["status"] for s in steps] == ["waiting", "pending"]
    assert _events(api, approved)[-1]["type"] == "run.waiting"
    assert api.post(f"/api/v1/runs/{approved}/resume", json={"by": "ann"}).status_code == 200
    assert wait_terminal(api, approved)["status"] == "completed"
    kinds = [(e["type"], e["status"]) for e in _events(api, approved)]
    assert kinds[2:5] == [
        ("run.waiting", "waiting"), ("run.decision", "pending"), ("run.resumed", "running"),
    ]  # fmt: skip
    review = _get(api, f"/v1/runs/{approved}/steps/{step_execution_id(approved, 0)}")
    assert review["output"] == {"by": "ann"} and review["status"] == "completed"

    rejected = _run(api, "approval", hold=None, amount=10**6)
    _wait_status(api, rejected, "waiting")
    resp = api.post(f"/api/v1/runs/{rejected}/reject", json={"reason": "too much"})
    assert resp.status_code == 200
    events = _events(api, rejected)
    assert [e["type"] for e in events][-2:] == ["run.decision", "run.rejected"]
    assert events[-2]["message"] == "rejected: too much"
    assert events[-2]["metadata"]["reason"] == "too much"
    assert "run.resumed" not in [e["type"] for e in events]


def test_a_cancel_request_is_an_event(api):
    run_id = _run(api, "slow-count", hold=None, seconds=5)
    _wait_status(api, run_id, "running")
    assert api.post(f"/api/v1/runs/{run_id}/cancel").status_code == 200
    assert wait_terminal(api, run_id)["status"] == "cancelled"
    kinds = [e["type"] for e in _events(api, run_id)]
    assert kinds.index("run.cancel_requested") < kinds.index("run.cancelled") == len(kinds) - 1
    assert "step.cancelled" in kinds


def test_usage_sums_the_tokens_steps_reported(api):
    run_id = _run(api, "metered", prompt=100, completion=20, fail_first=True)
    usage = _get(api, f"/v1/runs/{run_id}/usage")
    tokens = usage["usage"]["tokens"]
    # attempt 1: one call (100/20, 1 cached) then failed; attempt 2: two calls
    assert tokens == {"input": 300, "output": 60, "cacheRead": 2, "cacheWrite": 0}
    assert usage["usage"]["llmCallCount"] == 3
    [step] = usage["usage"]["steps"]
    assert step["tokens"] == tokens and step["llmCallCount"] == 3
    [retry] = [e for e in _events(api, run_id) if e["type"] == "step.retry"]
    assert retry["metadata"]["usage"]["input"] == 100
    full = _get(api, f"/v1/runs/{run_id}/steps/{step_execution_id(run_id, 0)}")
    assert full["usage"]["input"] == 200 and full["usage"]["llmCallCount"] == 2
    assert_models(("RunUsageResponse", usage))


@pytest.fixture
def report_run(api):
    return _run(api, "artifacts", title="V1")


def test_artifacts_list_download_and_zip(api, report_run):
    listed = _get(api, f"/v1/runs/{report_run}/artifacts")
    by_path = {a["path"]: a for a in listed["artifacts"]}
    assert sorted(by_path) == ["data/raw.bin", "report.txt", "table.csv"]
    assert by_path["report.txt"] == {
        "name": "report.txt", "role": "output", "path": "report.txt", "stepName": "write",
        "contentType": "text/plain", "size": 11,
    }  # fmt: skip
    text = api.get(f"/v1/runs/{report_run}/artifacts/report.txt")
    assert text.content == b"Report: V1\n"
    assert text.headers["content-type"].startswith("text/plain")  # its real type
    assert 'filename="report.txt"' in text.headers["content-disposition"]
    raw = api.get(f"/v1/runs/{report_run}/artifacts/data%2Fraw.bin")  # the generated client
    assert raw.content == bytes(range(256)) * 4
    assert api.get(f"/v1/runs/{report_run}/artifacts/data/raw.bin").content == raw.content
    bundle = api.get(f"/v1/runs/{report_run}/artifacts", params={"zip": "1"})
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    assert sorted(archive.namelist()) == sorted(by_path)
    assert archive.read("table.csv") == b"a,b\n1,2\n"
    assert_envelope(
        api.get(f"/v1/runs/{report_run}/artifacts", params={"zip": "2"}), 400, "query.zip"
    )
    for bad in ("bundle", "token"):
        resp = api.get(f"/v1/runs/{report_run}/artifacts", params={bad: "x"})
        assert_envelope(resp, 400, f"query.{bad}")
    assert_envelope(api.get(f"/v1/runs/{report_run}/artifacts/nope.txt"), 404)
    assert_envelope(api.get(f"/v1/runs/{report_run}/artifacts/a%2F..%2Fb"), 400, "path")
    assert_models(("RunArtifactsResponse", listed))


def test_unknown_runs_and_steps_are_404(api, report_run):
    for part in ("steps", "events", "artifacts", "usage", "trace", "scores", "artifacts/x.txt"):
        assert_envelope(api.get(f"/v1/runs/exec_nope/{part}"), 404)
    other = _run(api, "hello")
    for step_id in (
        "nope",
        "stx_",
        step_execution_id(report_run, 0),  # a step of another run
        step_execution_id(other, 2),  # past the last step
        step_execution_id(other, 0) + "0" * 7,
    ):
        body = assert_envelope(api.get(f"/v1/runs/{other}/steps/{step_id}"), 404)
    assert_models(("ApiErrorEnvelope", body))


def test_another_tenants_run_is_404(server, api, report_run):
    made = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", f"t-{uuid.uuid4().hex[:6]}",
         "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, env=server.env(), check=True,
    )  # fmt: skip
    key = made.stdout.strip()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}) as c:
        for part in (
            "steps",
            "events",
            "artifacts",
            "usage",
            "trace",
            "scores",
            "artifacts/report.txt",
            f"steps/{step_execution_id(report_run, 0)}",
        ):
            assert_envelope(c.get(f"/v1/runs/{report_run}/{part}"), 404)  # fmt: skip
        zipped = c.get(f"/v1/runs/{report_run}/artifacts", params={"zip": "1"})
        assert_envelope(zipped, 404)
