"""A run whose server died mid-step is taken over after its lease expires and resumes
after its last checkpoint; past the recovery budget it fails, saying why."""

from __future__ import annotations

import signal
import time

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server


def _kill_mid_second_step(data, env, db_url) -> tuple[str, str]:
    srv = start_server(data, env=env, database_url=db_url)
    with srv.client() as api:
        run_id = api.post("/api/v1/run/workflows.slow-count", json={"seconds": 0.6}).json()["runId"]
        deadline = time.monotonic() + 20
        while True:  # wait until step one is checkpointed and step two is running
            detail = api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
            if [s["status"] for s in detail["stepExecutions"]][:2] == ["completed", "running"]:
                break
            assert time.monotonic() < deadline, detail
            time.sleep(0.02)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    return run_id, detail["stepExecutions"][0]["completedAt"]


def test_kill_9_mid_run_then_restart_completes_the_run(tmp_path, db_url):
    env = {"OPENPAL_LEASE_SECONDS": "1"}
    run_id, first_done_at = _kill_mid_second_step(tmp_path / "data", env, db_url)
    srv = start_server(tmp_path / "data", env=env, database_url=db_url)
    try:
        with srv.client() as api:
            final = wait_terminal(api, run_id, timeout=30)
            assert final["status"] == "completed", final
            steps = final["stepExecutions"]
            assert [s["status"] for s in steps] == ["completed"] * 3
            # step one was not executed again: its checkpoint is the one from before the crash
            assert steps[0]["completedAt"] == first_done_at
            assert final["attempt"] == 2 and final["takeovers"] == 1  # the takeover is visible
            assert final["output"] == {"counted": 3}
    finally:
        srv.stop()


def test_a_run_past_its_recovery_budget_fails(tmp_path, db_url):
    env = {"OPENPAL_LEASE_SECONDS": "1", "OPENPAL_RECOVERY_BUDGET": "0"}
    run_id, _ = _kill_mid_second_step(tmp_path / "data", env, db_url)
    srv = start_server(tmp_path / "data", env=env, database_url=db_url)
    try:
        with srv.client() as api:
            final = wait_terminal(api, run_id, timeout=30)
            assert final["status"] == "failed"
            assert "stopped 1 times (recovery budget 0)" in final["error"]
            assert final["stepExecutions"][2]["status"] == "not_run"
    finally:
        srv.stop()
