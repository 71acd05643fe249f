"""`/v1/human-reviews`: the runs waiting at a `control.approval` step (or at an
`ai.extract` step whose extraction was refused, `on_refusal: review`), as review tasks a
person lists, reads, approves (the run continues) or rejects (the run ends `rejected`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from openpal.api.context import JSON, run_service, tenant_of
from openpal.api.declare import Doc, Param, route
from openpal.api.runs import _optional_json
from openpal.api.v1.review_shapes import task_detail, task_summary
from openpal.engine.dates import parse_when, to_micros
from openpal.errors import InvalidInput, Issue, NotFound
from openpal.service.reviews import ReviewService

MAX_LIMIT, DEFAULT_LIMIT = 100, 50
MAX_REASON = 2000
LIST_PARAMS = (
    Param("automationId", "Tasks of one workflow: `wf_…`, `workflows.<slug>` or the slug"),
    Param("waitingBefore", "Waiting since before this time: ISO-8601, now(), now()-1h, …"),
    Param("cursor", "nextCursor of the previous page"),
    Param(
        "limit",
        f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
        "integer",
        minimum=1,
        maximum=MAX_LIMIT,
    ),
)


def _reviews(request: Request) -> ReviewService:
    return ReviewService(run_service(request))


def _list_query(request: Request) -> dict[str, Any]:
    known = {p.name for p in LIST_PARAMS}
    issues, found = [], {}
    for name in dict.fromkeys(request.query_params.keys()):
        values = request.query_params.getlist(name)
        if name not in known:
            issues.append(
                Issue(
                    f"query.{name}",
                    f"unknown parameter; supported: {', '.join(sorted(known))}",
                    "unknown_filter",
                )
            )
        elif len(values) > 1:
            issues.append(Issue(f"query.{name}", "given more than once"))
        elif values[0] != "":
            found[name] = values[0]
    out: dict[str, Any] = {"automation": found.get("automationId"), "cursor": found.get("cursor")}
    raw = found.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        issues.append(
            Issue("query.limit", f"must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
        )
    else:
        out["limit"] = int(raw)
    if "waitingBefore" in found:
        try:
            out["waiting_since_to"] = to_micros(
                parse_when(found["waitingBefore"], datetime.now(UTC))
            )
        except (ValueError, OverflowError) as exc:
            issues.append(Issue("query.waitingBefore", str(exc)))
    if issues:
        raise InvalidInput(issues)
    return out


async def list_tasks(request: Request) -> Response:
    tasks, cursor = await _reviews(request).list(tenant_of(request), **_list_query(request))
    return JSON({"tasks": [task_summary(t) for t in tasks], "nextCursor": cursor})


async def get_task(request: Request) -> Response:
    task = await _reviews(request).get(tenant_of(request), request.path_params["task_id"])
    return JSON({"task": task_detail(task)})


async def _body(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    body = await _optional_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidInput([Issue("<body>", "must be a JSON object")])
    unknown = [
        Issue(k, f"unknown field; this body takes {', '.join(allowed)}", "unknown_field")
        for k in body
        if k not in allowed
    ]
    version = body.get("expectedVersion")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        unknown.append(Issue("expectedVersion", "must be an integer (the task's version)"))
    if unknown:
        raise InvalidInput(unknown)
    return body


async def approve_task(request: Request) -> Response:
    body = await _body(request, ("expectedVersion", "output"))
    task = await _reviews(request).approve(
        tenant_of(request),
        request.path_params["task_id"],
        expected_version=body.get("expectedVersion"),
        output=body.get("output"),
    )
    return JSON({"task": task_detail(task)})


async def reject_task(request: Request) -> Response:
    body = await _body(request, ("expectedVersion", "idempotencyKey", "reason"))
    reason, key = body.get("reason"), body.get("idempotencyKey")
    issues = []
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        issues.append(Issue("reason", f"must be text of at most {MAX_REASON} characters"))
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        issues.append(Issue("idempotencyKey", "must be text of 1 to 255 characters"))
    if issues:
        raise InvalidInput(issues)
    task = await _reviews(request).reject(
        tenant_of(request),
        request.path_params["task_id"],
        expected_version=body.get("expectedVersion"),
        reason=(reason.strip() or None) if isinstance(reason, str) else None,
        idempotency_key=key,
    )
    return JSON({"task": task_detail(task)})


async def confirm_field(request: Request) -> Response:
    """openpal's approvals have no fields to confirm: an honest 400 for an existing task."""
    await _reviews(request).get(tenant_of(request), request.path_params["task_id"])
    raise InvalidInput(
        [
            Issue(
                "<body>",
                "openpal review tasks have no field-level review (requiredCount is 0): "
                "approve or reject the task instead",
                "field_review_unsupported",
            )
        ]
    )


