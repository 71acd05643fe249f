"""Admission control is per tenant: another tenant's runs neither count against a
tenant's concurrency limit nor show in its rejections (both backends)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx

from tests.api.test_runs import wait_terminal
from tests.conftest import Server


def new_key(server: Server, tenant: str) -> str:
    """A key of `tenant`, made the way an operator makes one (`openpal keys create`)."""
    return subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", tenant,
         "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, check=True, env=server.env(),
    ).stdout.strip()  # fmt: skip


def _start(client: httpx.Client, customer: str) -> dict:
    resp = client.post(
        "/api/v1/run/workflows.limited-reject", json={"customer": customer, "seconds": 2}
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_each_tenant_gets_its_whole_concurrency_limit(server, api):
    shared = f"acme-{uuid.uuid4().hex[:8]}"  # the same rendered key in both tenants
    other_key = new_key(server, f"rival-{uuid.uuid4().hex[:8]}")
    with server.client() as mine, server.client() as theirs:
        theirs.headers["Authorization"] = f"Bearer {other_key}"
        their_runs = [_start(theirs, shared) for _ in range(2)]
        assert [r["status"] for r in their_runs] == ["pending", "pending"]
        my_runs = [_start(mine, shared) for _ in range(2)]
        # the other tenant's two unfinished runs do not count against my limit of two
        assert [r["status"] for r in my_runs] == ["pending", "pending"], my_runs
        third = _start(mine, shared)
        assert third["status"] == "rejected"  # my own limit still holds
        error = mine.get(f"/api/v1/runs/{third['runId']}").json()["run"]["error"]
        assert "at most 2" in error and repr(shared) in error
        assert "rival" not in error
        for run in their_runs:
            assert wait_terminal(theirs, run["runId"], timeout=30)["status"] == "completed"
        for run in my_runs:
            assert wait_terminal(mine, run["runId"], timeout=30)["status"] == "completed"
