"""Strict checks of /v1 bodies against eigenpal 0.20.93's own generated models.

`Model.from_dict` is strict about required keys (`KeyError`) and enums (`ValueError`), but
its union fields (`execution`, `usage`, `humanReview`, ...) fall back to the raw dict when a
member does not parse. Each check here therefore parses those members with their model
explicitly, and adds the type checks the models leave out (`cast` checks nothing).
"""

from __future__ import annotations

import json
from typing import Any

from eigenpal._generated import models as M
from eigenpal._generated.models import ExecutionStatus

TERMINAL = {"completed", "failed", "cancelled", "rejected"}


class ShapeError(AssertionError):
    """A body that the SDK's published schema rejects."""


def parse(model: str, body: Any) -> Any:
    """`<model>.from_dict(body)`, its error turned into one that names model and body."""
    cls = getattr(M, model)
    if not isinstance(body, dict):
        raise ShapeError(f"{model}: expected a JSON object, got {_short(body)}")
    try:
        return cls.from_dict(body)
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        raise ShapeError(f"{model}.from_dict: {type(e).__name__}: {e}; body={_short(body)}") from e


def expect(cond: object, message: str) -> None:
    """An assertion that survives `python -O` and says what was wrong."""
    if not cond:
        raise AssertionError(message)


def _short(body: Any) -> str:
    text = json.dumps(body, default=str)
    return text if len(text) <= 1500 else text[:1500] + "…"


def _types(body: dict[str, Any], where: str, **types: type | tuple[type, ...]) -> None:
    for key, kind in types.items():
        expect(
            isinstance(body.get(key), kind),
            f"{where}.{key} is {body.get(key)!r}, expected {kind}",
        )


def _core(body: dict[str, Any], model: str) -> None:
    """The keys every Run and RunListItem share, beyond what `from_dict` checks."""
    parse(model, body)
    _types(body, model, id=str, finished=bool, tags=list, sampleRank=(int, float))
    expect(all(isinstance(t, str) for t in body["tags"]), f"{model}.tags: {body['tags']!r}")
    expect(0 <= body["sampleRank"] < 1, f"{model}.sampleRank {body['sampleRank']} not in [0,1)")
    expect(body["type"] == "workflow", f"{model}.type {body['type']!r}")
    expect(isinstance(body["timing"]["createdAt"], str), f"{model}.timing: {body['timing']}")
    execution = body["execution"]
    parse("RunExecutionMeta", execution)
    status = execution["status"]
    expect(body["finished"] == (status in TERMINAL), f"finished={body['finished']} for {status}")
    if execution.get("humanReview") is not None:
        parse("RunHumanReviewSummary", execution["humanReview"])
    _types(body["source"], f"{model}.source", id=str)


def run(body: Any, expand: tuple[str, ...] = ()) -> Any:
    """A full `Run` (GET /v1/runs/{id}, a start or rerun answered 200)."""
    _core(body, "Run")
    for f in body.get("files") or []:
        parse("RunArtifact", f)
    if "execution" in expand:
        parse("WorkflowRunExecution", body["execution"])
        for step in body["execution"]["steps"]:
            expect(isinstance(step, dict) and isinstance(step.get("id"), str), f"step {step}")
            expect(isinstance(step.get("name"), str), f"step without a name: {step}")
    if "input" in expand:
        expect("input" in body, f"expand=input but no input: {_short(body)}")
        parse("RunInput", body["input"])
    if "usage" in expand:
        expect("usage" in body, f"expand=usage but no usage: {_short(body)}")
        if body["usage"] is not None:
            usage(body["usage"])
    return body


def usage(body: Any) -> None:
    parse("RunUsage", body)
    parse("RunUsageTokens", body["tokens"])
    _types(body, "RunUsage", durationMs=(int, float), creditsCharged=(int, float))


def accepted(body: Any) -> Any:
    """`RunAccepted` (a start or rerun answered 201/202)."""
    parse("RunAccepted", body)
    _types(body, "RunAccepted", id=str, finished=bool)
    expect(body["type"] == "workflow", f"RunAccepted.type {body['type']!r}")
    return body


