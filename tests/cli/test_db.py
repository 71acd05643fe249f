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


def test_upgrade_and_prune(tmp_path, db_url):
    data = tmp_path / "data"
    where = ("--data-dir", str(data), *(("--database-url", db_url) if db_url else ()))
    first = _openpal("db", "upgrade", *where)
    assert first.returncode == 0, first.stderr
    assert "0001_init.sql" in first.stdout and "0005_run_events.sql" in first.stdout
    again = _openpal("db", "upgrade", *where)
    assert again.stdout.strip() == "database is up to date"
    srv = start_server(data, env={"OPENPAL_RETENTION_DAYS": "0"}, database_url=db_url)
    try:
        with srv.client() as api:
            for _ in range(3):
                api.post("/api/v1/run/workflows.hello", json={}, params={"wait_for_completion": 20})
    finally:
        srv.stop()
    time.sleep(1.0)
    kept = _openpal("db", "prune", *where, "--older-than-days", "1")
    assert kept.returncode == 0 and kept.stdout.startswith("deleted 0 runs")
    pruned = _openpal("db", "prune", *where, "--older-than-days", "0.00001")
    assert pruned.returncode == 0 and pruned.stdout.startswith("deleted 3 runs"), pruned.stdout
    srv = start_server(data, database_url=db_url)
    try:
        with srv.client() as api:
            assert api.get("/api/v1/runs").json()["runs"] == []
    finally:
        srv.stop()


def test_a_bad_database_url_is_a_usage_error(tmp_path):
    for cmd in (("db", "upgrade"), ("serve",), ("worker",), ("keys", "create")):
        res = _openpal(*cmd, "--data-dir", str(tmp_path), "--database-url", "mysql://x@h/db")
        assert res.returncode == 2, (cmd, res.stderr)
        assert "must be a postgresql:// URL (got 'mysql')" in res.stderr


def test_unreachable_database_is_a_clear_error(tmp_path):
    res = _openpal("db", "upgrade", "--database-url", "postgresql://u@127.0.0.1:1/none")
    assert res.returncode == 1
    assert "cannot reach the database at postgresql://127.0.0.1:1/none" in res.stderr
