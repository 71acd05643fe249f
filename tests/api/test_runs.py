"""The runs API over a real socket against a live `openpal serve`."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import make_invoice_pdf

SUMMARY_KEYS = {
    "id",
    "type",
    "status",
    "triggerType",
    "createdAt",
    "durationMs",
    "error",
    "batchId",
    "previousExecutionId",
    "retryNumber",
    "schemaValid",
    "evalPassed",
    "triggeredBy",
    "version",
    "requestedSourceRef",
    "resolvedGitRef",
    "resolvedGitTag",
    "resolvedCommitSha",
    "sourceId",
    "sourceName",
    "agentSlug",
}
TERMINAL = {"completed", "failed", "cancelled", "rejected"}


def wait_terminal(api: httpx.Client, run_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
        if run["status"] in TERMINAL:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def assert_envelope(resp: httpx.Response, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["requestId"].startswith("req_")
    assert resp.headers["x-request-id"] == body["requestId"]
    assert body["issues"], body
    for issue in body["issues"]:
        assert set(issue) >= {"field", "message", "code", "severity"}
        assert issue["severity"] == "error"
    if field is not None:
        assert field in [i["field"] for i in body["issues"]], body
    return body


def test_start_then_get_summary(api):
    resp = api.post("/api/v1/run/workflows.hello", json={"name": "Ada"})
    assert resp.status_code == 201, resp.text
    start = resp.json()
    assert start["type"] == "workflow" and start["status"] == "pending"
    got = api.get(f"/api/v1/runs/{start['runId']}")  # read-your-writes
    assert got.status_code == 200
    run = got.json()["run"]
    assert set(run) >= SUMMARY_KEYS
    assert run["id"] == start["runId"] and run["triggerType"] == "api"
    final = wait_terminal(api, start["runId"])
    assert final["status"] == "completed"
    assert "Ada" in str(final["output"])


def test_hold_returns_output_of_a_quick_run(api):
    resp = api.post(
        "/api/v1/run/workflows.typed",
        params={"wait_for_completion": 30},
        json={"s": "x", "n": 2.5, "o": {"k": [1]}, "a": [1, "two"]},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "completed" and body["error"] is None
    assert body["output"]["s"] == "x" and body["output"]["n"] == 2.5  # native values
    assert body["output"]["i"] == 7 and body["output"]["b"] is False  # defaults
    assert body["output"]["o"] == {"k": [1]} and body["output"]["a"] == [1, "two"]
    assert body["output"]["text"] == "s=x i=7"


def test_hold_expires_with_202_and_current_status(api):
    t0 = time.monotonic()
    resp = api.post(
        "/api/v1/run/workflows.slow-count", params={"wait_for_completion": 1}, json={"seconds": 2}
    )
    elapsed = time.monotonic() - t0
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] in {"pending", "running"}
    assert 0.9 <= elapsed < 10
    api.post(f"/api/v1/runs/{resp.json()['runId']}/cancel")


def test_hold_is_capped_below_the_sdk_timeout(server):
    # 600 is accepted and clamped; a quick run still answers at once
    with server.client() as api:
        resp = api.post("/api/v1/run/workflows.hello", params={"wait_for_completion": 600}, json={})
        assert resp.status_code == 200 and resp.json()["status"] == "completed"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "input.s", "required"),
        ({"s": 5}, "input.s", "invalid_type"),
        ({"s": "x", "i": 1.5}, "input.i", "invalid_type"),
        ({"s": "x", "b": "yes"}, "input.b", "invalid_type"),
        ({"s": "x", "n": True}, "input.n", "invalid_type"),
        ({"s": "x", "zzz": 1}, "input.zzz", "unknown_field"),
    ],
)
def test_invalid_input_is_400_with_one_issue_per_field(api, body, field, code):
    body_json = assert_envelope(api.post("/api/v1/run/workflows.typed", json=body), 400, field)
    assert code in [i["code"] for i in body_json["issues"]]


def test_every_bad_field_is_reported(api):
    body = assert_envelope(api.post("/api/v1/run/workflows.typed", json={"i": "x", "q": 1}), 400)
    assert {i["field"] for i in body["issues"]} == {"input.s", "input.i", "input.q"}


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_body_is_400(api, content):
    resp = api.post(
        "/api/v1/run/workflows.hello", content=content, headers={"content-type": "application/json"}
    )
    assert_envelope(resp, 400, "<root>")


def test_unknown_targets(api):
    assert_envelope(api.post("/api/v1/run/workflows.nope", json={}), 404)
    assert_envelope(api.post("/api/v1/run/agents.some-agent", json={}), 404)
    assert_envelope(
        api.post("/api/v1/run/workflows.hello", params={"version": "9.9.9"}, json={}), 404
    )


def test_target_forms(api):
    wf = api.get("/api/v1/workflows/hello").json()
    by_id = api.post(
        f"/api/v1/run/workflows.{wf['id']}", json={}, params={"wait_for_completion": 20}
    )
    assert by_id.status_code == 200 and by_id.json()["status"] == "completed"
    dotted = api.post(
        "/api/v1/run/workflows.team.hello", json={}, params={"wait_for_completion": 20}
    )
    assert dotted.status_code == 200
    versioned = api.post(
        "/api/v1/run/workflows.hello",
        json={},
        params={"version": wf["version"], "wait_for_completion": 20},
    )
    assert versioned.status_code == 200


def test_detail_has_steps_and_is_not_summary_shaped(api):
    run_id = api.post("/api/v1/run/workflows.hello", json={"name": "Bo"}).json()["runId"]
    detail = wait_terminal(api, run_id)
    assert "sourceId" not in detail and "agentSlug" not in detail
    assert detail["source"]["slug"] == "hello"
    assert detail["input"] == {"name": "Bo"}
    steps = detail["stepExecutions"]
    assert steps and all(s["status"] == "completed" for s in steps)
    assert all(s["startedAt"] and s["completedAt"] for s in steps)


def test_failed_step_fails_the_run_and_later_steps_never_run(api):
    run_id = api.post("/api/v1/run/workflows.fails", json={"message": "bad data"}).json()["runId"]
    detail = wait_terminal(api, run_id)
    assert detail["status"] == "failed"
    assert "boom" in detail["error"] and "bad data" in detail["error"]
    by_name = {s["stepName"]: s for s in detail["stepExecutions"]}
    assert by_name["before"]["status"] == "completed"
    assert by_name["boom"]["status"] == "failed" and "ValueError" in by_name["boom"]["error"]
    assert by_name["after"]["status"] == "not_run" and by_name["after"]["outputData"] is None


def test_if_conditions_skip_steps(api):
    body = api.post(
        "/api/v1/run/workflows.branches", json={"amount": 5000}, params={"wait_for_completion": 20}
    ).json()
    assert body["output"] == {"large": {"flag": "large"}, "small": None}
    detail = wait_terminal(api, body["runId"])
    assert [s["status"] for s in detail["stepExecutions"]] == ["completed", "completed", "skipped"]


def test_step_retries_are_counted(api):
    body = api.post(
        "/api/v1/run/workflows.flaky",
        json={"key": f"k{time.time_ns()}"},
        params={"wait_for_completion": 20},
    ).json()
    assert body["status"] == "completed" and body["output"] == {"attempts": 3}
    detail = wait_terminal(api, body["runId"])
    assert detail["stepExecutions"][0]["attempts"] == 3


def test_retries_exhausted(api):
    body = api.post(
        "/api/v1/run/workflows.flaky",
        json={"key": f"k{time.time_ns()}", "failures": 5},
        params={"wait_for_completion": 20},
    ).json()
    assert body["status"] == "failed" and "attempt 3 failed" in body["error"]


def test_multipart_file_input_reaches_the_step(api, tmp_path):
    import hashlib

    pdf = make_invoice_pdf(tmp_path / "inv.pdf")
    data = pdf.read_bytes()
    resp = api.post(
        "/api/v1/run/workflows.file-info",
        params={"wait_for_completion": 20},
        data={"_json": '{"label": "mine"}'},
        files={"doc": ("inv.pdf", data, "application/pdf")},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()["output"]
    assert out["label"] == "mine" and out["name"] == "inv.pdf"
    assert out["info"] == {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "mime": "application/pdf",
    }
    detail = wait_terminal(api, resp.json()["runId"])
    assert detail["input"]["doc"]["fileId"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_file_input_sent_as_json_is_rejected(api):
    assert_envelope(
        api.post("/api/v1/run/workflows.file-info", json={"doc": "x.pdf"}), 400, "input.doc"
    )


def test_bad_multipart_json_part(api):
    resp = api.post(
        "/api/v1/run/workflows.file-info",
        data={"_json": "{oops"},
        files={"doc": ("a.txt", b"hi", "text/plain")},
    )
    assert_envelope(resp, 400, "_json")


def test_overrides_replace_step_outputs(api):
    body = api.post(
        "/api/v1/run/workflows.fails",
        json={"_overrides": {"steps": {"boom": {"skipped": "by override"}}}},
        params={"wait_for_completion": 20},
    ).json()
    assert body["status"] == "completed"
    detail = wait_terminal(api, body["runId"])
    assert detail["stepExecutions"][1]["outputData"] == {"skipped": "by override"}
    assert_envelope(
        api.post("/api/v1/run/workflows.fails", json={"_overrides": {"nope": 1}}),
        400,
        "_overrides.nope",
    )


def test_extract_invoice_example(api, tmp_path):
    pdf = make_invoice_pdf(
        tmp_path / "contract.pdf", number="INV-77", total="2,500.00", currency="USD"
    )
    resp = api.post(
        "/api/v1/run/workflows.extract-invoice",
        params={"wait_for_completion": 30},
        data={"_json": "{}"},
        files={"contract_document": ("contract.pdf", pdf.read_bytes(), "application/pdf")},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()["output"]
    assert out["invoice_number"] == "INV-77"
    assert out["total"] == 2500.0 and out["currency"] == "USD"


def test_rerun_makes_a_new_run_on_the_same_input(api):
    first = api.post(
        "/api/v1/run/workflows.hello", json={"name": "Cy"}, params={"wait_for_completion": 20}
    ).json()
    resp = api.post(f"/api/v1/runs/{first['runId']}/rerun", json={})
    assert resp.status_code == 201
    again = wait_terminal(api, resp.json()["runId"])
    assert again["runId" if "runId" in again else "id"] != first["runId"]
    assert again["input"] == {"name": "Cy"} and again["previousExecutionId"] == first["runId"]
    assert again["retryNumber"] == 1 and again["output"] == first["output"]
    assert_envelope(api.post("/api/v1/runs/exec_missing/rerun", json={}), 404)


def test_resume_of_a_run_that_is_not_waiting_is_409(api):
    run_id = api.post(
        "/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": 20}
    ).json()["runId"]
    body = assert_envelope(api.post(f"/api/v1/runs/{run_id}/resume"), 409)
    assert "is completed; only a run waiting for approval" in body["issues"][0]["message"]


def test_step_timeout_fails_the_step(api):
    quick = api.post(
        "/api/v1/run/workflows.step-timeout",
        json={"seconds": 0.01},
        params={"wait_for_completion": 20},
    ).json()
    assert quick["status"] == "completed"
    slow = api.post(
        "/api/v1/run/workflows.step-timeout",
        json={"seconds": 5},
        params={"wait_for_completion": 20},
    ).json()
    assert slow["status"] == "failed" and "timed out after 0.3 s" in slow["error"]


def test_run_deadline_fails_the_run(api):
    body = api.post(
        "/api/v1/run/workflows.deadline", json={}, params={"wait_for_completion": 20}
    ).json()
    assert body["status"] == "failed" and "deadline" in body["error"]
    steps = wait_terminal(api, body["runId"])["stepExecutions"]
    assert [s["status"] for s in steps] == ["completed", "failed", "not_run"]


def test_a_run_can_carry_its_own_deadline(api):
    """`?deadline_seconds=` overrides the workflow's `timeout_seconds`, both ways."""
    longer = api.post(
        "/api/v1/run/workflows.deadline",
        json={},
        params={"wait_for_completion": 20, "deadline_seconds": 10},
    ).json()
    assert longer["status"] == "completed", longer  # 0.8 s of naps fit in 10 s
    shorter = api.post(
        "/api/v1/run/workflows.slow-count",
        json={"seconds": 0.3},
        params={"wait_for_completion": 20, "deadline_seconds": 0.5},
    ).json()
    assert shorter["status"] == "failed"
    assert shorter["error"] == "run timed out: over its 0.5 s deadline"
    detail = api.get(f"/api/v1/runs/{shorter['runId']}", params={"include": "detail"}).json()
    assert detail["run"]["deadlineSeconds"] == 0.5


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "nan", "inf", "2592001"])
def test_bad_deadline_is_400(api, bad):
    resp = api.post("/api/v1/run/workflows.hello", json={}, params={"deadline_seconds": bad})
    assert_envelope(resp, 400, "query.deadline_seconds")


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1e999", "-1"])
def test_bad_hold_values_are_400(api, value):
    resp = api.post("/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": value})
    assert_envelope(resp, 400, "query.wait_for_completion")