async def task_file(request: Request) -> Response:
    tenant, task_id = tenant_of(request), request.path_params["task_id"]
    found = await _reviews(request).file(tenant, task_id, request.path_params["file_id"])
    ref = await request.app.state.blobs.resolve(
        {"fileId": found.file_id, "name": found.filename, "mimeType": found.mime_type}
    )
    if ref.path is None:
        raise NotFound(f"file {found.file_id} of review task {task_id}: its content is gone")
    return FileResponse(ref.path, media_type=found.mime_type, filename=found.filename)


_TASK = "/v1/human-reviews/{task_id}"
_APPROVE_BODY = {
    "type": "object",
    "properties": {
        "expectedVersion": {"type": "integer", "description": "409 unless the task is at it"},
        "output": {
            "description": 'openpal: the approval step\'s output (default `{"approved": true}`)'
        },
    },
}
_REJECT_BODY = {
    "type": "object",
    "properties": {
        "expectedVersion": {"type": "integer", "description": "409 unless the task is at it"},
        "idempotencyKey": {
            "type": "string",
            "description": "With it, repeating a reject that took effect (same reason)"
            " answers the task instead of 409",
        },
        "reason": {"type": "string", "maxLength": MAX_REASON},
    },
}

routes: list[BaseRoute] = [
    route(
        "GET",
        "/v1/human-reviews",
        list_tasks,
        Doc(
            "List pending review tasks, oldest run first",
            "human-reviews",
            query=LIST_PARAMS,
            response="HumanReviewListResponse",
            description="A run waiting at a `control.approval` step is a pending task."
            " Any other parameter is a 400 naming it; an unknown automation is a 404.",
        ),
    ),
    route(
        "GET",
        _TASK,
        get_task,
        Doc(
            "Read a review task (pending or decided)",
            "human-reviews",
            response="HumanReviewTaskResponse",
            description="404 for an id whose run is unknown, another tenant's, or never"
            " waited at that step.",
        ),
    ),
    route(
        "POST",
        f"{_TASK}/approve",
        approve_task,
        Doc(
            "Approve a task: the paused run continues",
            "human-reviews",
            body="json",
            body_schema=_APPROVE_BODY,
            body_required=False,
            response="HumanReviewApproveResponse",
            errors=(400, 401, 404, 409),
            description="409 when the task is no longer pending or not at `expectedVersion`.",
        ),
    ),
    route(
        "POST",
        f"{_TASK}/reject",
        reject_task,
        Doc(
            "Reject a task: the paused run ends `rejected` with the reason",
            "human-reviews",
            body="json",
            body_schema=_REJECT_BODY,
            body_required=False,
            response="HumanReviewRejectResponse",
            errors=(400, 401, 404, 409),
            description="The run's error becomes `rejected by reviewer: <reason>`. 409 when"
            " the task is no longer pending or not at `expectedVersion`.",
        ),
    ),
    route(
        "PUT",
        f"{_TASK}/fields",
        confirm_field,
        Doc(
            "Confirm a field (not supported: openpal tasks have no fields)",
            "human-reviews",
            body="json",
            ok=(200,),
            response={"type": "object"},
            description="Always a 400 envelope (`field_review_unsupported`) for an existing"
            " task, 404 for an unknown one: approve or reject the task instead.",
        ),
    ),
    route(
        "GET",
        f"{_TASK}/files/{{file_id}}/content",
        task_file,
        Doc(
            "Download a file listed on a task",
            "human-reviews",
            path=(Param("file_id", "A `fileId` from the task's `files`", where="path"),),
            response={"type": "string", "format": "binary"},
            content_type="application/octet-stream",
            description="The run's input files (`run_input`) and the artifacts its steps"
            " wrote so far (`attachment`).",
        ),
    ),
]
