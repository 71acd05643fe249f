"""Handlers for `/api/v1/workflows…` (ids and slugs are both accepted)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpal.api.context import JSON
from openpal.api.wire import version_item, workflow_detail, workflow_summary
from openpal.errors import InvalidInput, Issue, NotFound
from openpal.service.queries import MAX_OFFSET, parse_int
from openpal.store.base import Store
from openpal.store.catalog_records import WorkflowRecord


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _page(request: Request) -> tuple[int, int]:
    issues: list[Issue] = []
    limit = parse_int(request.query_params, "limit", 50, 1, 100, issues)
    offset = parse_int(request.query_params, "offset", 0, 0, MAX_OFFSET, issues)
    if issues:
        raise InvalidInput(issues)
    return limit, offset


async def _workflow(request: Request) -> WorkflowRecord:
    wf = await _store(request).get_workflow(request.path_params["workflow_id"])
    if wf is None:
        raise NotFound(f"workflow {request.path_params['workflow_id']!r} not found")
    return wf


async def list_workflows(request: Request) -> Response:
    limit, offset = _page(request)
    kind = request.query_params.get("kind")
    if kind not in (None, "", "workflow", "block"):
        raise InvalidInput([Issue("query.kind", "must be workflow or block")])
    items, total = await _store(request).list_workflows(
        search=request.query_params.get("search") or None,
        name=request.query_params.get("name") or None,
        limit=limit,
        offset=offset,
    )
    if kind == "block":  # openpal has no blocks: every workflow is kind=workflow
        items, total = [], 0
    return JSON(
        {
            "data": [workflow_summary(w) for w in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def get_workflow(request: Request) -> Response:
    wf = await _workflow(request)
    version = None
    if wf.current_version_id:
        version = await _store(request).get_version(wf.current_version_id)
    return JSON(workflow_detail(wf, version))


async def list_versions(request: Request) -> Response:
    wf = await _workflow(request)
    limit, offset = _page(request)
    items, total = await _store(request).list_versions(wf.id, limit=limit, offset=offset)
    return JSON(
        {
            "data": [version_item(v, wf.current_version_id) for v in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )
