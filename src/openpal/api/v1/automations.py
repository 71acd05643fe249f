"""`/v1/automations`: list, read, versions, triggers, and deploying workflow versions over
the API (create, promote, restore, delete), in the shapes of the 0.20.93 SDK's models
(`ListAutomationsResponse`, `AutomationDetail`, `AutomationVersion`, ...)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from openpal.api.context import JSON
from openpal.api.declare import Doc, Param, route
from openpal.api.schemas_doc import ref
from openpal.engine.dates import iso
from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.service.automations import KINDS, AutomationService
from openpal.service.queries import MAX_OFFSET, parse_int
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.web.bodies import MAX_JSON_BODY, load_json, read_bounded, too_big
from openpal.workflows.json_schema import input_schema, output_schema
from openpal.workflows.model import WorkflowDef

MAX_YAML_BYTES = 1024 * 1024  # the SDK documents 1 MiB
MAX_LABEL = 100
# how a workflow can be started in openpal: over the API and by hand (the dashboard)
TRIGGERS = {"api": True, "email": False, "manual": True, "cron": False}
LIST_QUERY = ("search", "type", "folderId", "limit", "offset")


def run_service(request: Request) -> AutomationService:
    svc: AutomationService = request.app.state.automations
    return svc


async def scheduled(request: Request, workflow_id: str | None = None) -> set[str]:
    """The ids of workflows with an active (unpaused) cron schedule: `triggers.cron`."""
    store = run_service(request).store
    return {s.workflow_id for s in await store.list_schedules(workflow_id) if not s.paused}


def summary(wf: WorkflowRecord, cron: bool = False) -> dict[str, Any]:
    """`AutomationSummary` (openpal keeps no folders: every workflow is at the root)."""
    return {
        "id": wf.id,
        "type": "workflow",
        "slug": wf.slug,
        "name": wf.name,
        "folderId": None,
        "folderPath": None,
        "createdAt": iso(wf.created_at),
        "description": wf.description,
        "status": "active",
        "version": wf.current_version_label,
        "triggers": {**TRIGGERS, "cron": cron},
        "implementationAvailable": wf.current_version_id is not None,
        "updatedAt": iso(wf.updated_at),
        "currentVersionId": wf.current_version_id,
    }


def detail(wf: WorkflowRecord, current: WorkflowDef | None, cron: bool = False) -> dict[str, Any]:
    """`AutomationDetail`: the summary, the schemas of the current version and its YAML."""
    return {
        **summary(wf, cron),
        "inputSchema": input_schema(current) if current else None,
        "outputSchema": output_schema(current) if current else None,
        "yamlContent": current.source_text if current else None,
    }


def version_item(v: VersionRecord, current_id: str | None) -> dict[str, Any]:
    """`AutomationVersion`; `sourceRef` is the file it was loaded from (null: the API)."""
    return {
        "id": v.id,
        "automationId": v.workflow_id,
        "version": v.version_label,
        "sourceRef": v.source_path,
        "isCurrent": v.id == current_id,
        "createdAt": iso(v.created_at),
        "seq": v.seq,
    }


def _page(request: Request, default: int, most: int, issues: list[Issue]) -> tuple[int, int]:
    limit = parse_int(request.query_params, "limit", default, 1, most, issues)
    offset = parse_int(request.query_params, "offset", 0, 0, MAX_OFFSET, issues)
    return limit, offset


async def list_automations(request: Request) -> Response:
    q = request.query_params
    issues = [
        Issue(f"query.{name}", "unknown parameter (allowed: " + ", ".join(LIST_QUERY) + ")")
        for name in q
        if name not in LIST_QUERY
    ]
    kind = q.get("type") or None
    if kind is not None and kind not in KINDS:
        issues.append(Issue("query.type", f"must be workflow or agent, got {kind!r}"))
    folder = q.get("folderId")
    if folder is not None and kind == "agent":
        issues.append(Issue("query.folderId", "agents have no folders: drop it or type=agent"))
    limit, offset = _page(request, 50, 100, issues)
    if issues:
        raise InvalidInput(issues)
    found, total = await run_service(request).search(
        search=q.get("search") or None, kind=kind, folder_id=folder, limit=limit, offset=offset
    )
    cron = await scheduled(request) if found else set()
    return JSON(
        {
            "data": [summary(w, w.id in cron) for w in found],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def get_automation(request: Request) -> Response:
    svc = run_service(request)
    wf = await svc.find(request.path_params["automation_id"])
    cron = wf.id in await scheduled(request, wf.id)
    return JSON(detail(wf, await svc.current(wf), cron))


async def delete_automation(request: Request) -> Response:
    wf = await run_service(request).delete(request.path_params["automation_id"])
    return JSON({"deleted": True, "id": wf.id})


async def list_versions(request: Request) -> Response:
    issues: list[Issue] = []
    limit, offset = _page(request, 100, 1000, issues)
    if issues:
        raise InvalidInput(issues)
    wf, found, total = await run_service(request).versions(
        request.path_params["automation_id"], limit=limit, offset=offset
    )
    return JSON(
        {
            "data": [version_item(v, wf.current_version_id) for v in found],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def _object(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object body (empty: `{}`), with no keys but `allowed`."""
    raw = await read_bounded(request, MAX_JSON_BODY)
    body = await load_json(raw, "<body>") if raw.strip() else {}
    if not isinstance(body, dict):
        raise InvalidInput([Issue("<body>", "must be a JSON object")])
    unknown = [k for k in body if k not in allowed]
    if unknown:
        names = ", ".join(allowed)
        raise InvalidInput(
            [Issue(k, f"unknown field (allowed: {names})", "unknown_field") for k in unknown]
        )
    return body


