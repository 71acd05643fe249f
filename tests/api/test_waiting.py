"""`waiting`: durable timers (`control.wait`) and people (`control.approval`), both backends."""

from __future__ import annotations

import time

from tests.api.test_runs import assert_envelope, wait_terminal
from tests.conftest import start_server


def wait_status(api, run_id, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
        if run["status"] == wanted:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.03)


def _start(api, slug, **inp):
    resp = api.post(f"/api/v1/run/workflows.{slug}", json=inp)
    assert resp.status_code == 201, resp.text
    return resp.json()["runId"]


def test_approval_approved_continues_with_the_approvers_body(api):
    run_id = _start(api, "approval", amount=120)
    waiting = wait_status(api, run_id, "waiting")
    assert waiting["waitingFor"] == "approval" and waiting["waitUntil"] is not None
    assert [s["status"] for s in waiting["stepExecutions"]] == ["waiting", "pending"]
    resp = api.post(f"/api/v1/runs/{run_id}/resume", json={"by": "ann", "note": "fine"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"id": run_id, "runId": run_id, "status": "pending"}
    final = wait_terminal(api, run_id)
    assert final["status"] == "completed"
    assert final["output"] == {"approved_by": "ann", "amount": 120}
    assert final["stepExecutions"][0]["outputData"] == {"by": "ann", "note": "fine"}
    assert final["waitingFor"] is None
    # deciding twice: the run has moved on
    assert_envelope(api.post(f"/api/v1/runs/{run_id}/reject"), 409)


def test_approval_without_a_body_outputs_approved_true(api):
    run_id = _start(api, "approval", amount=1)
    wait_status(api, run_id, "waiting")
    assert api.post(f"/api/v1/runs/{run_id}/resume").status_code == 200
    final = wait_terminal(api, run_id)
    assert final["stepExecutions"][0]["outputData"] == {"approved": True}


def test_approval_rejected_ends_the_run_with_the_reason(api):
    run_id = _start(api, "approval", amount=9000)
    wait_status(api, run_id, "waiting")
    resp = api.post(f"/api/v1/runs/{run_id}/reject", json={"reason": "too expensive"})
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    run = api.get(f"/api/v1/runs/{run_id}").json()["run"]
    assert run["status"] == "rejected" and run["error"] == "rejected by reviewer: too expensive"
    assert run["completedAt"] is not None
    assert_envelope(api.post(f"/api/v1/runs/{run_id}/resume"), 409)


def test_approval_times_out_to_rejected(api):
    run_id = _start(api, "approval", amount=5, minutes=0.01)  # 0.6 s
    final = wait_terminal(api, run_id, timeout=20)
    assert final["status"] == "rejected"
    assert final["error"] == "approval timed out after 0.01 minutes without a decision"
    assert final["stepExecutions"][0]["status"] == "rejected"


def test_decisions_need_a_run_waiting_for_approval(api):
    assert_envelope(api.post("/api/v1/runs/exec_nope/resume"), 404)
    done = api.post(
        "/api/v1/run/workflows.hello", params={"wait_for_completion": 20}, json={}
    ).json()
    body = assert_envelope(api.post(f"/api/v1/runs/{done['runId']}/resume"), 409)
    assert "only a run waiting for approval" in body["issues"][0]["message"]
    timer = _start(api, "wait", seconds=30)
    wait_status(api, timer, "waiting")
    body = assert_envelope(api.post(f"/api/v1/runs/{timer}/resume"), 409)
    assert "waiting for a timer" in body["issues"][0]["message"]
    pending = _start(api, "approval", amount=2)
    wait_status(api, pending, "waiting")
    assert_envelope(
        api.post(
            f"/api/v1/runs/{pending}/resume",
            content=b"{oops",
            headers={"content-type": "application/json"},
        ),
        400,
        "<body>",
    )
    assert_envelope(api.post(f"/api/v1/runs/{pending}/reject", json={"why": "x"}), 400)
    # a waiting run is cancelled at once
    cancelled = api.post(f"/api/v1/runs/{timer}/cancel").json()
    assert cancelled["status"] == "cancelled"  # at once: no worker holds a waiting run


def test_wait_step_pauses_then_continues(api):
    run_id = _start(api, "wait", seconds=1.2)
    waiting = wait_status(api, run_id, "waiting")
    assert waiting["waitingFor"] == "timer"
    assert [s["status"] for s in waiting["stepExecutions"]] == ["completed", "waiting", "pending"]
    final = wait_terminal(api, run_id, timeout=20)
    assert final["status"] == "completed" and final["output"]["done"] is True
    assert final["output"]["waited"] == waiting["waitUntil"]


def test_a_wait_holds_no_worker_and_survives_a_restart(tmp_path, db_url):
    data = tmp_path / "data"
    srv = start_server(data, args=("--concurrency", "1"), database_url=db_url)
    try:
        with srv.client() as api:
            run_id = _start(api, "wait", seconds=3)
            wait_status(api, run_id, "waiting")
            # the only worker slot is free while the run waits
            other = api.post(
                "/api/v1/run/workflows.hello", params={"wait_for_completion": 20}, json={}
            ).json()
            assert other["status"] == "completed"
    finally:
        srv.stop()
    srv = start_server(data, args=("--concurrency", "1"), database_url=db_url)
    try:
        with srv.client() as api:
            final = wait_terminal(api, run_id, timeout=30)
            assert final["status"] == "completed", final
            assert [s["status"] for s in final["stepExecutions"]] == ["completed"] * 3
    finally:
        srv.stop()