def runs_list(body: Any) -> list[dict[str, Any]]:
    parse("RunsListResponse", body)
    expect(body["nextCursor"] is None or isinstance(body["nextCursor"], str), "nextCursor")
    for item in body["runs"]:
        _core(item, "RunListItem")
        for key in ("output", "files", "input", "usage", "debug"):
            expect(key not in item, f"RunListItem carries {key!r}")
    return list(body["runs"])


def cancel(body: Any) -> Any:
    parse("RunCancelResponse", body)
    parse("RunCancelResponseCancellation", body["cancellation"])
    parse("RunCancelResponseExecution", body["execution"])
    ExecutionStatus(body["cancellation"]["wasStatus"])
    return body


def error(exc: Any) -> dict[str, Any]:
    """The envelope an SDK exception carries (`ApiErrorEnvelope`, issues each complete)."""
    envelope = exc.envelope
    parse("ApiErrorEnvelope", envelope)
    for issue in envelope["issues"]:
        parse("ApiErrorIssue", issue)
    expect(envelope["requestId"].startswith("req_"), f"requestId {envelope['requestId']}")
    return dict(envelope)


def file(body: Any) -> Any:
    parse("File", body)
    _types(body, "File", id=str, size=int, filename=str, contentType=str)
    return body


def negotiation(body: Any) -> Any:
    """The answer to POST /v1/files/uploads, parsed as the transport it names."""
    kinds = {
        "multipart": "MultipartFileUploadFallback",
        "http-chunked": "HttpChunkedFileUploadSession",
        "presigned-put": "PresignedFileUploadSession",
        "presigned-multipart": "PresignedMultipartFileUploadSession",
    }
    expect(body.get("transport") in kinds, f"unknown transport: {_short(body)}")
    return parse(kinds[body["transport"]], body)


def review_task(body: Any) -> dict[str, Any]:
    """`{task: HumanReviewTaskDetail}` (get, approve and reject all answer this)."""
    parse("HumanReviewTaskResponse", body)
    task = body["task"]
    parse("HumanReviewTaskDetail", task)
    return dict(task)


def selftest(sc: Any) -> None:
    """These checks themselves: a valid body passes, each kind of wrong body is caught."""
    meta = {"status": "completed", "schemaValid": None, "batchId": None}
    meta["retry"] = {"number": 0, "previousRunId": None, "nextRun": None}
    good = {
        "id": "exec_1",
        "type": "workflow",
        "finished": True,
        "tags": [],
        "sampleRank": 0.5,
        "timing": dict.fromkeys(("startedAt", "completedAt", "durationMs", "cancelRequestedAt")),
        "source": {"id": "wf_1", "name": "hello", "version": "1.0.0"},
        "trigger": {"type": "api", "by": None},
        "execution": meta,
    }
    good["timing"]["createdAt"] = "2026-01-01T00:00:00Z"
    with sc.check("a valid Run passes"):
        run(good)
    review = {"taskId": "t", "sourceKind": "workflow_step", "sourceLabel": "x", "status": "pending"}
    usage = {"tokens": {"input": 0, "output": 0, "cacheRead": 0}, "creditsCharged": 0}
    wrong: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
        "a missing required key": ({k: v for k, v in good.items() if k != "tags"}, ()),
        "an unknown status": ({**good, "execution": {**meta, "status": "done"}}, ()),
        "finished that contradicts the status": ({**good, "finished": False}, ()),
        "a sampleRank of 1": ({**good, "sampleRank": 1}, ()),
        "an incomplete humanReview": ({**good, "execution": {**meta, "humanReview": review}}, ()),
        "expand=execution without steps": (good, ("execution",)),
        "expand=usage with incomplete usage": ({**good, "usage": usage}, ("usage",)),
        "expand=input without input": (good, ("input",)),
    }
    for name, (body, expand) in wrong.items():
        with sc.check(f"rejects {name}"):
            try:
                run(body, expand)
            except AssertionError:
                continue
            raise AssertionError(f"accepted {name}")
    with sc.check("rejects a list item with output, and an unknown cancel state"):
        for bad, check in (
            ({"runs": [{**good, "output": 1}], "nextCursor": None}, runs_list),
            ({**good, "cancellation": {"state": "gone", "wasStatus": "running"}}, cancel),
        ):
            try:
                check(bad)
            except AssertionError:
                continue
            raise AssertionError(f"accepted {bad}")
