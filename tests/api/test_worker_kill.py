"""`kill -9` a worker process in the middle of a step: another worker process takes the
run over when the lease expires, resumes after the last checkpoint, and the run's detail
shows the takeover. Both backends: PostgreSQL, and one SQLite file shared by processes.
"""

from __future__ import annotations

import signal
import time

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server, start_worker


def test_kill_9_a_worker_mid_step_another_worker_finishes(tmp_path, db_url):
    env = {"OPENPAL_LEASE_SECONDS": "1"}
    data = tmp_path / "data"
    api = start_server(data, args=("--no-worker",), env=env, database_url=db_url)
    first = start_worker(data, database_url=db_url, env=env, name="first")
    second = None
    try:
        with api.client() as client:
            run_id = client.post("/api/v1/run/workflows.slow-count", json={"seconds": 0.8}).json()[
                "runId"
            ]
            deadline = time.monotonic() + 20
            while True:  # step one checkpointed, step two running on the first worker
                detail = client.get(f"/api/v1/runs/{run_id}", params={"include": "detail"})
                steps = detail.json()["run"]["stepExecutions"]
                if [s["status"] for s in steps][:2] == ["completed", "running"]:
                    break
                assert time.monotonic() < deadline, steps
                time.sleep(0.02)
            second = start_worker(data, database_url=db_url, env=env, name="second")
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait()

            final = wait_terminal(client, run_id, timeout=30)
        assert final["status"] == "completed", final
        assert final["output"] == {"counted": 3}
        steps = final["stepExecutions"]
        assert [s["status"] for s in steps] == ["completed"] * 3
        assert steps[0]["completedAt"] == detail.json()["run"]["stepExecutions"][0]["completedAt"]
        assert final["takeovers"] == 1 and final["attempt"] == 2
    finally:
        for proc in (second, first, api):
            if proc is not None:
                proc.stop()
