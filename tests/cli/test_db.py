"""`openpal db upgrade` and `openpal db prune` on a real data folder."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.api.test_runs import wait_terminal
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


def _stored_files(data, db_url) -> set[str]:
    if db_url is None:
        return {f"sha256:{p.name}" for p in (data / "blobs" / "sha256").glob("??/*")}
    import asyncio

    import asyncpg

    async def ids():
        conn = await asyncpg.connect(db_url)
        try:
            return {r[0] for r in await conn.fetch("SELECT id FROM blobs")}
        finally:
            await conn.close()

    return asyncio.run(ids())


def test_prune_deletes_files_no_remaining_run_refers_to(tmp_path, db_url):
    import hashlib

    data = tmp_path / "data"
    where = ("--data-dir", str(data), *(("--database-url", db_url) if db_url else ()))
    shared, lonely = b"shared content", b"only the old run has this"
    ids = {f"sha256:{hashlib.sha256(b).hexdigest()}" for b in (shared, lonely)}
    srv = start_server(data, env={"OPENPAL_RETENTION_DAYS": "0"}, database_url=db_url)

    def send(api, content):
        resp = api.post(
            "/api/v1/run/workflows.file-info",
            params={"wait_for_completion": 20},
            files={"doc": ("f.bin", content, "application/octet-stream")},
        )
        assert resp.json()["status"] == "completed", resp.text
        return resp.json()["runId"]

    try:
        with srv.client() as api:
            send(api, shared)
            send(api, lonely)
            # the cut-off: a second after the old runs ended, three before the newest starts,
            # so the prune command may take up to three seconds to start (a loaded machine)
            cutoff = time.time() + 1.0
            time.sleep(4.0)
            newer = send(api, shared)  # keeps `shared` referenced after the prune
    finally:
        srv.stop()
    assert _stored_files(data, db_url) == ids
    # the two old runs go; the newest stays
    days = f"{(time.time() - cutoff) / 86400:.9f}"
    pruned = _openpal("db", "prune", *where, "--older-than-days", days, "--file-grace-seconds", "0")
    assert pruned.returncode == 0, pruned.stderr
    out = pruned.stdout.strip()
    assert "deleted 2 runs finished more than" in out, out
    assert out.endswith("ago, and 1 unused files"), out
    assert _stored_files(data, db_url) == {f"sha256:{hashlib.sha256(shared).hexdigest()}"}
    srv = start_server(data, database_url=db_url)
    try:
        with srv.client() as api:  # the remaining run's file is intact and readable
            rerun = api.post(f"/api/v1/runs/{newer}/rerun").json()
            final = wait_terminal(api, rerun["runId"])
            assert final["status"] == "completed", final
            assert final["output"]["info"]["sha256"] == hashlib.sha256(shared).hexdigest()
    finally:
        srv.stop()
