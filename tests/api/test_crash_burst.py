"""kill -9 during a burst of triggers: every run that got a 2xx completes after a restart,
none is stuck, and the SQLite file passes its integrity check."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server


def test_kill_9_during_200_triggers(tmp_path, db_url):
    data = tmp_path / "data"
    env = {"OPENPAL_LEASE_SECONDS": "1"}
    srv = start_server(data, env=env, database_url=db_url)
    accepted: list[str] = []
    lock = threading.Lock()

    def trigger(i: int) -> None:
        try:
            resp = httpx.post(
                f"{srv.base_url}/api/v1/run/workflows.noop3",
                json={"i": i},
                headers={"Authorization": f"Bearer {srv.api_key}"},
                timeout=10,
            )
        except httpx.HTTPError:
            return  # the server died under this request: no promise was made
        if resp.status_code == 201:
            with lock:
                accepted.append(resp.json()["runId"])

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(trigger, i) for i in range(200)]
        while len(accepted) < 60:
            time.sleep(0.005)
        srv.proc.send_signal(signal.SIGKILL)
        for f in futures:
            f.result()
    srv.proc.wait()
    assert 60 <= len(accepted) < 200

    _check_integrity(data, db_url)

    srv = start_server(data, env=env, database_url=db_url)
    try:
        with srv.client() as api:
            for run_id in accepted:
                final = wait_terminal(api, run_id, timeout=60)
                assert final["status"] == "completed", final
            stuck = api.get(
                "/api/v1/runs",
                params={"status": "created,pending,running,finalizing", "limit": 100},
            ).json()["runs"]
            deadline = time.monotonic() + 30
            while stuck and time.monotonic() < deadline:  # runs accepted without our knowing
                time.sleep(0.2)
                stuck = api.get(
                    "/api/v1/runs",
                    params={"status": "created,pending,running,finalizing", "limit": 100},
                ).json()["runs"]
            assert stuck == []
    finally:
        srv.stop()
    _check_integrity(data, db_url)


def _check_integrity(data, db_url) -> None:
    """SQLite: the file passes `PRAGMA integrity_check`. (PostgreSQL recovers its own
    storage; a killed client cannot corrupt it, and the stuck-run check covers our rows.)"""
    if db_url is None:
        assert (data / "openpal.db").exists()
        with closing(sqlite3.connect(data / "openpal.db")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
