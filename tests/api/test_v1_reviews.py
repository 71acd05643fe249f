"""`/v1/human-reviews` and `/v1/auth/check` over a real socket against a live `openpal
serve` of this module's own (its waiting runs are all this module's), on both backends.
Bodies are checked with the official 0.20.93 SDK's generated models, and the SDK's own
`human_reviews` and `auth` facades are driven against the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_runs import assert_envelope
from tests.conftest import TEST_WORKFLOWS, Server, start_server
from tests.v1_models import assert_models, current_sdk_python

REVIEW_DOC = """\
name: review-doc
inputs:
  - {name: doc, type: file}
  - {name: note, type: string, default: weekly}
steps:
  - name: write
    type: python
    with: {function: "wf_steps:report", args: {title: "{{ input.note }}"}}
  - name: sign-off
    type: control.approval
    with: {message: "Is {{ input.doc.name }} fine? ({{ steps.write.output.title }})"}
output: "{{ steps.sign-off.output }}"
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("review-workflows")
    for name in ("approval.yaml", "wait.yaml", "wf_steps.py"):
        shutil.copy(TEST_WORKFLOWS / name, folder / name)
    (folder / "review-doc.yaml").write_text(REVIEW_DOC)
    server = start_server(
        tmp_path_factory.mktemp("reviews"), workflows=folder, database_url=module_db_url
    )
    yield server
    server.stop()


@pytest.fixture
def api(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


def _other_tenant(srv: Server) -> httpx.Client:
    made = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", "elsewhere",
         "--name", "theirs", "--data-dir", str(srv.data_dir)],
        capture_output=True, text=True, env=srv.env(), check=True,
    )  # fmt: skip
    return httpx.Client(
        base_url=srv.base_url, headers={"Authorization": f"Bearer {made.stdout.strip()}"}
    )


def _start(api: httpx.Client, target: str = "workflows.approval", **inp: object) -> str:
    resp = api.post("/v1/runs", json={"target": target, "input": inp or {"amount": 120}})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _until(api: httpx.Client, run_id: str, statuses: tuple[str, ...], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/v1/runs/{run_id}").json()
        if run["execution"]["status"] in statuses:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.03)


def _waiting_task(api: httpx.Client, **inp: object) -> tuple[str, str]:
    run_id = _start(api, **inp)
    run = _until(api, run_id, ("waiting",))
    return run_id, run["execution"]["humanReview"]["taskId"]


