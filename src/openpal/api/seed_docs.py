"""The `Doc` of every route of the seed generation (`/api/v1`, EigenPal SDK 0.6) and of
the public endpoints (`/openapi.json`, `/healthz`, `/readyz`); `app.py` declares them."""

from __future__ import annotations

from openpal.api.declare import Doc, Param
from openpal.api.runs import MAX_DEADLINE_SECONDS
from openpal.engine.states import RunStatus
from openpal.service.queries import MAX_OFFSET

_PAGE = (
    Param("limit", "1..100, default 50", "integer", minimum=1, maximum=100),
    Param("offset", "rows to skip", "integer", minimum=0, maximum=MAX_OFFSET),
)
_RUN_ERRORS = (400, 401, 404)

START = Doc(
    "Start a run",
    "runs",
    query=(
        Param(
            "wait_for_completion",
            "seconds to hold the request (capped below 60)",
            "number",
            minimum=0,
        ),
        Param("version", "version label or version id; default the current version"),
        Param(
            "deadline_seconds",
            "this run's own deadline, more than 0 and at most 30 days (overrides the "
            "workflow's timeout_seconds)",
            "number",
            exclusive_minimum=0,
            maximum=MAX_DEADLINE_SECONDS,
        ),
        Param(
            "Idempotency-Key",
            "1..255 characters: a retry with the same key answers the first run "
            "(`idempotent-replayed: true`)",
            where="header",
            min_length=1,
            max_length=255,
        ),
        Param("X-Eigenpal-Trigger", "api | cli | ui | manual (default api)", where="header"),
    ),
    body="json",
    body_schema={
        "type": "object",
        "description": "The input, flat; the reserved key `_overrides` replaces step outputs. "
        "With file inputs: multipart/form-data, a `_json` text part with the other inputs and "
        "one part per file input, named after the input.",
    },
    ok=(200, 201, 202),
    response="RunStart",
    errors=(400, 404, 409, 413),
    description="Without `wait_for_completion`: 201 once the run is durable. With it: 200 "
    "with `output` when the run ended within the hold, 202 with the current status "
    "otherwise (poll the run).",
    multipart_schema={
        "type": "object",
        "properties": {
            "_json": {"type": "string", "description": "the non-file inputs, as JSON"},
            "_overrides": {"type": "string", "description": "step outputs to use, as JSON"},
        },
        "additionalProperties": {"type": "string", "contentMediaType": "application/octet-stream"},
    },
)

LIST_RUNS = Doc(
    "List runs, newest first",
    "runs",
    query=(
        Param("type", "workflow"),
        Param("source", "workflow ids or slugs, comma-separated"),
        Param(
            "status",
            "statuses, comma-separated: " + ", ".join(s.value for s in RunStatus),
        ),
        Param("from", "ISO-8601, or now()±N[s|m|h|d|w]"),
        Param("to", "same as from"),
        Param("createdAfter", "alias of from"),
        Param("createdBefore", "alias of to"),
        Param("completedAfter", "ISO-8601 or relative"),
        Param("completedBefore", "ISO-8601 or relative"),
        Param("batchId", "batch id"),
        Param("trigger", "trigger type"),
        Param("ids", "run ids, comma-separated"),
        Param("q", "substring of the run id"),
        *_PAGE,
        Param("cursor", "the previous page's nextCursor"),
    ),
    response="RunList",
    errors=(400,),
)

GET_RUN = Doc(
    "Get a run",
    "runs",
    query=(
        Param(
            "include",
            "`detail`: input, output, source, artifacts and per-step executions; "
            "`output`: the summary plus output",
        ),
    ),
    response="RunEnvelope",
    errors=_RUN_ERRORS,
)

CANCEL = Doc(
    "Cancel a run (idempotent)",
    "runs",
    response="Cancel",
    errors=(404,),
    description="created/pending/waiting: cancelled at once. running/finalizing: "
    "`cancelRequestedAt` is stamped and the worker stops at its next checkpoint. "
    "Terminal: 200, unchanged.",
)

RERUN = Doc(
    "Rerun: a new run of the workflow's current version on this run's input",
    "runs",
    ok=(201,),
    response="Rerun",
    errors=(404, 409),
)

RESUME = Doc(
    "Approve a run waiting for approval",
    "runs",
    body="json",
    body_required=False,
    body_schema={
        "description": 'becomes the approval step\'s output (default `{"approved": true}`)'
    },
    response="Decision",
    errors=(400, 404, 409),
    description="The run goes back to pending and a worker continues it. 409 when the run "
    "is not waiting for approval.",
)

REJECT = Doc(
    "Reject a run waiting for approval",
    "runs",
    body="json",
    body_required=False,
    body_schema={
        "type": "object",
        "properties": {"reason": {"type": "string", "maxLength": 2000}},
        "additionalProperties": False,
    },
    response="Decision",
    errors=(400, 404, 409),
    description="The run ends `rejected` at once; its error carries the reason. 409 when "
    "the run is not waiting for approval.",
)

ARTIFACT = Doc(
    "Download a file a step of the run wrote",
    "runs",
    content_type="application/octet-stream",
    errors=(400, 404),
    description="The bytes, with the artifact's own media type and a "
    "`content-disposition` naming it. `include=detail` lists a run's artifacts with their "
    "`url`.",
)

LIST_WORKFLOWS = Doc(
    "List workflows",
    "workflows",
    query=(
        Param("search", "substring of slug or name"),
        Param("name", "exact slug"),
        Param(
            "kind", "workflow | block (openpal has no blocks: empty)", enum=("workflow", "block")
        ),
        *_PAGE,
    ),
    response="WorkflowPage",
    errors=(400,),
)

GET_WORKFLOW = Doc(
    "Get a workflow with its current YAML",
    "workflows",
    response="Workflow",
    errors=(404,),
)

LIST_VERSIONS = Doc(
    "A workflow's versions, newest first",
    "workflows",
    query=_PAGE,
    response="WorkflowVersionPage",
    errors=(400, 404),
)

OPENAPI = Doc(
    "This description (OpenAPI 3.1), generated from the routes served",
    "meta",
    response={"type": "object"},
    errors=(),
)

HEALTHZ = Doc("Liveness: the process is up", "meta", response="Health", errors=())

READYZ = Doc(
    "Readiness: the process can serve (its database answers)",
    "meta",
    response="Health",
    errors=(503,),
)
