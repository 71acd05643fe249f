"""PostgreSQL restarts in the middle of a batch of runs: the API and the workers
reconnect by themselves and every accepted run finishes.

The test runs its own cluster (`scripts/pg-up` on a private port and folder), so
restarting it disturbs no other test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, start_server, start_worker
from tests.pg import require_postgres

PG_UP = Path(__file__).resolve().parents[2] / "scripts" / "pg-up"
RUNS = 120


@pytest.fixture
def private_pg():
    require_postgres()  # PostgreSQL is installed and tests of it are wanted
    port = free_port()
    # not under pytest's tmp folder: the server runs as `postgres`, which cannot enter it
    parent = Path(tempfile.mkdtemp(prefix="openpal-pg-"))
    parent.chmod(0o755)
    folder = parent / "cluster"
    env = {**os.environ, "OPENPAL_PG_PORT": str(port), "OPENPAL_PG_DIR": str(folder)}
    url = subprocess.run(
        [str(PG_UP)], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()

    def restart() -> None:
        subprocess.run([str(PG_UP), "restart"], env=env, check=True, capture_output=True)

    yield url, restart
    subprocess.run([str(PG_UP), "stop"], env=env, capture_output=True)
    shutil.rmtree(parent, ignore_errors=True)


def _retrying(call, deadline: float) -> httpx.Response:
    """What a client does during an outage: retry 503s (and dropped connections)."""
    while True:
        try:
            resp = call()
            if resp.status_code != 503:
                return resp
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the API never came back"
        time.sleep(0.1)


def test_database_restart_mid_batch_every_run_finishes(tmp_path, private_pg):
    url, restart = private_pg
    srv = start_server(tmp_path / "api", args=("--concurrency", "4"), database_url=url)
    worker = start_worker(tmp_path / "w", database_url=url, args=("--concurrency", "4"))
    try:
        with srv.client() as api:
            ids = [
                api.post("/api/v1/run/workflows.slow-count", json={"seconds": 0.05}).json()["runId"]
                for _ in range(RUNS)
            ]
            time.sleep(0.5)  # the batch is under way
            restart()
            deadline = time.monotonic() + 90
            more = [
                _retrying(
                    lambda: api.post("/api/v1/run/workflows.hello", json={"name": "after"}),
                    deadline,
                ).json()["runId"]
                for _ in range(5)
            ]
            finals = {}
            for run_id in ids + more:
                while True:
                    resp = _retrying(lambda r=run_id: api.get(f"/api/v1/runs/{r}"), deadline)
                    run = resp.json()["run"]
                    if run["status"] in ("completed", "failed", "cancelled", "rejected"):
                        finals[run_id] = run
                        break
                    assert time.monotonic() < deadline, run
                    time.sleep(0.1)
        statuses = {r["status"] for r in finals.values()}
        assert statuses == {"completed"}, [r for r in finals.values() if r["status"] != "completed"]
    finally:
        worker.stop()
        srv.stop()
