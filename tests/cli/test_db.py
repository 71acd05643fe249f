"""`openpal db upgrade` and `openpal db prune` on a real data folder."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.conftest import start_server


def _openpal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openpal", *args], capture_output=True, text=True, timeout=60
    )


def test_upgrade_and_prune(tmp_path):
    data = tmp_path / "data"
    first = _openpal("db", "upgrade", "--data-dir", str(data))
    assert first.returncode == 0 and "0001_init.sql" in first.stdout
    again = _openpal("db", "upgrade", "--data-dir", str(data))
    assert again.stdout.strip() == "database is up to date"
    srv = start_server(data, env={"OPENPAL_RETENTION_DAYS": "0"})
    try:
        with srv.client() as api:
            for _ in range(3):
                api.post("/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": 20})
    finally:
        srv.stop()
    time.sleep(1.0)
    kept = _openpal("db", "prune", "--data-dir", str(data), "--older-than-days", "1")
    assert kept.returncode == 0 and kept.stdout.startswith("deleted 0 runs")
    pruned = _openpal("db", "prune", "--data-dir", str(data), "--older-than-days", "0.00001")
    assert pruned.returncode == 0 and pruned.stdout.startswith("deleted 3 runs"), pruned.stdout
    srv = start_server(data)
    try:
        with srv.client() as api:
            assert api.get("/api/v1/runs").json()["runs"] == []
    finally:
        srv.stop()
