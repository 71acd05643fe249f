"""SIGTERM: the worker finishes the running step, checkpoints, and hands the run back."""

from __future__ import annotations

import signal
import time

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server


def test_sigterm_hands_the_run_back_after_the_current_step(tmp_path, db_url):
    data = tmp_path / "data"
    srv = start_server(data, database_url=db_url)
    with srv.client() as api:
        run_id = api.post("/api/v1/run/workflows.slow-count", json={"seconds": 1}).json()["runId"]
        deadline = time.monotonic() + 20
        while api.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        stopped_in = time.monotonic() - t0
        assert "handed back after step 1" in srv.log()
    assert stopped_in < 5  # one step (1 s), not the whole run (3 s) nor the 10 s grace
    srv = start_server(data, database_url=db_url)
    try:
        with srv.client() as api:
            final = wait_terminal(api, run_id, timeout=30)
            assert final["status"] == "completed"
            assert final["takeovers"] == 0 and final["attempt"] == 2  # handed back, not crashed
            first = final["stepExecutions"][0]
            assert first["status"] == "completed" and first["attempts"] == 1
    finally:
        srv.stop()