async def create_version(request: Request) -> Response:
    body = await _object(request, ("version", "yaml", "historyId", "activate"))
    issues: list[Issue] = []
    label = body.get("version")
    if label is not None and (
        not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL
    ):
        issues.append(
            Issue("version", f"must be a label such as 1.2.0 (at most {MAX_LABEL} characters)")
        )
    yaml, history = body.get("yaml"), body.get("historyId")
    if (yaml is None) == (history is None):
        issues.append(Issue("<body>", "send exactly one of yaml or historyId"))
    if yaml is not None and not isinstance(yaml, str):
        issues.append(Issue("yaml", "must be the workflow's YAML as text"))
    if history is not None and not isinstance(history, str):
        issues.append(Issue("historyId", "must be a version id from the versions list"))
    activate = body.get("activate", True)
    if not isinstance(activate, bool):
        issues.append(Issue("activate", "must be true or false"))
    if issues:
        raise InvalidInput(issues)
    if isinstance(yaml, str) and len(yaml.encode("utf-8")) > MAX_YAML_BYTES:
        raise PayloadTooLarge("yaml too large", issues=too_big("yaml", MAX_YAML_BYTES))
    wf, version = await run_service(request).create_version(
        request.path_params["automation_id"],
        label=label.strip() if isinstance(label, str) else None,
        yaml=yaml,
        history_id=history,
        activate=activate,
    )
    return JSON(version_item(version, wf.current_version_id), 201)


async def promote_version(request: Request) -> Response:
    p = request.path_params
    wf, version = await run_service(request).promote(p["automation_id"], p["version_id"])
    return JSON(version_item(version, wf.current_version_id))


async def restore_version(request: Request) -> Response:
    body = await _object(request, ("message",))
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > 2000):
        raise InvalidInput([Issue("message", "must be text of at most 2000 characters")])
    p = request.path_params
    wf, version = await run_service(request).restore(p["automation_id"], p["version_id"])
    return JSON(version_item(version, wf.current_version_id), 201)


async def get_triggers(request: Request) -> Response:
    wf = await run_service(request).find(request.path_params["automation_id"])
    cron = wf.id in await scheduled(request, wf.id)
    triggers = {**TRIGGERS, "cron": cron}
    return JSON({"automationId": wf.id, "type": "workflow", "triggers": triggers})


_TAG = "automations"
_ONE = "/v1/automations/{automation_id}"

routes: list[BaseRoute] = [
    route(
        "GET",
        "/v1/automations",
        list_automations,
        Doc(
            "List automations (openpal's workflows)",
            _TAG,
            query=(
                Param("search", "Substring of the slug, name or description (any case)"),
                Param("type", "workflow or agent (openpal has no agents: empty)", enum=KINDS),
                Param("folderId", "`null` for the root, where every workflow is; others: empty"),
                Param("limit", "1 to 100, default 50", "integer", minimum=1, maximum=100),
                Param("offset", "Rows to skip", "integer", minimum=0, maximum=MAX_OFFSET),
            ),
            response="ListAutomationsResponse",
            errors=(400, 401),
        ),
    ),
    route(
        "GET",
        _ONE,
        get_automation,
        Doc(
            "Read an automation, with its input and output JSON Schemas",
            _TAG,
            response="AutomationDetail",
            description="`inputSchema` is derived from the current version's typed inputs;"
            " `yamlContent` (openpal's) is that version's YAML.",
        ),
    ),
    route(
        "DELETE",
        _ONE,
        delete_automation,
        Doc(
            "Delete an automation (its versions and runs stay)",
            _TAG,
            response="DeleteAutomationResponse",
            description="It leaves lists, lookups and run targets at once, in every process;"
            " a version sent to its slug brings it back.",
        ),
    ),
    route(
        "GET",
        f"{_ONE}/versions",
        list_versions,
        Doc(
            "List an automation's versions, newest first",
            _TAG,
            query=(
                Param("limit", "1 to 1000, default 100", "integer", minimum=1, maximum=1000),
                Param("offset", "Rows to skip", "integer", minimum=0, maximum=MAX_OFFSET),
            ),
            response="ListAutomationVersionsResponse",
        ),
    ),
    route(
        "POST",
        f"{_ONE}/versions",
        create_version,
        Doc(
            "Deploy a version (YAML, or a copy of a version) to every process",
            _TAG,
            body="json",
            body_schema={
                "oneOf": [
                    ref("CreateAutomationVersionRequestType0"),
                    ref("CreateAutomationVersionRequestType1"),
                ]
            },
            ok=(201,),
            response="AutomationVersion",
            errors=(400, 401, 404, 413),
            description="The YAML's `name` must be the automation's slug; an unknown slug"
            " creates the automation. `version` labels it (default: the YAML's own"
            " `version:`); the same YAML and label again return the stored version."
            " A YAML that does not load is a 400 naming the field,"
            " with the file:line: field: message of the load error. `activate: false` keeps"
            " the current version live until a promote.",
        ),
    ),
    route(
        "POST",
        f"{_ONE}/versions/{{version_id}}/promote",
        promote_version,
        Doc(
            "Make a version current (no new version)",
            _TAG,
            response="AutomationVersion",
            description="A restart that reloads the same workflow files keeps it current.",
        ),
    ),
    route(
        "POST",
        f"{_ONE}/versions/{{version_id}}/restore",
        restore_version,
        Doc(
            "Make an old version's content current, as an untagged version",
            _TAG,
            body="json",
            body_schema="RestoreAutomationVersionRequest",
            body_required=False,
            ok=(201,),
            response="AutomationVersion",
        ),
    ),
    route(
        "GET",
        f"{_ONE}/triggers",
        get_triggers,
        Doc("How an automation can be started", _TAG, response="AutomationTriggersResponse"),
    ),
]
