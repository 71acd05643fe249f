"""Scenarios `parts` (what happened inside a run) and `reviews` (human-review tasks)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import shapes
from eigenpal.client import AttrDict
from shapes import TERMINAL, expect

ARTIFACTS = {
    "report.txt": b"Report: compat\n",
    "data/raw.bin": bytes(range(256)) * 4,
    "table.csv": b"a,b\n1,2\n",
}


def parts(sc: Any) -> None:
    c = sc.client
    ok: Any = AttrDict(id="exec_missing")
    steps: list[Any] = [{"id": "missing"}, {"id": "missing"}]
    with sc.check("runs.steps → RunStepsResponse"):
        ok = shapes.run(c.run("workflows.hello", {"name": "Steps"}, wait_for_completion=30))
        body = c.runs.steps(ok.id)
        shapes.parse("RunStepsResponse", body)
        steps = list(body["steps"])
        expect(body["total"] == len(steps) == 2, f"steps {body}")
        expect([s["name"] for s in steps] == ["greet", "summary"], f"steps {steps}")
        expect(all(isinstance(s.get("id"), str) for s in steps), f"step ids {steps}")
        expect(all(s["status"] == "completed" for s in steps), f"steps {steps}")
        expect("output" not in steps[0] and "input" not in steps[0], "slim rows carry payloads")
    with sc.check("runs.get_step → the step with input and output; ids stable"):
        step = c.runs.get_step(ok.id, steps[0]["id"])
        expect(step["id"] == steps[0]["id"] and step["name"] == "greet", f"step {step}")
        expect("input" in step, f"step has no input: {step}")
        expect(step["output"] == {"text": "Hello, Steps!"}, f"step output {step.get('output')}")
        expanded = c.runs.get(ok.id, expand="execution")
        shapes.run(expanded, ("execution",))
        got = [s["id"] for s in expanded.execution.steps]
        expect(got == [s["id"] for s in steps], f"expand=execution ids {got} != steps ids")
        expect(c.runs.get_step(ok.id, steps[1]["id"])["name"] == "summary", "second step")
    with sc.check("runs.events → RunEventsResponse, in time order"):
        events = c.runs.events(ok.id)
        shapes.parse("RunEventsResponse", events)
        rows = events["events"]
        times = [e["timestamp"] for e in rows]
        expect(times == sorted(times), f"events out of order: {times}")
        expect("created" in rows[0]["type"] and "started" in rows[1]["type"], f"{rows[:2]}")
        expect(rows[-1].get("status") == "completed", f"the last event is not the end: {rows}")
        for name in ("greet", "summary"):
            mine = [e for e in rows if name in json.dumps([e.get("message"), e.get("metadata")])]
            expect(len(mine) >= 2, f"no start and end events of step {name}: {rows}")
    with sc.check("runs.usage → RunUsageResponse"):
        body = c.runs.usage(ok.id)
        shapes.parse("RunUsageResponse", body)
        shapes.usage(body["usage"])
        tokens = body["usage"]["tokens"]
        expect(set(tokens.values()) == {0}, f"a workflow without model steps used {tokens}")
    with sc.check("runs.usage counts the tokens a step reported, retries included"):
        m = c.run("workflows.metered", {"prompt": 100, "fail_first": True}, wait_for_completion=30)
        expect(shapes.run(m).execution.status == "completed", f"metered {m}")
        body = c.runs.usage(m.id)
        shapes.parse("RunUsageResponse", body)
        shapes.usage(body["usage"])
        tokens = body["usage"]["tokens"]
        want = {"input": 300, "output": 60, "cacheRead": 2, "cacheWrite": 0}
        expect(tokens == want, f"tokens {tokens} != {want} (one call, a retry, two calls)")
        kinds = [e["type"] for e in c.runs.events(m.id)["events"]]
        expect(any("retr" in k for k in kinds), f"no retry in events {kinds}")
    with sc.check("runs.trace.get → RunTraceResponse"):
        body = c.runs.trace.get(ok.id)
        shapes.parse("RunTraceResponse", body)
        expect(len(body["events"]) >= 1, f"empty trace {body}")
    with sc.check("runs.scores.list → RunScoresResponse (empty)"):
        body = c.runs.scores.list(ok.id)
        shapes.parse("RunScoresResponse", body)
        expect(body["scores"] == [], f"scores {body}")
    _artifacts(sc, c)
    _failure(sc, c)


def _artifacts(sc: Any, c: Any) -> None:
    art: Any = AttrDict(id="exec_missing")
    with sc.check("runs.artifacts.list → RunArtifactsResponse; Run.files"):
        art = shapes.run(c.run("workflows.artifacts", {"title": "compat"}, wait_for_completion=30))
        listed = c.runs.artifacts.list(art.id)
        shapes.parse("RunArtifactsResponse", listed)
        paths = sorted(a["path"] for a in listed["artifacts"])
        expect(paths == sorted(ARTIFACTS), f"artifact paths {paths}")
        files = sorted(f["path"] for f in art.get("files") or [])
        expect(files == paths, f"Run.files {files} != artifacts {paths}")
    with sc.check("runs.artifacts.download each artifact"):
        for path, content in ARTIFACTS.items():
            got = c.runs.artifacts.download(art.id, path)
            expect(got == content, f"{path}: {got[:80]!r}")


def _failure(sc: Any, c: Any) -> None:
    with sc.check("a failed step's traceback is reachable through runs.get_step"):
        f = shapes.run(c.run("workflows.fails", {"message": "compat boom"}, wait_for_completion=30))
        expect(f.execution.status == "failed" and "compat boom" in (f.error or ""), f"{f}")
        steps = c.runs.steps(f.id)["steps"]
        by_name = {s["name"]: s for s in steps}
        expect(by_name["boom"]["status"] == "failed", f"steps {steps}")
        expect(by_name["before"]["status"] == "completed", f"steps {steps}")
        boom = json.dumps(c.runs.get_step(f.id, by_name["boom"]["id"]))
        expect("Traceback (most recent call last)" in boom, f"no traceback in {boom[:800]}")
        expect("ValueError: compat boom" in boom and "wf_steps.py" in boom, boom[:800])
        events = json.dumps(c.runs.events(f.id))
        expect("compat boom" in events, f"events do not say what failed: {events[:800]}")


def _waiting(sc: Any, amount: int) -> tuple[str, dict[str, Any]]:
    """Start approval.yaml, wait until it waits; (run id, its execution.humanReview)."""
    started = sc.client.run("workflows.approval", {"amount": amount})
    run = shapes.run(sc.poll(started.id, {"waiting"}, 20))
    review = run.execution.get("humanReview")
    expect(review is not None, f"a waiting run without execution.humanReview: {run.execution}")
    expect(review["sourceKind"] == "workflow_step" and review["status"] == "pending", review)
    expect(review["sourceLabel"] == "review" and review["requiredCount"] == 0, f"{review}")
    return started.id, review


def reviews(sc: Any) -> None:
    c = sc.client
    waiting: list[tuple[str, dict[str, Any]]] = []
    tasks: list[str] = []
    with sc.check("a waiting run carries execution.humanReview"):
        waiting = [_waiting(sc, 75), _waiting(sc, 9000)]
        tasks = [review["taskId"] for _, review in waiting]
    with sc.check("the waiting is in the run's events"):
        rows = c.runs.events(waiting[0][0])["events"]
        expect(
            any("waiting" in (e["type"], e.get("status")) or "wait" in e["type"] for e in rows),
            f"{rows}",
        )
    with sc.check("human_reviews.list: pending tasks, oldest first, filters, cursor"):
        listed = c.human_reviews.list()
        shapes.parse("HumanReviewListResponse", listed)
        mine = [t for t in listed["tasks"] if t["id"] in tasks]
        expect([t["id"] for t in mine] == tasks, f"list {listed}")
        expect([t["executionId"] for t in mine] == [r for r, _ in waiting], f"list {mine}")
        expect(all(t["status"] == "pending" and t["automationName"] for t in mine), f"{mine}")
        automation = mine[0]["automationId"]
        by_automation = c.human_reviews.list(automationId=automation, limit=50)
        expect([t["id"] for t in by_automation["tasks"]] == tasks, f"{by_automation}")
        other = c.human_reviews.list(automationId=c.automations.get("workflows.hello").id)
        expect(other["tasks"] == [], f"automationId not applied: {other}")
        old = c.human_reviews.list(waitingBefore="2000-01-01T00:00:00Z")
        expect(old["tasks"] == [], f"waitingBefore not applied: {old}")
        first = c.human_reviews.list(limit=1)
        shapes.parse("HumanReviewListResponse", first)
        expect([t["id"] for t in first["tasks"]] == tasks[:1], f"first page {first}")
        expect(isinstance(first["nextCursor"], str), f"no nextCursor: {first}")
        second = c.human_reviews.list(limit=1, cursor=first["nextCursor"])
        shapes.parse("HumanReviewListResponse", second)
        expect([t["id"] for t in second["tasks"]] == tasks[1:], f"second page {second}")
    with sc.check("human_reviews.get, approve → the run completes"):
        run_id = waiting[0][0]
        task = shapes.review_task(c.human_reviews.get(tasks[0]))
        expect(task["executionId"] == run_id and task["decisions"] == [], f"task {task}")
        body = {"expectedVersion": task["version"]}
        done = shapes.review_task(c.human_reviews.approve(tasks[0], body))
        expect(done["status"] == "approved", f"approved task {done}")
        final = shapes.run(sc.poll(run_id, TERMINAL, 20))
        expect(final.execution.status == "completed", f"{final.execution}")
        expect(final.output["amount"] == 75, f"output {final.output}")
        left = [t["id"] for t in c.human_reviews.list()["tasks"]]
        expect(tasks[0] not in left, f"an approved task is still pending: {left}")
    with sc.check("human_reviews.reject with a reason → the run ends rejected"):
        run_id = waiting[1][0]
        task = shapes.review_task(c.human_reviews.get(tasks[1]))
        body = {
            "expectedVersion": task["version"],
            "idempotencyKey": str(uuid.uuid4()),
            "reason": "too much",
        }
        done = shapes.review_task(c.human_reviews.reject(tasks[1], body))
        expect(done["status"] == "rejected" and done["outcomeReason"] == "too much", f"{done}")
        final = shapes.run(sc.poll(run_id, TERMINAL, 20))
        expect(final.execution.status == "rejected" and final.finished is True, f"{final}")
