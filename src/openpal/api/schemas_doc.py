"""The named JSON Schemas of `/openapi.json` (its `components.schemas`), and the shared
descriptions of path parameters. A `Doc` names a schema here instead of repeating it.

Two sets of names: `SEED` below (the `/api/v1` shapes, the error envelope, the health
probes), and the `/v1` shapes in `schemas_v1.json`, named as the official SDK names its
generated models (`Run`, `RunsListResponse`, `AutomationDetail`, `File`, ...). That file
is generated from those models by `./scripts/v1-schemas`: what `/v1` answers must parse
with them, so they are its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpal.engine.states import RunStatus


def ref(name: str) -> dict[str, str]:
    """A `$ref` to the component `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(typ: str) -> dict[str, Any]:
    return {"type": [typ, "null"]}


_STATUS = {"type": "string", "enum": [s.value for s in RunStatus]}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "total", "limit", "offset"],
        "properties": {
            "data": {"type": "array", "items": ref(item)},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


ISSUE: dict[str, Any] = {
    "type": "object",
    "required": ["field", "message", "code", "severity"],
    "properties": {
        "field": {"type": "string", "description": "`input.x`, `query.limit`, `<body>`, ..."},
        "message": {"type": "string"},
        "code": {"type": "string"},
        "severity": {"enum": ["error", "warning"]},
    },
}

# The seed generation (`/api/v1`, EigenPal SDK 0.6), the error envelope, and the health probes.
SEED: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "Every non-2xx answer: one issue per bad field; the request id is "
        "also in the `x-request-id` header.",
        "required": ["issues", "requestId"],
        "properties": {
            "issues": {"type": "array", "items": ISSUE},
            "requestId": {"type": "string"},
            "hint": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"enum": ["ok", "ready"]}},
    },
    "RunStart": {
        "type": "object",
        "required": ["runId", "type", "status"],
        "properties": {
            "runId": {"type": "string"},
            "type": {"enum": ["workflow"]},
            "status": _STATUS,
            "output": {"description": "only when the run ended within the hold"},
            "error": _nullable("string"),
            "errorCode": {
                "enum": ["deadline_exceeded", None],
                "description": "openpal's: `deadline_exceeded` when a failed run went over its "
                "deadline (its error starts `run timed out`), else null",
            },
            "schemaValid": _nullable("boolean"),
        },
    },
    "Rerun": {
        "type": "object",
        "required": ["runId", "executionId", "status"],
        "properties": {
            "runId": {"type": "string"},
            "executionId": {"type": "string", "description": "the same id as runId"},
            "status": _STATUS,
        },
    },
    "RunSummary": {
        "type": "object",
        "description": "Every key of the EigenPal RunSummary, plus `sourceSlug` and "
        "`cancelRequestedAt`.",
        "required": ["id", "type", "status", "createdAt"],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": ["workflow"]},
            "status": _STATUS,
            "triggerType": _nullable("string"),
            "createdAt": _TIME,
            "startedAt": _TIME_OR_NULL,
            "completedAt": _TIME_OR_NULL,
            "durationMs": _nullable("integer"),
            "error": _nullable("string"),
            "errorCode": {
                "enum": ["deadline_exceeded", None],
                "description": "openpal's: `deadline_exceeded` when a failed run went over its "
                "deadline (its error starts `run timed out`), else null",
            },
            "batchId": _nullable("string"),
            "previousExecutionId": _nullable("string"),
            "parentExecutionId": _nullable("string"),
            "retryNumber": {"type": "integer"},
            "schemaValid": _nullable("boolean"),
            "version": _nullable("string"),
            "sourceId": {"type": "string"},
            "sourceName": _nullable("string"),
            "sourceSlug": _nullable("string"),
            "cancelRequestedAt": _TIME_OR_NULL,
            "output": {"description": "with include=output"},
        },
    },
    "RunDetail": {
        "type": "object",
        "description": "`include=detail`: deliberately not RunSummary-shaped (the 0.6 SDK "
        "parses a RunSummary strictly and would drop `output`).",
        "required": ["id", "type", "status", "stepExecutions"],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": ["workflow"]},
            "status": _STATUS,
            "output": {},
            "error": _nullable("string"),
            "errorCode": {
                "enum": ["deadline_exceeded", None],
                "description": "openpal's: `deadline_exceeded` when a failed run went over its "
                "deadline (its error starts `run timed out`), else null",
            },
            "input": {},
            "source": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": _nullable("string"),
                    "slug": _nullable("string"),
                    "version": _nullable("string"),
                    "versionId": _nullable("string"),
                },
            },
            "artifacts": {"type": "array", "items": ref("Artifact")},
            "parentExecutionId": _nullable("string"),
            "childExecutions": {
                "type": "array",
                "description": "Child runs its workflow.invoke steps started, in step order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "status": _STATUS,
                        "workflow": {"type": "string"},
                        "stepIndex": {"type": "integer"},
                        "error": _nullable("string"),
                        "createdAt": _TIME,
                        "completedAt": _TIME_OR_NULL,
                    },
                },
            },
            "stepExecutions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "stepName": {"type": "string"},
                        "stepType": {"type": "string"},
                        "index": {"type": "integer"},
                        "status": {"type": "string"},
                        "outputData": {},
                        "error": _nullable("string"),
                        "attempts": {"type": "integer"},
                        "startedAt": _TIME_OR_NULL,
                        "completedAt": _TIME_OR_NULL,
                        "durationMs": _nullable("integer"),
                        "traceback": _nullable("string"),
                        "logs": {"type": "array", "items": ref("StepLogLine")},
                        "items": {
                            "type": "object",
                            "description": "A forEach step's items ended so far; total once"
                            " the step completed. Absent on other steps.",
                            "properties": {
                                "completed": {"type": "integer"},
                                "failed": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        },
    },
    "StepLogLine": {
        "type": "object",
        "description": "One line a step attempt logged (ctx.logger) or printed.",
        "required": ["at", "stream", "text"],
        "properties": {
            "at": {"type": "integer", "description": "µs since the epoch"},
            "stream": {"type": "string", "enum": ["log", "stdout", "stderr"]},
            "level": {"type": "string"},
            "text": {"type": "string"},
        },
    },
    "Artifact": {
        "type": "object",
        "required": ["path", "name", "size"],
        "properties": {
            "path": {"type": "string"},
            "name": {"type": "string"},
            "mimeType": {"type": "string"},
            "size": {"type": "integer"},
            "stepName": _nullable("string"),
            "createdAt": _TIME,
            "url": {"type": "string"},
        },
    },
    "RunEnvelope": {
        "type": "object",
        "required": ["run"],
        "properties": {"run": {"oneOf": [ref("RunSummary"), ref("RunDetail")]}},
    },
    "RunList": {
        "type": "object",
        "required": ["runs", "nextCursor"],
        "properties": {
            "runs": {"type": "array", "items": ref("RunSummary")},
            "nextCursor": _nullable("string"),
        },
    },
    "Cancel": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string"},
            "status": _STATUS,
            "cancelRequestedAt": _TIME_OR_NULL,
        },
    },
    "Decision": {
        "type": "object",
        "required": ["id", "runId", "status"],
        "properties": {
            "id": {"type": "string"},
            "runId": {"type": "string"},
            "status": _STATUS,
            "error": _nullable("string"),
        },
    },
    "Workflow": {
        "type": "object",
        "required": ["id", "createdAt"],
        "properties": {
            "id": {"type": "string"},
            "name": _nullable("string"),
            "slug": {"type": "string"},
            "description": _nullable("string"),
            "kind": {"enum": ["workflow"]},
            "version": _nullable("string"),
            "createdAt": _TIME,
            "updatedAt": _TIME_OR_NULL,
            "yamlContent": _nullable("string"),
            "currentVersionId": _nullable("string"),
        },
    },
    "WorkflowVersion": {
        "type": "object",
        "required": ["id", "workflowId", "isCurrent"],
        "properties": {
            "id": {"type": "string"},
            "workflowId": {"type": "string"},
            "version": _nullable("string"),
            "seq": {"type": "integer"},
            "contentHash": {"type": "string"},
            "yamlContent": _nullable("string"),
            "isCurrent": {"type": "boolean"},
            "createdAt": _TIME,
        },
    },
    "WorkflowPage": _page_of("Workflow"),
    "WorkflowVersionPage": _page_of("WorkflowVersion"),
}

V1: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "schemas_v1.json").read_text()
)["schemas"]

COMPONENTS: dict[str, dict[str, Any]] = {**V1, **SEED}

# Path parameters by name: a `Doc` need not describe these again.
PATH_PARAMS: dict[str, str] = {
    "run_id": "Run id (`exec_…`)",
    "id": "The resource's id",
    "target": "`workflows.<slug-or-id>` (a bare slug or `wf_…` id works too)",
    "workflow_id": "Workflow id (`wf_…`) or slug",
    "automation_id": "Automation: workflow id (`wf_…`), `workflows.<slug>` or slug",
    "version_id": "Version id (`ver_…`)",
    "path": "The artifact's path inside the run, as listed (slashes allowed)",
    "file_id": "File id (`file_…`)",
    "upload_id": "Upload session id",
    "chunk_index": "0-based index of the chunk",
    "task_id": "Human-review task id",
    "step_execution_id": "Step execution id (stable, from the run's steps)",
    "step_id": "Step execution id (stable, from the run's steps)",
}

# What each `Doc.tag` groups.
TAGS: dict[str, str] = {
    "runs": "Start, read, list, cancel and rerun runs (`/api/v1`: SDK 0.6; `/v1`: SDK 0.11+)",
    "run-parts": "What happened inside a run: steps, events, artifacts, usage, trace, scores",
    "workflows": "Workflows and their versions, read-only (`/api/v1`, SDK 0.6)",
    "automations": "Workflows as automations, with versions deployed over the API (`/v1`)",
    "files": 'Uploaded files, referenced from run inputs as `{"$fileId": …}` (`/v1`)',
    "human-reviews": "Runs waiting on an approval step, as review tasks (`/v1`)",
    "auth": "The API key behind a request (`/v1`)",
    "meta": "Liveness, readiness and this description (no key needed)",
}
