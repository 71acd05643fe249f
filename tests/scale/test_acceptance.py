"""Scale-out acceptance: 2 API processes and 3 worker processes on one PostgreSQL.

- 500 runs started round-robin through both APIs: every run completes exactly
  once, and every step ran exactly once (each execution appends a line to a
  tally file, whichever worker process ran it);
- a `wait_for_completion` request held on API A returns when a worker finishes
  the run (safety polls are set to 60 s, so only NOTIFY can wake it in time);
- a cancel sent through API B stops a long run on whichever worker holds it,
  in the middle of its first step (the step only learns of it through NOTIFY).
"""

from __future__ import annotations

import collections
import hashlib
import os
import time

import pytest

from tests.conftest import Server, Worker, start_server, start_worker
from tests.pg import fresh_database
from tests.scale.tally_runs import executions, start_and_wait, wait_terminal

RUNS = 500
SLOW = {"OPENPAL_WORKER_POLL_SECONDS": "60", "OPENPAL_HOLD_POLL_SECONDS": "60"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    data = tmp_path_factory.mktemp("cluster")
    tally = data / "tally.txt"
    env = {**SLOW, "OPENPAL_TEST_TALLY": str(tally)}
    with fresh_database() as url:
        procs: list[Server | Worker] = []
        try:
            # A first (it creates the first API key), then B and the workers
            api_a = start_server(data / "a", args=("--no-worker",), env=env, database_url=url)
            procs.append(api_a)
            api_b = start_server(
                data / "b",
                args=("--no-worker",),
                env=env,
                database_url=url,
                api_key=api_a.api_key,  # one database, one set of keys
            )
            procs.append(api_b)
            workers = [
                start_worker(
                    data / f"w{i}",
                    database_url=url,
                    args=("--concurrency", "8"),
                    env=env,
                    name=f"worker{i}",
                )
                for i in range(3)
            ]
            procs += workers
            yield api_a, api_b, workers, tally
        finally:
            for p in procs:
                p.stop()


def test_500_runs_through_two_apis_run_exactly_once(cluster):
    api_a, api_b, workers, tally = cluster
    ids, finals = start_and_wait([api_b, api_a], RUNS)
    assert len(set(ids)) == RUNS
    assert collections.Counter(r["status"] for r in finals) == {"completed": RUNS}
    assert all(r["attempt"] == 1 and r["takeovers"] == 0 for r in finals)  # claimed once
    ran, pids = executions(tally, ids)
    assert set(ran) == {(r, s) for r in ids for s in "abc"}  # every step of every run ran…
    assert set(ran.values()) == {1}  # …exactly once
    assert pids <= {str(w.proc.pid) for w in workers}
    assert len(pids) > 1, "one worker process did everything"


def test_wait_on_api_a_returns_when_a_worker_finishes(cluster):
    api_a, *_ = cluster
    with api_a.client() as client:
        t0 = time.monotonic()
        resp = client.post(
            "/api/v1/run/workflows.slow-count",
            params={"wait_for_completion": 50},
            json={"seconds": 0.5},
        )
        elapsed = time.monotonic() - t0
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed"
    # 1.5 s of steps; without NOTIFY the hold (and idle workers) would sleep 50-60 s
    assert elapsed < 20, elapsed


def test_cancel_through_api_b_stops_the_run_on_its_worker(cluster):
    api_a, api_b, *_ = cluster
    with api_a.client() as a, api_b.client() as b:
        run_id = a.post("/api/v1/run/workflows.slow-count", json={"seconds": 30}).json()["runId"]
        deadline = time.monotonic() + 20
        while a.get(f"/api/v1/runs/{run_id}").json()["run"]["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # well inside the first 30-second step
        assert b.post(f"/api/v1/runs/{run_id}/cancel").status_code == 200
        final = wait_terminal(a, run_id, timeout=25)
        detail = a.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
    assert final["status"] == "cancelled"
    # the worker stopped the first step midway: it heard the cancel, it did not wait
    # for the step to end (that would take 30 s and complete step one)
    assert detail["stepExecutions"][0]["status"] != "completed", detail["stepExecutions"]


def test_a_file_sent_to_api_b_is_read_by_a_worker_with_another_data_folder(cluster):
    """Each process here has its own data folder, as on separate machines: the file
    reaches the worker through the database, byte for byte (3.5 MiB: several chunks)."""
    _, api_b, workers, _ = cluster
    data = os.urandom(3 * 1024 * 1024 + 512 * 1024)
    with api_b.client() as b:
        resp = b.post(
            "/api/v1/run/workflows.file-info",
            params={"wait_for_completion": 50},
            files={"doc": ("big.bin", data, "application/octet-stream")},
        )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed", resp.json()
    info = resp.json()["output"]["info"]
    assert info == {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "mime": "application/octet-stream",
    }
    cached = [w for w in workers if list((w.log_path.parent / "blobs" / "sha256").rglob("*"))]
    assert cached, "no worker fetched the file into its own cache"
