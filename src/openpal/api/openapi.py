"""The OpenAPI 3.1 description served at `/openapi.json`, written by hand beside the routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpal import __version__
from openpal.engine.states import RunStatus


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_ERR = {"description": "Error envelope", "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _query(name: str, description: str, typ: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": typ},
    }


_ERRORS = {"400": _ERR, "401": _ERR, "404": _ERR, "409": _ERR, "413": _ERR, "500": _ERR}
_RUN_ID = _path_param("run_id", "Run id (`exec_…`)")
_WF_ID = _path_param("workflow_id", "Workflow id (`wf_…`) or slug")
_STATUS = {"type": "string", "enum": [s.value for s in RunStatus]}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "openpal",
        "version": __version__,
        "description": "Self-hosted workflow runs behind the EigenPal v1 runs API. "
        "Authenticate with `Authorization: Bearer <key>`. Every error is the JSON envelope "
        "`{issues: [{field, message, code, severity}], requestId}`; the request id is also "
        "in the `x-request-id` header.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["issues", "requestId"],
                "properties": {
                    "issues": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "message", "code", "severity"],
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                                "code": {"type": "string"},
                                "severity": {"enum": ["error", "warning"]},
                            },
                        },
                    },
                    "requestId": {"type": "string"},
                    "hint": {"type": "string"},
                },
            },
            "RunStart": {
                "type": "object",
                "required": ["runId", "type"],
                "properties": {
                    "runId": {"type": "string"},
                    "type": {"enum": ["workflow"]},
                    "status": _STATUS,
                    "output": {},
                    "error": {"type": ["string", "null"]},
                    "schemaValid": {"type": ["boolean", "null"]},
                },
            },
            "RunSummary": {
                "type": "object",
                "description": "Every key of the EigenPal RunSummary, plus `sourceSlug` and "
                "`cancelRequestedAt`.",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"enum": ["workflow"]},
                    "status": _STATUS,
                    "triggerType": {"type": ["string", "null"]},
                    "createdAt": {"type": "string", "format": "date-time"},
                    "startedAt": {"type": ["string", "null"]},
                    "completedAt": {"type": ["string", "null"]},
                    "durationMs": {"type": ["integer", "null"]},
                    "error": {"type": ["string", "null"]},
                    "sourceId": {"type": "string"},
                    "sourceName": {"type": ["string", "null"]},
                    "version": {"type": ["string", "null"]},
                    "cancelRequestedAt": {"type": ["string", "null"]},
                },
            },
            "RunEnvelope": {
                "type": "object",
                "required": ["run"],
                "properties": {
                    "run": {
                        "type": "object",
                        "description": "RunSummary by default; with include=detail: id, type, "
                        "status, "
                        "output, error, input, source{id,name,slug,version}, "
                        "stepExecutions[{stepName, status, outputData, error, attempts, "
                        "startedAt, completedAt, durationMs}]",
                    }
                },
            },
            "RunList": {
                "type": "object",
                "required": ["runs", "nextCursor"],
                "properties": {
                    "runs": {"type": "array", "items": _ref("RunSummary")},
                    "nextCursor": {"type": ["string", "null"]},
                },
            },
            "Cancel": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "status": _STATUS,
                    "cancelRequestedAt": {"type": ["string", "null"]},
                },
            },
            "Decision": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "runId": {"type": "string"},
                    "status": _STATUS,
                    "error": {"type": ["string", "null"]},
                },
            },
            "Page": {
                "type": "object",
                "required": ["data", "total", "limit", "offset"],
                "properties": {
                    "data": {"type": "array", "items": {"type": "object"}},
                    "total": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                },
            },
            "Workflow": {
                "type": "object",
                "required": ["id", "createdAt"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": ["string", "null"]},
                    "slug": {"type": "string"},
                    "version": {"type": ["string", "null"]},
                    "yamlContent": {"type": ["string", "null"]},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/run/{target}": {
            "post": {
                "summary": "Start a run",
                "description": "Body: the input as a flat JSON object (reserved key `_overrides` "
                "replaces step outputs), or multipart/form-data with a `_json` text part and one "
                "part per file input. With `wait_for_completion=N` the request is held up to N "
                "seconds (capped below 60): 200 with `output` when the run ended, 202 with the "
                "current status otherwise. Without it: 201.",
                "parameters": [
                    _path_param("target", "`workflows.<slug-or-id>`"),
                    _query("wait_for_completion", "seconds to hold", "integer"),
                    _query("version", "version label or version id; default latest"),
                    _query(
                        "deadline_seconds",
                        "this run's own deadline (overrides the workflow's timeout_seconds)",
                        "number",
                    ),
                ],
                "responses": {
                    "200": _ok("RunStart", "Run ended while held"),
                    "201": _ok("RunStart", "Run accepted"),
                    "202": _ok("RunStart", "Hold expired; poll the run"),
                    **_ERRORS,
                },
            }
        },
        "/api/v1/runs": {
            "get": {
                "summary": "List runs, newest first",
                "parameters": [
                    _query("type", "workflow"),
                    _query("source", "workflow ids or slugs, comma-separated"),
                    _query("status", "statuses, comma-separated"),
                    _query("from", "ISO-8601 or now()±N[s|m|h|d|w]"),
                    _query("to", "same as from"),
                    _query("createdAfter", "alias of from"),
                    _query("createdBefore", "alias of to"),
                    _query("completedAfter", "ISO or relative"),
                    _query("completedBefore", "ISO or relative"),
                    _query("batchId", "batch"),
                    _query("trigger", "trigger type"),
                    _query("ids", "run ids, comma-separated"),
                    _query("q", "substring of the run id"),
                    _query("limit", "1..100, default 50", "integer"),
                    _query("offset", "rows to skip", "integer"),
                    _query("cursor", "opaque nextCursor of the previous page"),
                ],
                "responses": {"200": _ok("RunList"), **_ERRORS},
            }
        },
        "/api/v1/runs/{run_id}": {
            "get": {
                "summary": "Get a run",
                "parameters": [
                    _RUN_ID,
                    _query(
                        "include",
                        "`detail` for per-step executions; `output` adds output to the summary",
                    ),
                ],
                "responses": {"200": _ok("RunEnvelope"), **_ERRORS},
            }
        },
        "/api/v1/runs/{run_id}/cancel": {
            "post": {
                "summary": "Cancel a run (idempotent)",
                "description": "created/pending/waiting: cancelled at once. running/finalizing: "
                "cancelRequestedAt is stamped and the worker stops at its next checkpoint. "
                "Terminal: 200, unchanged.",
                "parameters": [_RUN_ID],
                "responses": {"200": _ok("Cancel"), **_ERRORS},
            }
        },
        "/api/v1/runs/{run_id}/rerun": {
            "post": {
                "summary": "Start a new run of the workflow's current version on this run's input",
                "parameters": [_RUN_ID],
                "responses": {"201": _ok("RunStart"), **_ERRORS},
            }
        },
        "/api/v1/runs/{run_id}/resume": {
            "post": {
                "summary": "Approve a run waiting for approval (409 when it is not)",
                "description": "The run goes back to pending and a worker continues it. An "
                "optional JSON body becomes the approval step's output (without one: "
                '{"approved": true}).',
                "parameters": [_RUN_ID],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": {}}},
                },
                "responses": {"200": _ok("Decision"), **_ERRORS},
            }
        },
        "/api/v1/runs/{run_id}/reject": {
            "post": {
                "summary": "Reject a run waiting for approval (409 when it is not)",
                "description": "The run ends rejected at once; its error carries the reason.",
                "parameters": [_RUN_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"reason": {"type": "string", "maxLength": 2000}},
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                "responses": {"200": _ok("Decision"), **_ERRORS},
            }
        },
        "/api/v1/workflows": {
            "get": {
                "summary": "List workflows",
                "parameters": [
                    _query("search", "substring of slug or name"),
                    _query("name", "exact slug"),
                    _query("kind", "workflow | block"),
                    _query("limit", "1..100", "integer"),
                    _query("offset", "rows to skip", "integer"),
                ],
                "responses": {"200": _ok("Page"), **_ERRORS},
            }
        },
        "/api/v1/workflows/{workflow_id}": {
            "get": {
                "summary": "Get a workflow with its current YAML",
                "parameters": [_WF_ID],
                "responses": {"200": _ok("Workflow"), **_ERRORS},
            }
        },
        "/api/v1/workflows/{workflow_id}/versions": {
            "get": {
                "summary": "A workflow's versions, newest first",
                "parameters": [
                    _WF_ID,
                    _query("limit", "1..100", "integer"),
                    _query("offset", "rows to skip", "integer"),
                ],
                "responses": {"200": _ok("Page"), **_ERRORS},
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "security": [],
                "responses": {"200": {"description": "alive"}},
            }
        },
    },
}


async def serve(request: Request) -> Response:
    from openpal.api.runs import JSON

    return JSON(SPEC)
