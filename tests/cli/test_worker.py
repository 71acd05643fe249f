"""`openpal worker` next to an API-only `openpal serve --no-worker`, on both backends.

On PostgreSQL the worker is woken by NOTIFY; on SQLite (one file, several
processes on one machine) by its safety poll: both must finish the runs.
"""

from __future__ import annotations

import time

from tests.conftest import start_server, start_worker


def test_api_only_server_and_a_separate_worker(tmp_path, db_url):
    api = start_server(tmp_path / "data", args=("--no-worker",), database_url=db_url)
    worker = None
    try:
        with api.client() as client:
            queued = client.post("/api/v1/run/workflows.hello", json={"name": "w"}).json()
            time.sleep(0.5)  # an API-only server executes nothing
            run = client.get(f"/api/v1/runs/{queued['runId']}").json()["run"]
            assert run["status"] == "pending"
            worker = start_worker(tmp_path / "data", database_url=db_url)
            held = client.post(
                "/api/v1/run/workflows.hello",
                params={"wait_for_completion": 30},
                json={"name": "v"},
            ).json()
            assert held["status"] == "completed" and held["output"]["greeting"] == "Hello, v!"
            deadline = time.monotonic() + 20
            while client.get(f"/api/v1/runs/{queued['runId']}").json()["run"]["status"] != (
                "completed"
            ):
                assert time.monotonic() < deadline
                time.sleep(0.05)
        worker.stop()
        assert worker.proc.returncode == 0, worker.log()
    finally:
        if worker is not None:
            worker.stop()
        api.stop()
