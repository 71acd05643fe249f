"""`/v1/runs` over a real socket against a live `openpal serve`, on both backends; every
body is checked with the official 0.20.93 SDK's generated models."""

from __future__ import annotations

import json
import time
import uuid

import httpx

from tests.api.test_runs import assert_envelope
from tests.v1_models import assert_models


def _wait(api: httpx.Client, run_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/v1/runs/{run_id}").json()
        if run["finished"]:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_start_json_then_read_and_expand(api):
    tag = f"t-{uuid.uuid4().hex[:8]}"
    resp = api.post(
        "/v1/runs",
        json={
            "target": "workflows.hello",
            "tags": [tag, "two"],
            "input": {"name": "Ada"},
            "metadata": {"ticket": 42},
        },
    )
    assert resp.status_code == 201, resp.text
    accepted = resp.json()
    assert accepted["id"].startswith("exec_") and accepted["finished"] is False
    assert accepted["source"]["slug"] == "hello"
    run = _wait(api, accepted["id"])
    assert run["execution"]["status"] == "completed" and run["output"] is not None
    assert run["tags"] == [tag, "two"] and 0 <= run["sampleRank"] < 1
    assert "input" not in run and "usage" not in run
    full = api.get(
        f"/v1/runs/{run['id']}", params={"expand": "input,execution,usage,debug,nonsense"}
    ).json()
    assert full["input"] == {"args": {"name": "Ada"}, "metadata": {"ticket": 42}}
    steps = full["execution"]["steps"]
    assert [s["status"] for s in steps] == ["completed"] * len(steps)
    assert steps[0]["id"].startswith("stx_") and full["usage"]["tokens"]["input"] == 0
    assert_models(
        ("RunAccepted", accepted),
        ("Run", run),
        ("Run", full),
        ("WorkflowRunExecution", full["execution"]),
    )


def test_hold_answers_200_run_or_202_accepted(api):
    done = api.post(
        "/v1/runs",
        params={"wait_for_completion": 30},
        json={"target": "hello", "input": {"name": "Bo"}},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["finished"] is True and body["execution"]["status"] == "completed"
    assert body["output"] and body["files"] == []
    slow = api.post(
        "/v1/runs",
        params={"wait_for_completion": 0.5},
        json={"target": "workflows.slow-count", "input": {"seconds": 3}},
    )
    assert slow.status_code == 202 and slow.json()["finished"] is False
    assert_models(("Run", body), ("RunAccepted", slow.json()))
    api.post(f"/v1/runs/{slow.json()['id']}/cancel")


def test_multipart_start_with_json_parts_and_a_file(api):
    files = [
        ("target", (None, "workflows.file-info")),
        ("files.doc", ("note.txt", b"hello file", "text/plain")),
        ("input", (None, json.dumps({}), "application/json")),
        ("tags", (None, json.dumps("mp"), "application/json")),
        ("metadata", (None, json.dumps({"m": 1}), "application/json")),
    ]
    resp = api.post("/v1/runs", params={"wait_for_completion": 30}, files=files)
    assert resp.status_code == 200, resp.text
    run = resp.json()
    assert run["output"]["info"]["size"] == len(b"hello file")
    assert run["tags"] == ["mp"]


def test_list_filters_status_repeated_tag_sort_and_cursor(api):
    tag = f"list-{uuid.uuid4().hex[:8]}"
    ids = []
    for i in range(3):
        resp = api.post(
            "/v1/runs",
            params={"wait_for_completion": 30},
            json={"target": "hello", "input": {"name": f"n{i}"}, "tags": tag},
        )
        ids.append(resp.json()["id"])
    page = api.get("/v1/runs", params={"tag": tag, "limit": 2}).json()
    assert [r["id"] for r in page["runs"]] == ids[::-1][:2] and page["nextCursor"]
    rest = api.get("/v1/runs", params={"tag": tag, "limit": 2, "cursor": page["nextCursor"]})
    assert [r["id"] for r in rest.json()["runs"]] == [ids[0]]
    oldest = api.get("/v1/runs", params={"tag": tag, "sort": "createdAt", "order": "asc"}).json()
    assert [r["id"] for r in oldest["runs"]] == ids
    both = api.get(
        "/v1/runs", params=[("tag", tag), ("status", "failed"), ("status", "completed")]
    ).json()
    assert len(both["runs"]) == 3
    none = api.get("/v1/runs", params={"tag": tag, "status": "failed,cancelled"}).json()
    assert none["runs"] == []
    assert api.get("/v1/runs", params={"tag": tag, "hasExample": "true"}).json()["runs"] == []
    assert_models(("RunsListResponse", page))


def test_unsupported_and_unknown_filters_are_named(api):
    body = assert_envelope(api.get("/v1/runs", params={"reviewStatus": "open"}), 400)
    assert body["issues"][0]["field"] == "query.reviewStatus"
    assert "not supported" in body["issues"][0]["message"]
    assert_envelope(api.get("/v1/runs", params={"from_date": "now()-1d"}), 400, "query.from_date")
    assert_envelope(api.get("/v1/runs", params={"sort": "name"}), 400, "query.sort")
    assert_envelope(api.get("/v1/runs", params={"status": "done"}), 400, "query.status")


def test_bad_start_bodies_are_400_naming_the_field(api):
    assert_envelope(api.post("/v1/runs", json={"input": {}}), 400, "target")
    assert_envelope(api.post("/v1/runs", json={"target": "hello", "inputs": {}}), 400, "inputs")
    assert_envelope(api.post("/v1/runs", json={"target": "hello", "tags": [1]}), 400, "tags")
    assert_envelope(api.post("/v1/runs", json={"target": "hello", "input": []}), 400, "input")
    assert_envelope(
        api.post("/v1/runs", content=b"{nope", headers={"content-type": "application/json"}), 400
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_envelope(
        api.post("/v1/runs", content=deep, headers={"content-type": "application/json"}), 400
    )
    assert_envelope(api.post("/v1/runs", json={"target": "workflows.nope"}), 404, "target")
    assert_envelope(api.post("/v1/runs", json={"target": "agents.bot"}), 404)
    bad_part = [("target", (None, "hello")), ("inputs", (None, "{}"))]
    assert_envelope(api.post("/v1/runs", files=bad_part), 400, "inputs")
    broken = api.post(
        "/v1/runs",
        content=b'--x\r\nContent-Disposition: form-data; name="target"\r\n\r\nhello',
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert_envelope(broken, 400)
    unknown_file = {"target": "file-info", "input": {"doc": {"$fileId": "file_nope"}}}
    assert_envelope(api.post("/v1/runs", json=unknown_file), 404)


def test_cancel_states_and_rerun(api):
    slow = api.post("/v1/runs", json={"target": "slow-count", "input": {"seconds": 5}}).json()["id"]
    deadline = time.monotonic() + 20
    while api.get(f"/v1/runs/{slow}").json()["execution"]["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first = api.post(f"/v1/runs/{slow}/cancel").json()
    assert first["cancellation"] == {"state": "requested", "wasStatus": "running"}
    final = _wait(api, slow)
    assert final["execution"]["status"] == "cancelled"
    again = api.post(f"/v1/runs/{slow}/cancel").json()
    assert again["cancellation"]["state"] == "already_terminal" and again["finished"]
    assert_models(("RunCancelResponse", first), ("RunCancelResponse", again))

    done = api.post(
        "/v1/runs", params={"wait_for_completion": 30}, json={"target": "hello", "tags": "r"}
    ).json()
    rerun = api.post(f"/v1/runs/{done['id']}/rerun", params={"wait_for_completion": 30})
    assert rerun.status_code == 200, rerun.text
    body = rerun.json()
    assert body["execution"]["retry"]["previousRunId"] == done["id"] and body["tags"] == ["r"]
    original = api.post(f"/v1/runs/{done['id']}/rerun", params={"version": "original"})
    assert (
        original.status_code == 201
        and original.json()["source"]["versionId"] == done["source"]["versionId"]
    )
    assert_envelope(api.post(f"/v1/runs/{done['id']}/rerun", params={"version": "9.9.9"}), 404)
    assert_envelope(api.post("/v1/runs/exec_nope/cancel"), 404)
    assert_models(("Run", body), ("RunAccepted", original.json()))


def test_v1_needs_a_key(server):
    resp = httpx.get(f"{server.base_url}/v1/runs", headers={"Authorization": "Bearer opk_wrong"})
    assert_envelope(resp, 401)


def test_expand_usage_carries_the_tokens_a_step_reported(api):
    resp = api.post(
        "/v1/runs",
        params={"wait_for_completion": 30},
        json={"target": "metered", "input": {"prompt": 100, "completion": 20}},
    )
    assert resp.status_code == 200, resp.text
    run = api.get(f"/v1/runs/{resp.json()['id']}", params={"expand": "usage"}).json()
    assert run["usage"]["tokens"]["input"] == 200 and run["usage"]["tokens"]["output"] == 40
    assert run["usage"] == api.get(f"/v1/runs/{run['id']}/usage").json()["usage"]
    assert_models(("Run", run), ("RunUsage", run["usage"]))
