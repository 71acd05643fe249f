"""Child runs (`workflow.invoke`, issue 18 item 3) on both stores, against a real server
with ONE worker slot: a parent waiting on its child must not hold it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_runs import wait_terminal
from tests.cli.test_cli import openpal
from tests.conftest import TEST_WORKFLOWS, Server, start_server
from tests.pg import database_for

CHILDREN = Path(__file__).resolve().parents[1] / "workflows_children"


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Server]:
    with database_for(backend) as url:
        srv = start_server(
            tmp_path_factory.mktemp(f"children-{backend}"),
            args=("--workflows", str(CHILDREN), "--concurrency", "1"),
            workflows=TEST_WORKFLOWS,
            database_url=url,
        )
        yield srv
        srv.stop()


@pytest.fixture
def api(one_slot: Server) -> Iterator[httpx.Client]:
    with one_slot.client() as c:
        yield c


def _start(api: httpx.Client, slug: str, data: dict | None = None) -> str:
    resp = api.post(f"/api/v1/run/workflows.{slug}", json=data or {})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["runId"])


def _detail(api: httpx.Client, run_id: str) -> dict:
    return api.get(f"/api/v1/runs/{run_id}", params={"include": "detail"}).json()["run"]


def test_a_parent_waits_on_two_children_without_holding_the_one_slot(api):
    parent = _start(api, "invoke-two", {"seconds": 0.2})
    done = wait_terminal(api, parent, timeout=60)
    assert done["status"] == "completed", done
    assert done["output"] == {"counted": 3, "greeting": "Hello, child 3!"}
    children = done["childExecutions"]
    assert [(c["workflow"], c["stepIndex"], c["status"]) for c in children] == [
        ("slow-count", 0, "completed"),
        ("hello", 1, "completed"),
    ]
    for child in children:  # each child knows its parent, on both generations
        assert _detail(api, child["id"])["parentExecutionId"] == parent
        assert api.get(f"/api/v1/runs/{child['id']}").json()["run"]["parentExecutionId"] == parent
        v1 = api.get(f"/v1/runs/{child['id']}").json()
        assert v1["parentExecutionId"] == parent and v1["trigger"]["type"] == "workflow"
    v1_parent = api.get(f"/v1/runs/{parent}", params={"expand": "execution"}).json()
    assert [c["id"] for c in v1_parent["execution"]["childExecutions"]] == [
        c["id"] for c in children
    ]
    assert "parentExecutionId" not in v1_parent
    # the parent waited (parked) for each child: two waits, one per invoke step
    events = api.get(f"/v1/runs/{parent}/events").json()["events"]
    waits = [e for e in events if e["type"] == "run.waiting"]
    assert len(waits) >= 2, events


def test_cancelling_the_parent_cancels_its_running_child(api):
    parent = _start(api, "invoke-two", {"seconds": 5})
    deadline = time.monotonic() + 30
    child: dict = {}
    while time.monotonic() < deadline:
        kids = _detail(api, parent)["childExecutions"]
        if kids and kids[0]["status"] == "running":
            child = kids[0]
            break
        time.sleep(0.05)
    assert child, "the child never started running"
    cancelled = api.post(f"/api/v1/runs/{parent}/cancel").json()
    assert cancelled["status"] == "cancelled", cancelled
    ended = wait_terminal(api, child["id"], timeout=30)
    assert ended["status"] == "cancelled", ended
    assert _detail(api, parent)["status"] == "cancelled"


def test_a_failing_child_fails_the_parents_step_naming_the_child(api):
    parent = wait_terminal(api, _start(api, "invoke-fails"), timeout=60)
    assert parent["status"] == "failed"
    child = parent["childExecutions"][0]
    assert child["status"] == "failed"
    assert parent["error"].startswith("step 'call' failed: child run " + child["id"])
    assert "(workflow 'fails') failed" in parent["error"] and "child broke" in parent["error"]
    steps = {s["stepName"]: s["status"] for s in parent["stepExecutions"]}
    assert steps == {"call": "failed", "after": "not_run"}


def test_a_missing_target_fails_the_step_clearly(api):
    parent = wait_terminal(api, _start(api, "invoke-missing"), timeout=30)
    assert parent["status"] == "failed"
    assert "could not start a child run" in parent["error"]
    assert "'no-such-workflow' not found" in parent["error"]
    assert parent["childExecutions"] == []


def test_a_chain_deeper_than_ten_fails_clearly(api):
    root = wait_terminal(api, _start(api, "invoke-self"), timeout=120)
    assert root["status"] == "failed"
    assert "child runs nested deeper than 10 levels" in root["error"]
    depth, run = 0, root
    while run["childExecutions"]:
        run = _detail(api, run["childExecutions"][0]["id"])
        depth += 1
    assert depth == 10


def test_the_run_page_links_parent_and_children(api, one_slot):
    parent = wait_terminal(api, _start(api, "invoke-two", {"seconds": 0.1}), timeout=60)
    kids = [c["id"] for c in parent["childExecutions"]]
    with httpx.Client(base_url=one_slot.base_url) as web:
        token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
        assert token is not None
        web.post("/login", data={"api_key": one_slot.api_key, "token": token[1]})
        page = web.get(f"/runs/{parent['id']}").text
        assert 'id="child-runs"' in page and all(f'href="/runs/{k}"' in page for k in kids)
        child_page = web.get(f"/runs/{kids[0]}").text
        assert f'<a href="/runs/{parent["id"]}" id="parent-run">' in child_page


def test_a_rejected_child_fails_the_parent_at_once(api):
    parent = _start(api, "invoke-approval")
    deadline = time.monotonic() + 30
    child: dict = {}
    while time.monotonic() < deadline and not child:
        kids = _detail(api, parent)["childExecutions"]
        if kids and kids[0]["status"] == "waiting":
            child = kids[0]
        time.sleep(0.05)
    assert child, "the child never waited for approval"
    rejected = api.post(f"/api/v1/runs/{child['id']}/reject", json={"reason": "too much"})
    assert rejected.status_code == 200, rejected.text
    started = time.monotonic()
    ended = wait_terminal(api, parent, timeout=20)  # woken, not the 30 s safety re-read
    assert time.monotonic() - started < 10
    assert ended["status"] == "failed" and "rejected by reviewer: too much" in ended["error"]


def test_the_cli_shows_parent_and_children(api, one_slot):
    parent = wait_terminal(api, _start(api, "invoke-two", {"seconds": 0.1}), timeout=60)
    kids = [c["id"] for c in parent["childExecutions"]]
    shown = openpal(one_slot, "runs", "get", parent["id"], "--detail")
    assert shown.returncode == 0, shown.stderr
    assert f"child run: {kids[0]} slow-count completed" in shown.stdout
    assert f"child run: {kids[1]} hello completed" in shown.stdout
    child = openpal(one_slot, "runs", "get", kids[0], "--detail")
    assert f"parent run: {parent['id']}" in child.stdout
