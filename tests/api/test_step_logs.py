"""What a step logged (`ctx.logger`) or printed, and the traceback of every failed
attempt, are kept with the run: in the seed detail, the current generation's step and
events, bounded per attempt, with secrets masked; on both stores."""

from __future__ import annotations

import json
import uuid

from tests.api.test_runs import wait_terminal


def _start(api, workflow: str, body: dict) -> dict:
    resp = api.post(f"/api/v1/run/workflows.{workflow}", json=body)
    assert resp.status_code == 201, resp.text
    return wait_terminal(api, resp.json()["runId"])


def test_every_attempt_keeps_its_lines_and_traceback(api):
    note = f"invoice {uuid.uuid4().hex[:6]}"
    run = _start(api, "chatty", {"note": note})
    assert run["status"] == "failed"
    (step,) = run["stepExecutions"]
    assert "Traceback (most recent call last)" in step["traceback"]
    assert f"ValueError: {note} does not add up" in step["traceback"]
    assert [(ln["stream"], ln["level"], ln["text"]) for ln in step["logs"]] == [
        ("log", "INFO", f"checking {note} (attempt 2)")
    ]
    steps = api.get(f"/v1/runs/{run['id']}/steps").json()["steps"]
    full = api.get(f"/v1/runs/{run['id']}/steps/{steps[0]['id']}").json()
    (retry,) = full["retries"]
    assert [ln["text"] for ln in retry["logs"]] == [f"checking {note} (attempt 1)"]
    assert "does not add up" in retry["traceback"]
    assert [ln["text"] for ln in full["logs"]] == [f"checking {note} (attempt 2)"]
    events = api.get(f"/v1/runs/{run['id']}/events").json()["events"]
    said = [(e["message"], e["metadata"]["attempt"]) for e in events if e["type"] == "step.log"]
    assert said == [(f"checking {note} (attempt 1)", 1), (f"checking {note} (attempt 2)", 2)]
    retried = next(e for e in events if e["type"] == "step.retry")
    assert "logs" not in retried["metadata"]  # the lines are events of their own


def test_printed_lines_are_kept_in_order_with_secrets_masked(api):
    token = "tok-" + uuid.uuid4().hex
    run = _start(api, "talkative", {"token": token})
    assert run["status"] == "completed", run["error"]
    lines = run["stepExecutions"][0]["logs"]
    assert [(ln["stream"], ln["text"]) for ln in lines] == [
        ("stdout", "using token [secret]"),
        ("stdout", "partial line ends here"),
        ("log", "calling with Authorization: [secret]"),
        ("log", "the server key is opk_…[secret]"),
        ("stderr", "done"),
    ]
    events = api.get(f"/v1/runs/{run['id']}/events").json()["events"]
    assert token not in json.dumps([lines, events])


def test_a_chatty_step_keeps_only_its_last_64_kib(api):
    run = _start(api, "talkative", {"token": "tok-" + uuid.uuid4().hex, "lines": 3000})
    assert run["status"] == "completed", run["error"]
    lines = run["stepExecutions"][0]["logs"]
    kept = sum(len(ln["text"]) for ln in lines[1:])
    assert kept <= 64 * 1024
    assert lines[0]["text"].startswith("[") and "earlier line(s) not kept" in lines[0]["text"]
    assert lines[-1]["text"] == "done" and "filler line 002999" in lines[-2]["text"]