def _all_pending(api: httpx.Client, **query: object) -> list[dict]:
    tasks, cursor = [], None
    while True:
        page = api.get(
            "/v1/human-reviews", params={**query, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        tasks += body["tasks"]
        cursor = body["nextCursor"]
        if cursor is None:
            return tasks


def test_a_waiting_run_is_a_pending_task(api):
    run_id, task_id = _waiting_task(api, amount=120)
    assert task_id == f"hrt_{run_id.removeprefix('exec_')}_0"
    listed = api.get("/v1/human-reviews", params={"automationId": "approval"}).json()
    row = next(t for t in listed["tasks"] if t["id"] == task_id)
    assert row["executionId"] == run_id and row["automationName"] == "approval"
    assert row["automationId"].startswith("wf_") and row["sourceLabel"] == "review"
    assert (row["status"], row["version"], row["requiredCount"]) == ("pending", 1, 0)
    body = api.get(f"/v1/human-reviews/{task_id}").json()
    task = body["task"]
    assert task["instructions"] == "Approve 120?" and task["files"] == []
    assert task["input"] == {"status": "available", "data": {"amount": 120, "minutes": 60}}
    assert task["decisions"] == [] and task["requiredPaths"] == [] and task["completedAt"] is None
    assert task["expiresAt"] is not None and task["createdAt"] == row["createdAt"]
    assert_models(("HumanReviewListResponse", listed), ("HumanReviewTaskResponse", body))


def test_approve_continues_the_run_then_the_task_is_approved(api):
    run_id, task_id = _waiting_task(api, amount=7)
    resp = api.post(
        f"/v1/human-reviews/{task_id}/approve", json={"expectedVersion": 1, "output": {"by": "ann"}}
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["task"]["status"], resp.json()["task"]["version"]) == ("approved", 2)
    run = _until(api, run_id, ("completed", "failed", "rejected"))
    assert run["execution"]["status"] == "completed"
    assert run["output"] == {"approved_by": "ann", "amount": 7}
    later = api.get(f"/v1/human-reviews/{task_id}").json()
    assert later["task"]["status"] == "approved" and later["task"]["completedAt"] is not None
    # the times the run recorded: when it paused at the step, when the person decided
    events = api.get(f"/v1/runs/{run_id}/events").json()["events"]
    waited = [e["timestamp"] for e in events if e["type"] == "run.waiting"]
    decided = [e["timestamp"] for e in events if e["type"] == "run.decision"]
    assert later["task"]["createdAt"] == waited[-1]
    assert later["task"]["completedAt"] == decided[-1]
    assert task_id not in [t["id"] for t in _all_pending(api)]
    # deciding twice: 409, whichever way
    assert_envelope(api.post(f"/v1/human-reviews/{task_id}/approve", json={}), 409)
    assert_envelope(api.post(f"/v1/human-reviews/{task_id}/reject", json={"reason": "x"}), 409)
    assert_models(("HumanReviewApproveResponse", resp.json()), ("HumanReviewTaskResponse", later))


def test_reject_ends_the_run_rejected_with_the_reason(api):
    run_id, task_id = _waiting_task(api, amount=9000)
    body = {"expectedVersion": 1, "idempotencyKey": "k-1", "reason": "too expensive"}
    resp = api.post(f"/v1/human-reviews/{task_id}/reject", json=body)
    assert resp.status_code == 200, resp.text
    task = resp.json()["task"]
    assert (task["status"], task["outcomeReason"], task["version"]) == (
        "rejected",
        "too expensive",
        2,
    )
    run = api.get(f"/v1/runs/{run_id}").json()
    assert run["execution"]["status"] == "rejected"
    assert run["error"] == "rejected by reviewer: too expensive"
    # the same reject again (a retry): its answer, not a conflict
    again = api.post(f"/v1/human-reviews/{task_id}/reject", json=body)
    assert again.status_code == 200 and again.json()["task"]["status"] == "rejected"
    assert_envelope(
        api.post(f"/v1/human-reviews/{task_id}/reject", json={"reason": "too expensive"}), 409
    )
    other = {**body, "reason": "something else"}
    assert_envelope(api.post(f"/v1/human-reviews/{task_id}/reject", json=other), 409)
    assert_envelope(api.post(f"/v1/human-reviews/{task_id}/approve"), 409)
    assert_models(
        ("HumanReviewRejectResponse", resp.json()), ("HumanReviewRejectResponse", again.json())
    )


def test_a_stale_version_is_a_conflict_and_bad_bodies_name_the_field(api):
    run_id, task_id = _waiting_task(api, amount=3)
    body = assert_envelope(
        api.post(f"/v1/human-reviews/{task_id}/approve", json={"expectedVersion": 2}), 409
    )
    assert "version 1, not 2" in body["issues"][0]["message"]
    assert_envelope(
        api.post(f"/v1/human-reviews/{task_id}/reject", json={"expectedVersion": 0}), 409
    )
    url = f"/v1/human-reviews/{task_id}"
    assert_envelope(
        api.post(f"{url}/approve", json={"expectedVersion": "1"}), 400, "expectedVersion"
    )
    assert_envelope(
        api.post(f"{url}/approve", json={"expectedVersion": True}), 400, "expectedVersion"
    )
    assert_envelope(api.post(f"{url}/approve", json={"note": 1}), 400, "note")
    assert_envelope(api.post(f"{url}/approve", json=[1]), 400, "<body>")
    assert_envelope(
        api.post(f"{url}/approve", content=b"{oops", headers={"content-type": "application/json"}),
        400,
        "<body>",
    )
    assert_envelope(api.post(f"{url}/reject", json={"reason": "x" * 2001}), 400, "reason")
    assert_envelope(api.post(f"{url}/reject", json={"reason": 5}), 400, "reason")
    assert_envelope(api.post(f"{url}/reject", json={"idempotencyKey": ""}), 400, "idempotencyKey")
    # nothing above changed the task
    assert api.get(url).json()["task"]["status"] == "pending"
    assert api.get(f"/v1/runs/{run_id}").json()["execution"]["status"] == "waiting"


def test_list_filters_and_pages_oldest_first(api):
    mine = [_waiting_task(api, amount=i)[1] for i in range(3)]
    doc = api.post(
        "/api/v1/run/workflows.review-doc", files={"doc": ("a.txt", b"hello", "text/plain")}
    ).json()["runId"]
    doc_task = _until(api, doc, ("waiting",))["execution"]["humanReview"]["taskId"]
    everything = [t["id"] for t in _all_pending(api, limit=2)]
    assert len(everything) == len(set(everything))
    positions = [everything.index(t) for t in [*mine, doc_task]]
    assert positions == sorted(positions)  # oldest first, across pages
    page = api.get("/v1/human-reviews", params={"limit": 2}).json()
    assert len(page["tasks"]) == 2 and page["nextCursor"]
    wf_id = api.get("/v1/human-reviews/" + mine[0]).json()["task"]["automationId"]
    for ref in ("approval", "workflows.approval", wf_id):
        ids = [t["id"] for t in _all_pending(api, automationId=ref)]
        assert set(mine) <= set(ids) and doc_task not in ids, ref
    assert [t["id"] for t in _all_pending(api, automationId="review-doc")] == [doc_task]
    assert_envelope(api.get("/v1/human-reviews", params={"automationId": "nope"}), 404)
    assert api.get("/v1/human-reviews", params={"waitingBefore": "now()-1h"}).json() == {
        "tasks": [],
        "nextCursor": None,
    }
    later = [t["id"] for t in _all_pending(api, waitingBefore="2999-01-01T00:00:00Z")]
    assert set(mine) | {doc_task} <= set(later)
    for params, field in (
        ({"waitingBefore": "yesterday"}, "query.waitingBefore"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"limit": "x"}, "query.limit"),
        ({"cursor": "!!"}, "query.cursor"),
        ({"status": "pending"}, "query.status"),
        ({"automationId": ["a", "b"]}, "query.automationId"),
    ):
        assert_envelope(api.get("/v1/human-reviews", params=params), 400, field)


def test_unknown_and_foreign_tasks_are_404(api, srv):
    run_id, task_id = _waiting_task(api, amount=1)
    body_run = run_id.removeprefix("exec_")
    for bad in ("hrt_nope", "nope", f"hrt_{body_run}_1", f"hrt_{body_run}_99", "hrt_x_y_0"):
        assert_envelope(api.get(f"/v1/human-reviews/{bad}"), 404)
        assert_envelope(api.post(f"/v1/human-reviews/{bad}/approve"), 404)
        assert_envelope(api.post(f"/v1/human-reviews/{bad}/reject"), 404)
    timer = _start(api, "workflows.wait", seconds=30)
    _until(api, timer, ("waiting",))
    assert_envelope(api.get(f"/v1/human-reviews/hrt_{timer.removeprefix('exec_')}_1"), 404)
    with _other_tenant(srv) as other:
        assert_envelope(other.get(f"/v1/human-reviews/{task_id}"), 404)
        assert_envelope(other.post(f"/v1/human-reviews/{task_id}/approve"), 404)
        assert_envelope(other.post(f"/v1/human-reviews/{task_id}/reject"), 404)
        assert other.get("/v1/human-reviews").json() == {"tasks": [], "nextCursor": None}
        check = other.get("/v1/auth/check").json()
        assert (check["tenantId"], check["name"]) == ("elsewhere", "theirs")
    assert api.get(f"/v1/human-reviews/{task_id}").json()["task"]["status"] == "pending"
    api.post(f"/v1/runs/{timer}/cancel")


def test_timed_out_and_cancelled_tasks_say_so(api):
    run_id = _start(api, amount=5, minutes=0.01)  # 0.6 s
    _until(api, run_id, ("rejected",))
    task = api.get(f"/v1/human-reviews/hrt_{run_id.removeprefix('exec_')}_0").json()["task"]
    assert task["status"] == "rejected"
    assert task["outcomeReason"] == "approval timed out after 0.01 minutes without a decision"
    run_id, task_id = _waiting_task(api, amount=6)
    assert api.post(f"/v1/runs/{run_id}/cancel").json()["cancellation"]["state"] == "cancelled"
    body = api.get(f"/v1/human-reviews/{task_id}").json()
    assert body["task"]["status"] == "cancelled" and body["task"]["completedAt"] is not None
    assert_envelope(api.post(f"/v1/human-reviews/{task_id}/approve"), 409)
    assert_models(("HumanReviewTaskResponse", body))


def test_files_on_the_task_and_no_field_review(api):
    resp = api.post(
        "/api/v1/run/workflows.review-doc",
        files={"doc": ("memo.txt", b"please sign", "text/plain")},
        data={"note": "q3"},
    )
    assert resp.status_code == 201, resp.text
    run = _until(api, resp.json()["runId"], ("waiting",))
    task_id = run["execution"]["humanReview"]["taskId"]
    assert run["execution"]["humanReview"]["sourceLabel"] == "sign-off"
    body = api.get(f"/v1/human-reviews/{task_id}").json()
    task = body["task"]
    assert task["instructions"] == "Is memo.txt fine? (q3)"
    assert task["input"] == {"status": "available", "data": {"note": "q3"}}
    files = {f["artifactPath"]: f for f in task["files"]}
    assert set(files) == {"input/doc", "report.txt", "data/raw.bin", "table.csv"}
    assert files["input/doc"]["role"] == "run_input" and files["input/doc"]["fieldName"] == "doc"
    assert files["report.txt"]["role"] == "attachment"
    url = f"/v1/human-reviews/{task_id}/files"
    got = api.get(f"{url}/{files['input/doc']['fileId']}/content")
    assert got.status_code == 200 and got.content == b"please sign"
    assert got.headers["content-type"].startswith("text/plain")
    assert api.get(f"{url}/{files['report.txt']['fileId']}/content").content == b"Report: q3\n"
    assert_envelope(api.get(f"{url}/sha256:{'0' * 64}/content"), 404)
    assert_envelope(api.get("/v1/human-reviews/hrt_nope_0/files/x/content"), 404)
    assert_envelope(api.put(f"/v1/human-reviews/{task_id}/fields", json={}), 400, "<body>")
    assert_envelope(api.put("/v1/human-reviews/hrt_nope_0/fields", json={}), 404)
    assert_models(("HumanReviewTaskResponse", body))
    done = api.post(f"/v1/human-reviews/{task_id}/approve").json()["task"]
    assert done["status"] == "approved"
    assert _until(api, run["id"], ("completed",))["output"] == {"approved": True}


def test_auth_check(api, srv):
    resp = api.get("/v1/auth/check")
    assert resp.status_code == 200
    body = resp.json()
    assert body["ok"] is True and body["tenantId"] == "default" == body["tenantSlug"]
    assert body["keyId"].startswith("key_") and body["name"] == "default"
    assert body["userId"] is None and body["scope"] == ["*"] and body["wildcardGranted"] is True
    assert_models(("AuthCheckResponse", body))
    for headers in ({"Authorization": "Bearer opk_wrong"}, {}):
        bad = httpx.get(f"{srv.base_url}/v1/auth/check", headers=headers)
        assert_envelope(bad, 401)
        assert_envelope(httpx.get(f"{srv.base_url}/v1/human-reviews", headers=headers), 401)


SDK_SCRIPT = r"""
import json, sys, time
from eigenpal import EigenpalClient, EigenpalAuthError, EigenpalError
from eigenpal._generated import models

base, key = sys.argv[1], sys.argv[2]
client = EigenpalClient(api_key=key, base_url=base)
out = {}
check = client.auth.check()
models.AuthCheckResponse.from_dict(dict(check))
out["tenant"] = check["tenantId"]

def waiting_task(amount):
    started = client.run("workflows.approval", {"amount": amount})
    for _ in range(600):
        run = client.runs.get(started["id"])
        review = (run.get("execution") or {}).get("humanReview")
        if review:
            models.RunHumanReviewSummary.from_dict(dict(review))
            return started["id"], review["taskId"]
        time.sleep(0.05)
    raise AssertionError("never waited")

def plain(value):
    return json.loads(json.dumps(value))

run_a, task_a = waiting_task(11)
listed = client.human_reviews.list(automationId="workflows.approval", limit=100)
models.HumanReviewListResponse.from_dict(plain(listed))
out["listed"] = task_a in [t["id"] for t in listed["tasks"]]
got = client.human_reviews.get(task_a)
models.HumanReviewTaskResponse.from_dict(plain(got))
approved = client.human_reviews.approve(task_a, {"expectedVersion": got["task"]["version"]})
models.HumanReviewApproveResponse.from_dict(plain(approved))
out["approved"] = approved["task"]["status"]
for _ in range(600):
    final = client.runs.get(run_a)
    if final["finished"]:
        break
    time.sleep(0.05)
out["approved_run"] = final["execution"]["status"]
try:
    client.human_reviews.approve(task_a, {"expectedVersion": 1})
    out["twice"] = "accepted"
except EigenpalError as exc:
    out["twice"] = exc.status

run_b, task_b = waiting_task(12)
rejected = client.human_reviews.reject(
    task_b, {"expectedVersion": 1, "idempotencyKey": "sdk-1", "reason": "no budget"}
)
models.HumanReviewRejectResponse.from_dict(plain(rejected))
out["rejected"] = rejected["task"]["status"]
ended = client.runs.get(run_b)
out["rejected_run"] = [ended["execution"]["status"], ended["error"]]
try:
    EigenpalClient(api_key="opk_wrong", base_url=base).auth.check()
    out["bad_key"] = "accepted"
except EigenpalAuthError:
    out["bad_key"] = "EigenpalAuthError"
print(json.dumps(out))
"""


def test_the_official_sdk_drives_reviews_and_auth(srv):
    python = current_sdk_python()
    done = subprocess.run(
        [python, "-c", SDK_SCRIPT, srv.base_url, srv.api_key],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {
        "tenant": "default",
        "listed": True,
        "approved": "approved",
        "approved_run": "completed",
        "twice": 409,
        "rejected": "rejected",
        "rejected_run": ["rejected", "rejected by reviewer: no budget"],
        "bad_key": "EigenpalAuthError",
    }
