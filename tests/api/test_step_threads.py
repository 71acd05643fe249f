"""Blocking Python steps get a thread each, up to the worker's concurrency.

asyncio's default thread pool has min(32, CPUs + 4) threads; a worker running more
runs than that at once must not queue their blocking steps behind each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server

SLOTS = 40  # more than asyncio's default pool has threads on any machine


def test_as_many_blocking_steps_run_at_once_as_the_worker_has_slots(tmp_path):
    folder = tmp_path / "meet"
    folder.mkdir()
    srv = start_server(tmp_path / "data", args=("--concurrency", str(SLOTS)))
    try:
        with srv.client() as api:

            def start(i: int) -> str:
                body = {"folder": str(folder), "n": SLOTS, "me": f"s{i}"}
                resp = api.post("/api/v1/run/workflows.rendezvous", json=body)
                assert resp.status_code == 201, resp.text
                return str(resp.json()["runId"])

            with ThreadPoolExecutor(8) as pool:
                ids = list(pool.map(start, range(SLOTS)))
            finals = [wait_terminal(api, run_id) for run_id in ids]
        assert [f["status"] for f in finals] == ["completed"] * SLOTS, [
            f["error"] for f in finals if f["status"] != "completed"
        ][:3]
    finally:
        srv.stop()
