"""Cancel semantics (DESIGN §2) on a server with one worker slot, so runs can be kept pending."""

from __future__ import annotations

import time

import pytest

from tests.api.test_runs import assert_envelope, wait_terminal
from tests.conftest import start_server


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory, module_db_url):
    srv = start_server(
        tmp_path_factory.mktemp("one-slot"),
        args=("--concurrency", "1"),
        database_url=module_db_url,
    )
    yield srv
    srv.stop()


def wait_status(api, run_id, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/api/v1/runs/{run_id}").json()["run"]
        if run["status"] == wanted:
            return run
        time.sleep(0.02)
    raise AssertionError(f"{run_id} never became {wanted}")


def test_cancel_pending_is_immediate_and_running_stops_at_checkpoint(one_slot):
    with one_slot.client() as api:
        busy = api.post("/api/v1/run/workflows.slow-count", json={"seconds": 1}).json()["runId"]
        wait_status(api, busy, "running")
        queued = api.post("/api/v1/run/workflows.hello", json={}).json()["runId"]
        assert api.get(f"/api/v1/runs/{queued}").json()["run"]["status"] == "pending"

        resp = api.post(f"/api/v1/runs/{queued}/cancel")
        assert resp.status_code == 200
        assert resp.json()["status"] == "cancelled" and resp.json()["cancelRequestedAt"]

        resp = api.post(f"/api/v1/runs/{busy}/cancel")
        assert resp.status_code == 200
        body = resp.json()
        assert body["status"] in {"running", "cancelled"} and body["cancelRequestedAt"]
        detail = wait_terminal(api, busy)
        assert detail["status"] == "cancelled"
        statuses = [s["status"] for s in detail["stepExecutions"]]
        # slow-count checks ctx.check_cancelled() inside each step: the first step stops
        assert statuses[0] in {"cancelled", "completed"}
        assert "completed" not in statuses[1:], statuses
        assert statuses[-1] == "not_run"
        # the queued run never ran
        assert (
            api.get(f"/api/v1/runs/{queued}", params={"include": "detail"}).json()["run"][
                "stepExecutions"
            ][0]["status"]
            == "not_run"
        )


def test_cancel_is_idempotent_and_terminal_runs_do_not_change(one_slot):
    with one_slot.client() as api:
        done = api.post(
            "/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": 20}
        ).json()
        assert done["status"] == "completed"
        for _ in range(2):
            resp = api.post(f"/api/v1/runs/{done['runId']}/cancel")
            assert resp.status_code == 200
            assert resp.json() == {
                "id": done["runId"],
                "status": "completed",
                "cancelRequestedAt": None,
            }
        assert api.get(f"/api/v1/runs/{done['runId']}").json()["run"]["status"] == "completed"


def test_held_request_returns_when_a_run_is_cancelled(one_slot):
    import threading

    with one_slot.client() as api:
        started = api.post("/api/v1/run/workflows.slow-count", json={"seconds": 3}).json()
        wait_status(api, started["runId"], "running")

        def cancel_later() -> None:
            with one_slot.client() as other:
                other.post(f"/api/v1/runs/{started['runId']}/cancel")

        timer = threading.Timer(0.5, cancel_later)
        timer.start()
        # a second hold on a *new* run queued behind: it ends when the first frees the slot
        t0 = time.monotonic()
        resp = api.post("/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": 30})
        timer.join()
        assert resp.status_code == 200 and resp.json()["status"] == "completed"
        assert time.monotonic() - t0 < 8


def test_cancel_unknown_run(one_slot):
    with one_slot.client() as api:
        assert_envelope(api.post("/api/v1/runs/exec_nope/cancel"), 404)
