"""A fan-out step as the run APIs of both generations and the dashboard's run page show it:
its output (the items' outputs in input order, error objects under `collect`) and its item
counts; on both backends over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, start_server

FANOUT = Path(__file__).resolve().parents[1] / "workflows_fanout"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("fanout"), workflows=FANOUT,
                     database_url=module_db_url)  # fmt: skip
    yield s
    s.stop()


def _ended(api: httpx.Client, run_id: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        run = api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]
        if run["status"] in ("completed", "failed", "cancelled", "rejected"):
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def test_a_collect_step_shows_its_output_and_item_counts_everywhere(srv, tmp_path):
    with srv.client() as api:
        body = {"items": [5, -1, 7], "log": str(tmp_path / "calls.log")}
        run_id = api.post("/api/v1/run/workflows.fan-collect", json=body).json()["runId"]
        run = _ended(api, run_id)
        assert run["status"] == "completed", run
        each = run["stepExecutions"][0]
        expected = [
            {"value": 5, "index": 0},
            {"error": "ValueError: negative: -1", "item_index": 1},
            {"value": 7, "index": 2},
        ]
        assert each["outputData"] == expected
        assert each["items"] == {"completed": 2, "failed": 1, "total": 3}
        assert "items" not in run["stepExecutions"][1]  # not a fan-out step
        rows = api.get(f"/v1/runs/{run_id}/steps").json()["steps"]
        assert rows[0]["items"] == {"completed": 2, "failed": 1, "total": 3}
        full = api.get(f"/v1/runs/{run_id}/steps/{rows[0]['id']}").json()
        assert full["output"] == expected and full["status"] == "completed"
    with httpx.Client(base_url=srv.base_url, follow_redirects=True) as web:
        token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        web.post("/login", data={"api_key": srv.api_key, "token": token[1]})
        page = web.get(f"/runs/{run_id}").text
        assert '<span class="items">2 completed, 1 failed of 3 items</span>' in page


def test_a_fail_fast_step_shows_the_failed_item(srv, tmp_path):
    with srv.client() as api:
        body = {"items": [1, -2, 3], "log": str(tmp_path / "calls.log")}
        run_id = api.post("/api/v1/run/workflows.fan-fast", json=body).json()["runId"]
        run = _ended(api, run_id)
        assert run["status"] == "failed"
        assert run["error"] == "step 'each' failed: item 1 failed: ValueError: negative: -2"
        each = run["stepExecutions"][0]
        assert each["status"] == "failed" and each["error"] == (
            "item 1 failed: ValueError: negative: -2")  # fmt: skip
        assert each["items"] == {"completed": 1, "failed": 1}
        v1 = api.get(f"/v1/runs/{run_id}").json()
        assert v1["error"] == run["error"]