@pytest.mark.parametrize("target", ["%2F..%2F", "workflows.", "workflows.%00", "..", "agents."])
def test_odd_targets_are_404(api, target):
    assert_envelope(api.post(f"/api/v1/run/{target}", json={}), 404)


def test_unsupported_content_type_is_400(api):
    resp = api.post(
        "/api/v1/run/workflows.hello", content=b"hi", headers={"content-type": "text/plain"}
    )
    assert_envelope(resp, 400, "<root>")


def test_a_workflow_written_in_python_runs_like_yaml(api):
    body = api.post(
        "/api/v1/run/workflows.py-flow", json={"total": 600}, params={"wait_for_completion": 20}
    ).json()
    assert body["status"] == "completed", body
    assert body["output"] == {"label": "NONE", "total": 600, "grade": "A"}
    steps = wait_terminal(api, body["runId"])["stepExecutions"]
    assert [(s["stepName"], s["status"], s["attempts"]) for s in steps] == [
        ("fetch", "completed", 2),  # retried once, as its Retry says
        ("grade", "completed", 1),
        ("summary", "completed", 1),
    ]
    small = api.post(
        "/api/v1/run/workflows.py-flow",
        json={"total": 5, "label": "x"},
        params={"wait_for_completion": 20},
    ).json()
    assert small["output"] == {"label": "X", "total": 5, "grade": None}  # grade skipped
    wf = api.get("/api/v1/workflows/py-flow").json()
    assert "function: py_flow:fetch" in wf["yamlContent"]


