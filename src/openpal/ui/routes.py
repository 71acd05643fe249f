"""Dashboard pages: runs, one run, workflows, one workflow; actions (sign-in: `login`).

Server-rendered HTML (Jinja2 templates in `ui/templates`, rendered by `render`), one
small script for live updates (`ui/static/app.js` re-fetches the part of the page marked
live while a run is not finished). Every page works through the same service layer as
the API, with the signed-in key's tenant.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from openpal.engine.states import RunStatus
from openpal.errors import Conflict, InvalidInput, NotFound
from openpal.files import FileRef
from openpal.service.overview import MAX_RUNS, overview
from openpal.service.queries import parse_run_filter
from openpal.store.catalog_records import ApiKeyRecord
from openpal.store.history_records import RunFilter
from openpal.ui import session, timeline, values
from openpal.ui.login import login, logout
from openpal.ui.render import HERE, forged, page, render, svc
from openpal.ui.schedules import schedule_action
from openpal.web.bodies import parse_json
from openpal.web.uploads import read_form

PAGE_SIZE = 50
PRESETS = {"24h": "now()-24h", "7d": "now()-7d", "30d": "now()-30d"}
# what an action's redirect may show: fixed texts chosen by code, never text from the URL
NOTICES = {
    "cancel": "Cancel requested.",
    "rerun": "This run is a rerun, just started.",
    "approve": "Approved.",
    "reject": "Rejected.",
}


async def home(request: Request) -> Response:
    return RedirectResponse("/runs", 303)


# -- runs ------------------------------------------------------------------------------
def _filter_params(request: Request) -> dict[str, str]:
    """The page's controls, as the API's query parameters."""
    q = request.query_params
    params: dict[str, str] = {}
    statuses = [s for s in q.getlist("status") if s]
    if statuses:
        params["status"] = ",".join(statuses)
    if q.get("workflow"):
        params["source"] = q["workflow"]
    since = q.get("since", "")
    if since in PRESETS:
        params["from"] = PRESETS[since]
    elif q.get("from"):
        params["from"] = q["from"]
    if q.get("to"):
        params["to"] = q["to"]
    if q.get("q"):
        params["id"] = q["q"]
    if q.get("cursor"):
        params["cursor"] = q["cursor"]
    params["limit"] = str(PAGE_SIZE)
    return params


@page
async def runs_page(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    q = request.query_params
    error = None
    runs: list[Any] = []
    next_cursor = None
    try:
        params = _filter_params(request)
        text = params.pop("id", None)
        flt, sources, cursor = parse_run_filter(key.tenant_id, params)
        if text:
            flt = replace(flt, id_contains=text[:100])
        runs, next_cursor = await svc(request).list(flt, sources=sources, cursor=cursor)
    except InvalidInput as exc:
        error = "; ".join(f"{i.field}: {i.message}" for i in exc.issues)
    workflows, _ = await request.app.state.store.list_workflows(
        search=None, name=None, limit=100, offset=0
    )
    keep = [(k, v) for k, v in q.multi_items() if k != "cursor" and v]
    next_url = f"/runs?{urlencode([*keep, ('cursor', next_cursor)])}" if next_cursor else None
    name = "runs_rows.html" if q.get("fragment") == "rows" else "runs.html"
    return render(
        request,
        name,
        key=key,
        csrf=session.csrf_token(secret),
        runs=runs,
        workflows=workflows,
        chosen=set(q.getlist("status")),
        q=q,
        presets=PRESETS,
        next_url=next_url,
        error=error,
        live=any(not r.status.terminal for r in runs) or not q.get("cursor"),
    )


@page
async def run_page(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return await _run_view(request, key, secret, notice)


async def _run_view(
    request: Request, key: ApiKeyRecord, secret: str, message: str | None, status: int = 200
) -> Response:
    run_id = request.path_params["run_id"]
    try:
        run, steps = await svc(request).detail(key.tenant_id, run_id)
        artifacts = await svc(request).artifacts(key.tenant_id, run_id)
        recorded = await svc(request).store.list_run_events(run.id)
        children = await svc(request).store.list_children(run.id)
    except NotFound:
        return render(request, "missing.html", 404, key=key, what=f"run {run_id}")
    name = "run_live.html" if request.query_params.get("fragment") else "run.html"
    return render(
        request,
        name,
        status,
        key=key,
        csrf=session.csrf_token(secret),
        run=run,
        steps=steps,
        lanes=timeline.lanes(run, steps, recorded),
        artifacts=artifacts,
        children=children,
        values=values.for_run(run, steps),
        message=message,
    )


@page
async def run_artifact(request: Request, key: ApiKeyRecord, _secret: str) -> Response:
    """Download an artifact with the session cookie (the API wants a bearer key)."""
    run_id, path = request.path_params["run_id"], request.path_params["path"]
    try:
        found, content = await svc(request).artifact_file(
            request.app.state.blobs, key.tenant_id, run_id, path
        )
    except NotFound:
        return render(request, "missing.html", 404, key=key, what=f"artifact {path}")
    return FileResponse(content, media_type=found.mime_type, filename=found.name)


@page
async def run_action(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    run_id, action = request.path_params["run_id"], request.path_params["action"]
    form = await request.form()
    if not session.csrf_ok(secret, form.get("csrf")):
        return forged(request)
    runs = svc(request)
    target = run_id
    try:
        if action == "cancel":
            await runs.cancel(key.tenant_id, run_id)
        elif action == "rerun":
            target = (await runs.rerun(key.tenant_id, run_id, trigger="ui")).id
        elif action == "approve":
            await runs.resume(key.tenant_id, run_id, None)
        elif action == "reject":
            reason = str(form.get("reason") or "").strip()[:2000] or None
            await runs.reject(key.tenant_id, run_id, reason)
        else:
            raise NotFound(f"no action {action!r}")
    except (Conflict, NotFound, InvalidInput) as exc:  # shown on the page, not via the URL
        return await _run_view(request, key, secret, str(exc), 409)
    return RedirectResponse(f"/runs/{target}?{urlencode({'notice': action})}", 303)


# -- overview --------------------------------------------------------------------------
@page
async def overview_page(request: Request, key: ApiKeyRecord, _secret: str) -> Response:
    """Throughput, failures and durations per workflow; the queue; the workers."""
    found = await overview(request.app.state.store, key.tenant_id, time.time_ns() // 1000)
    name = "overview_live.html" if request.query_params.get("fragment") else "overview.html"
    return render(request, name, key=key, o=found, max_runs=MAX_RUNS)


# -- workflows -------------------------------------------------------------------------
@page
async def workflows_page(request: Request, key: ApiKeyRecord, _secret: str) -> Response:
    store = request.app.state.store
    workflows, _ = await store.list_workflows(search=None, name=None, limit=100, offset=0)
    stats = {}
    for wf in workflows:
        recent = await store.list_runs(RunFilter(key.tenant_id, workflow_ids=(wf.id,), limit=50))
        done = [r for r in recent if r.status.terminal]
        ok = sum(r.status == RunStatus.COMPLETED for r in done)
        stats[wf.id] = (len(recent), round(100 * ok / len(done)) if done else None)
    return render(request, "workflows.html", key=key, workflows=workflows, stats=stats)


@page
async def workflow_page(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    return await _workflow_view(request, key, secret, None)


async def _workflow_view(
    request: Request, key: ApiKeyRecord, secret: str, error: str | None, status: int = 200
) -> Response:
    store = request.app.state.store
    wf = await store.get_workflow(request.path_params["slug"])
    if wf is None:
        return render(request, "missing.html", 404, key=key, what="that workflow")
    versions, _ = await store.list_versions(wf.id, limit=20, offset=0)
    definition = await request.app.state.catalog.definition(wf.current_version_id)
    recent = await store.list_runs(RunFilter(key.tenant_id, workflow_ids=(wf.id,), limit=10))
    return render(
        request,
        "workflow.html",
        status,
        key=key,
        csrf=session.csrf_token(secret),
        wf=wf,
        versions=versions,
        definition=definition,
        current=next((v for v in versions if v.id == wf.current_version_id), None),
        recent=recent,
        schedules=await store.list_schedules(wf.id),
        error=error,
    )


@page
async def start_from_form(request: Request, key: ApiKeyRecord, secret: str) -> Response:
    """The workflow page's form, read as the API reads a multipart start: streamed, with
    its limits enforced while reading, and its JSON values parsed strictly."""
    slug = request.path_params["slug"]
    settings = request.app.state.settings
    try:
        parts = await read_form(
            request,
            request.app.state.blobs,
            settings.max_upload_bytes,
            max_files=32,
            max_fields=256,
            skip_blank_files=True,
        )
        form = dict(parts)
        if not session.csrf_ok(secret, form.get("csrf")):
            return forged(request)
        _, _, wf = await request.app.state.catalog.resolve(f"workflows.{slug}", None)
        data: dict[str, Any] = {}
        for spec in wf.inputs:
            value = form.get(f"input.{spec.name}")
            if isinstance(value, FileRef):
                data[spec.name] = value
            elif value:
                data[spec.name] = _typed(spec.type, value, f"input.{spec.name}")
        run = await svc(request).start(key.tenant_id, f"workflows.{slug}", data, trigger="ui")
    except (InvalidInput, NotFound, Conflict) as exc:  # too large: the 413 envelope, as on /v1
        problem = exc.issues[0].message if exc.issues else str(exc)
        field = exc.issues[0].field if exc.issues else ""
        error = f"{field}: {problem}".strip(": ")  # shown on the page, not via the URL
        return await _workflow_view(request, key, secret, error, 400)
    return RedirectResponse(f"/runs/{run.id}", 303)


def _typed(kind: str, raw: str, field: str) -> Any:
    """A form field as the input's type, parsed as strict JSON as the API parses it (the
    service validates the type afterwards)."""
    if kind not in ("number", "integer", "boolean", "object", "array"):
        return raw
    try:
        return parse_json(raw, field)
    except InvalidInput as exc:
        if kind in ("object", "array") or not exc.issues[0].message.startswith("not valid JSON"):
            raise  # NaN, too deep, out of range, lone surrogates: named as the API names them
        return raw  # "abc" for a number: validation names the input and the expected type


routes = [
    Route("/", home),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/overview", overview_page),
    Route("/runs", runs_page),
    Route("/runs/{run_id}", run_page),
    Route("/runs/{run_id}/artifact/{path:path}", run_artifact),
    Route("/runs/{run_id}/values/{which}", values.run_value),
    Route("/runs/{run_id}/steps/{name}/output", values.step_output),
    Route("/runs/{run_id}/{action}", run_action, methods=["POST"]),
    Route("/workflows", workflows_page),
    Route("/workflows/{slug}", workflow_page),
    Route("/workflows/{slug}/run", start_from_form, methods=["POST"]),
    Route("/workflows/{slug}/schedules/{n}/{action}", schedule_action, methods=["POST"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
]
