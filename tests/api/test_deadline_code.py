"""A run over its deadline ends `failed` with `errorCode: "deadline_exceeded"` on both wire
generations (the status enum is closed), told apart from a step failure; the CLI exits 5."""

from __future__ import annotations

from tests.api.test_runs import wait_terminal
from tests.cli.test_cli import openpal


def test_a_run_over_its_deadline_carries_the_code_on_both_generations(api):
    started = api.post(
        "/api/v1/run/workflows.slow-count",
        json={"seconds": 0.3},
        params={"wait_for_completion": 20, "deadline_seconds": 0.5},
    ).json()
    assert started["status"] == "failed" and started["errorCode"] == "deadline_exceeded"
    run_id = started["runId"]
    assert wait_terminal(api, run_id)["errorCode"] == "deadline_exceeded"
    summary = api.get(f"/api/v1/runs/{run_id}").json()["run"]
    assert summary["errorCode"] == "deadline_exceeded"
    v1 = api.get(f"/v1/runs/{run_id}").json()
    assert v1["execution"]["status"] == "failed" and v1["errorCode"] == "deadline_exceeded"
    listed = api.get("/v1/runs", params={"ids": run_id}).json()["runs"]
    assert [r["errorCode"] for r in listed] == ["deadline_exceeded"]
    v1_started = api.post(
        "/v1/runs",
        json={"target": "workflows.slow-count", "input": {"seconds": 0.3}},
        params={"wait_for_completion": 20, "deadline_seconds": 0.5},
    ).json()
    assert v1_started["errorCode"] == "deadline_exceeded", v1_started


def test_a_step_failure_has_no_code(api):
    failed = api.post(
        "/api/v1/run/workflows.fails", json={}, params={"wait_for_completion": 20}
    ).json()
    assert failed["status"] == "failed" and failed["errorCode"] is None
    assert api.get(f"/v1/runs/{failed['runId']}").json()["errorCode"] is None


def test_the_cli_exits_5_for_a_run_over_its_deadline(server):
    done = openpal(server, "run", "workflows.deadline")
    assert done.returncode == 5, (done.returncode, done.stdout, done.stderr)
    assert "run timed out" in done.stderr
    run_id = done.stdout.split()[0]
    watched = openpal(server, "runs", "watch", run_id)
    assert watched.returncode == 5
    assert openpal(server, "run", "workflows.fails").returncode == 1