def test_output_schema_sets_schema_valid(api):
    def run(slug, count):
        return api.post(
            f"/api/v1/run/workflows.{slug}",
            params={"wait_for_completion": 20},
            json={"count": count},
        ).json()

    good = run("shaped", 3)
    assert good["status"] == "completed" and good["output"] == {"count": 3}
    summary = api.get(f"/api/v1/runs/{good['runId']}").json()["run"]
    assert summary["schemaValid"] is True
    loose = run("shaped", 2.5)  # a number, not an integer
    assert loose["status"] == "completed"
    assert api.get(f"/api/v1/runs/{loose['runId']}").json()["run"]["schemaValid"] is False
    strict = run("shaped-strict", 2.5)
    assert strict["status"] == "failed"
    assert strict["error"].startswith("output does not match the workflow's output_schema: count:")
    plain = api.post(
        "/api/v1/run/workflows.hello", params={"wait_for_completion": 20}, json={}
    ).json()
    assert api.get(f"/api/v1/runs/{plain['runId']}").json()["run"]["schemaValid"] is None


@pytest.mark.parametrize("last", [False, True])
def test_a_step_output_json_cannot_hold_fails_the_run_naming_the_step(api, last):
    """In the middle the step's checkpoint refuses it; as the last step, the write that
    ends the run does (the last checkpoint and the run's end are one write)."""
    body = api.post(
        "/api/v1/run/workflows.not-json",
        params={"wait_for_completion": 20},
        json={"last": last},
    ).json()
    step = "end" if last else "middle"
    assert body["status"] == "failed", body
    assert body["error"].startswith(f"step {step!r} returned an output that is not JSON"), body
    detail = wait_terminal(api, body["runId"])
    recorded = {s["stepName"]: s for s in detail["stepExecutions"]}
    assert recorded[step]["status"] == "failed" and "not JSON" in recorded[step]["error"]
