"""`/v1/runs`: start (JSON or multipart), read with `expand`, list, cancel, rerun."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from openpal.api.context import JSON, run_service, tenant_of
from openpal.api.declare import Doc, Param, route
from openpal.api.runs import MAX_DEADLINE_SECONDS, _deadline_seconds, _hold_seconds
from openpal.api.v1 import history_shapes, shapes
from openpal.api.v1.list_query import LIST_PARAMS, parse_v1_filter
from openpal.api.v1.start_body import read_v1_start
from openpal.engine.states import RunStatus
from openpal.errors import InvalidInput, Issue, NotFound
from openpal.service.run_history import RunHistory
from openpal.store.records import RunRecord

HOLD = Param(
    "wait_for_completion",
    "Hold the request up to this many seconds (capped below the SDK's 60 s timeout) and"
    " answer 200 with the whole run if it finished",
    "number",
    minimum=0,
)
VERSION = Param("version", "A version label of the workflow; `latest` (or none) is the current one")
RUN_ID = "Run id (`exec_…`)"


async def _answer(request: Request, run: RunRecord, hold: float | None, replayed: bool) -> Response:
    """201 RunAccepted, or after a hold (`run` as the hold left it): 200 Run (finished) /
    202 RunAccepted."""
    headers = {"idempotent-replayed": "true"} if replayed else None
    if hold is None:
        return JSON(shapes.accepted(run), 201, headers)
    if run.status.terminal:
        return JSON(await _run_body(request, run, ()), 200, headers)
    return JSON(shapes.accepted(run), 202, headers)


async def _run_body(request: Request, run: RunRecord, expand: tuple[str, ...]) -> dict[str, Any]:
    svc = run_service(request)
    steps = None
    if {"execution", "usage"} & set(expand) or run.status == RunStatus.WAITING:
        steps = await svc.step_views(run)
    artifacts = await svc.store.list_artifacts(run.id) if run.status.terminal else None
    usage = None
    if "usage" in expand:
        history: RunHistory = request.app.state.history
        usage = history_shapes.usage(run.id, await history.usage_for(run, steps))
    children = await svc.store.list_children(run.id) if "execution" in expand else None
    return shapes.run_object(
        run, expand=expand, steps=steps, artifacts=artifacts, usage=usage, children=children
    )


async def start_run(request: Request) -> Response:
    hold = _hold_seconds(request)
    started_at = time.time_ns() // 1000
    settings = request.app.state.settings
    body = await read_v1_start(request, request.app.state.blobs, settings.max_upload_bytes)
    tenant = tenant_of(request)
    data = await request.app.state.files.resolve_file_ids(tenant, body.input)
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 255:
        raise InvalidInput([Issue("header.Idempotency-Key", "must be 1 to 255 characters")])
    trigger = request.headers.get("x-eigenpal-trigger") or "api"
    try:
        run = await run_service(request).start(
            tenant,
            body.target,
            data,
            version=request.query_params.get("version") or None,
            trigger=trigger if trigger in ("api", "cli", "ui", "manual") else "api",
            overrides=body.overrides,
            idempotency_key=key,
            deadline_seconds=_deadline_seconds(request),
            tags=body.tags,
            metadata=body.metadata,
            hold=hold,
        )
    except NotFound as exc:  # the target (or its version): name the field
        field = "query.version" if "version" in exc.message else "target"
        raise NotFound(exc.message, issues=[Issue(field, exc.message, exc.code)]) from None
    replayed = key is not None and run.created_at < started_at
    return await _answer(request, run, hold, replayed)


def _expand(request: Request) -> tuple[str, ...]:
    tokens: list[str] = []
    for raw in request.query_params.getlist("expand"):
        tokens.extend(t.strip() for t in raw.split(","))
    return tuple(t for t in shapes.EXPANSIONS if t in tokens)  # unknown tokens are ignored


async def get_run(request: Request) -> Response:
    run = await run_service(request).get(tenant_of(request), request.path_params["run_id"])
    return JSON(await _run_body(request, run, _expand(request)))


async def list_runs(request: Request) -> Response:
    flt, sources, cursor = parse_v1_filter(tenant_of(request), request.query_params)
    runs, next_cursor = await run_service(request).list(flt, sources=sources, cursor=cursor)
    return JSON({"runs": [shapes.list_item(r) for r in runs], "nextCursor": next_cursor})


async def cancel_run(request: Request) -> Response:
    svc, tenant, run_id = run_service(request), tenant_of(request), request.path_params["run_id"]
    asked = time.time_ns() // 1000
    before = await svc.get(tenant, run_id)
    run = await svc.cancel(tenant, run_id)
    if before.status.terminal or (
        run.status == RunStatus.CANCELLED and (run.completed_at or 0) < asked
    ):
        state = "already_terminal"
    elif run.status == RunStatus.CANCELLED:
        state = "cancelled"
    elif run.status.terminal:
        state = "already_terminal"  # it ended on its own between the two reads
    else:
        state = "requested"
    return JSON(shapes.cancelled(run, state, before.status))


async def rerun_run(request: Request) -> Response:
    hold = _hold_seconds(request)
    version = request.query_params.get("version") or None
    run = await run_service(request).rerun(
        tenant_of(request),
        request.path_params["run_id"],
        version=None if version == "latest" else version,
        hold=hold,
    )
    return await _answer(request, run, hold, False)


_START_DOC = Doc(
    "Start a run",
    "runs",
    query=(
        HOLD,
        VERSION,
        Param(
            "deadline_seconds",
            "This run's own deadline, more than 0 and at most 30 days",
            "number",
            exclusive_minimum=0,
            maximum=MAX_DEADLINE_SECONDS,
        ),
        Param(
            "Idempotency-Key",
            "1 to 255 characters: a repeat within 24 h returns the first run",
            where="header",
            min_length=1,
            max_length=255,
        ),
    ),
    body="json",
    body_schema="RunStartBody",
    ok=(200, 201, 202),
    response="Run",
    by_status={201: "RunAccepted", 202: "RunAccepted"},
    errors=(400, 401, 404, 409, 413),
    description="JSON `{target, input?, overrides?, metadata?, tags?, files?}` or multipart"
    " (`target`, JSON parts `input`/`overrides`/`tags`/`metadata`, file parts"
    ' `files.<input>`). Input values `{"$fileId": "file_…"}` refer to uploaded files.'
    " 201 RunAccepted; with `wait_for_completion`: 200 Run when it finished, else 202.",
)

routes: list[BaseRoute] = [
    route("POST", "/v1/runs", start_run, _START_DOC),
    route(
        "GET",
        "/v1/runs",
        list_runs,
        Doc(
            "List runs, newest first",
            "runs",
            query=LIST_PARAMS,
            response="RunsListResponse",
            errors=(400, 401),
            description="Every filter openpal supports; any other parameter is a 400 naming it.",
        ),
    ),
    route(
        "GET",
        "/v1/runs/{run_id}",
        get_run,
        Doc(
            "Read a run",
            "runs",
            query=(
                Param(
                    "expand",
                    "Comma-separated: input, execution (with steps), usage, debug",
                ),
            ),
            response="Run",
        ),
    ),
    route(
        "POST",
        "/v1/runs/{run_id}/cancel",
        cancel_run,
        Doc(
            "Cancel a run (idempotent)",
            "runs",
            response="RunCancelResponse",
            description="`cancelled` (it had not started), `requested` (in flight; it stops at"
            " its next checkpoint) or `already_terminal`.",
        ),
    ),
    route(
        "POST",
        "/v1/runs/{run_id}/rerun",
        rerun_run,
        Doc(
            "Run again on the same input",
            "runs",
            query=(
                HOLD,
                Param(
                    "version",
                    "`original` pins the old run's version; a label picks that version;"
                    " default: the current one",
                ),
            ),
            ok=(200, 201, 202),
            response="Run",
            by_status={201: "RunAccepted", 202: "RunAccepted"},
        ),
    ),
]
