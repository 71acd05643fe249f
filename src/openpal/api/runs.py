"""Handlers for `/api/v1/run/{target}` and `/api/v1/runs…`: parse, call the service, serialise."""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpal.api.artifact_files import artifact_download
from openpal.api.context import JSON, run_service, tenant_of
from openpal.api.wire import cancel_response, run_detail, run_summary, start_response
from openpal.errors import InvalidInput, Issue
from openpal.service.queries import parse_run_filter
from openpal.web.bodies import load_json, read_bounded
from openpal.web.uploads import read_start_body


def _hold_seconds(request: Request) -> float | None:
    raw = request.query_params.get("wait_for_completion")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(
            [Issue("query.wait_for_completion", f"must be a number of seconds, got {raw!r}")]
        ) from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInput([Issue("query.wait_for_completion", "must be a finite number ≥ 0")])
    return float(min(value, request.app.state.settings.max_hold_seconds))


async def start_run(request: Request) -> Response:
    target = request.path_params["target"]
    hold = _hold_seconds(request)
    started_at = time.time_ns() // 1000
    settings = request.app.state.settings
    data, overrides = await read_start_body(
        request, request.app.state.blobs, settings.max_upload_bytes
    )
    # files uploaded over /v1/files work here too: openpal's own SDK starts runs here
    data = await request.app.state.files.resolve_file_ids(tenant_of(request), data)
    trigger = request.headers.get("x-eigenpal-trigger") or "api"
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 255:
        raise InvalidInput([Issue("header.Idempotency-Key", "must be 1 to 255 characters")])
    run = await run_service(request).start(
        tenant_of(request),
        target,
        data,
        version=request.query_params.get("version") or None,
        trigger=trigger if trigger in ("api", "cli", "ui", "manual") else "api",
        overrides=overrides,
        idempotency_key=key,
        deadline_seconds=_deadline_seconds(request),
        hold=hold,
    )
    replayed = key is not None and run.created_at < started_at
    headers = {"idempotent-replayed": "true"} if replayed else None
    if hold is None:
        return JSON(start_response(run, terminal_fields=False), 201, headers)
    if run.status.terminal:
        return JSON(start_response(run, terminal_fields=True), 200, headers)
    return JSON(start_response(run, terminal_fields=False), 202, headers)


MAX_DEADLINE_SECONDS = 30 * 24 * 3600


def _deadline_seconds(request: Request) -> float | None:
    """`?deadline_seconds=N`: this run's own deadline, overriding the workflow's."""
    raw = request.query_params.get("deadline_seconds")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_DEADLINE_SECONDS:  # also false for nan
        raise InvalidInput(
            [
                Issue(
                    "query.deadline_seconds",
                    f"must be a number of seconds, more than 0 and at most"
                    f" {MAX_DEADLINE_SECONDS} (30 days), got {raw!r}",
                )
            ]
        )
    return value


async def get_artifact(request: Request) -> Response:
    """`GET /runs/{id}/artifact/{path}`: a file the run's steps wrote (see `artifact_files`
    for its content type)."""
    return await artifact_download(request, legacy=True)


async def get_run(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    include = {t.strip() for t in request.query_params.get("include", "").split(",")}
    if "detail" in include:
        run, steps = await run_service(request).detail(tenant_of(request), run_id)
        artifacts = await run_service(request).artifacts(tenant_of(request), run_id)
        children = await run_service(request).store.list_children(run.id)
        return JSON({"run": run_detail(run, steps, artifacts, children)})
    run = await run_service(request).get(tenant_of(request), run_id)
    body = run_summary(run)
    if "output" in include:
        body["output"] = run.output
    return JSON({"run": body})


async def list_runs(request: Request) -> Response:
    flt, sources, cursor = parse_run_filter(tenant_of(request), request.query_params)
    runs, next_cursor = await run_service(request).list(flt, sources=sources, cursor=cursor)
    return JSON({"runs": [run_summary(r) for r in runs], "nextCursor": next_cursor})


async def cancel_run(request: Request) -> Response:
    run = await run_service(request).cancel(tenant_of(request), request.path_params["run_id"])
    return JSON(cancel_response(run))


async def rerun_run(request: Request) -> Response:
    run = await run_service(request).rerun(tenant_of(request), request.path_params["run_id"])
    return JSON(
        {"runId": run.id, "executionId": run.id, "status": run.status.value}, status_code=201
    )


MAX_DECISION_BYTES = 1024 * 1024


async def _optional_json(request: Request) -> Any:
    """The request's JSON body, or None when there is none."""
    body = await read_bounded(request, MAX_DECISION_BYTES)
    if not body.strip():
        return None
    return await load_json(body, "<body>")


async def resume_run(request: Request) -> Response:
    """Approve a run waiting for approval; an optional JSON body becomes the approval
    step's output."""
    payload = await _optional_json(request)
    run = await run_service(request).resume(
        tenant_of(request), request.path_params["run_id"], payload
    )
    return JSON({"id": run.id, "runId": run.id, "status": run.status.value})


async def reject_run(request: Request) -> Response:
    """Turn down a run waiting for approval: `{"reason": "..."}` (optional)."""
    body = await _optional_json(request)
    reason = None
    if body is not None:
        if not isinstance(body, dict) or set(body) - {"reason"}:
            raise InvalidInput([Issue("<body>", 'must be {"reason": "..."} or empty')])
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
            raise InvalidInput([Issue("reason", "must be text of at most 2000 characters")])
    run = await run_service(request).reject(
        tenant_of(request), request.path_params["run_id"], reason
    )
    return JSON({"id": run.id, "runId": run.id, "status": run.status.value, "error": run.error})
