"""Domain records → the JSON shapes of the /v1 generation (`Run`, `RunListItem`,
`RunAccepted`, `RunCancelResponse` of `eigenpal._generated.models`, 0.20.93).

Every key those models require is present; openpal's own extras (`attempt`,
`waitingFor`, …) ride along as extra keys, which the models keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from openpal.api.wire import child_entry
from openpal.engine.dates import iso
from openpal.engine.states import RunStatus, error_code
from openpal.service.review_ids import step_execution_id
from openpal.service.reviews import human_review_meta
from openpal.service.run_views import StepView
from openpal.store.history_records import ArtifactRecord
from openpal.store.records import RunRecord

EXPANSIONS = ("input", "execution", "usage", "debug")


def sample_rank(run_id: str) -> float:
    """A deterministic pseudo-random rank in [0, 1) per run (for sampling)."""
    digest = hashlib.sha256(run_id.encode()).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


def source(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.workflow_id,
        "name": run.workflow_name or run.workflow_slug,
        "version": run.version_label,
        "versionId": run.version_id,
        "slug": run.workflow_slug,
    }


def timing(run: RunRecord) -> dict[str, Any]:
    return {
        "createdAt": iso(run.created_at),
        "startedAt": iso(run.started_at),
        "completedAt": iso(run.completed_at),
        "durationMs": run.duration_ms,
        "cancelRequestedAt": iso(run.cancel_requested_at),
    }


def execution(run: RunRecord, waiting_step: str | None = None) -> dict[str, Any]:
    """`RunExecutionMeta`: the status and its context, without the steps."""
    waiting = run.status == RunStatus.WAITING
    body: dict[str, Any] = {
        "status": run.status.value,
        "schemaValid": run.schema_valid,
        "batchId": run.batch_id,
        "retry": {
            "number": run.retry_number,
            "previousRunId": run.previous_execution_id,
            "nextRun": None,
        },
        "attempt": run.attempt,
        "takeovers": run.takeovers,
        "deadlineSeconds": run.deadline_seconds,
        "waitingFor": run.waiting_for if waiting else None,
        "waitUntil": iso(run.wait_until) if waiting else None,
    }
    review = human_review_meta(run, waiting_step)
    if review is not None:
        body["humanReview"] = review
    return body


def step_row(run_id: str, step: StepView) -> dict[str, Any]:
    """A slim step row (`execution.steps[]`, `GET /v1/runs/{id}/steps`): no payloads."""
    return {
        "id": step_execution_id(run_id, step.index),
        "index": step.index,
        "name": step.name,
        "type": step.type,
        "status": step.status,
        "attempts": step.attempts,
        "startedAt": iso(step.started_at),
        "completedAt": iso(step.completed_at),
        "durationMs": step.duration_ms,
        "error": step.error,
        # openpal's: a `forEach` step's items ended so far ({completed, failed[, total]})
        **({"items": step.items} if step.items is not None else {}),
    }


def artifact(a: ArtifactRecord) -> dict[str, Any]:
    """A `RunArtifact`: downloadable at `/v1/runs/{id}/artifacts/{path}`."""
    return {
        "name": a.name,
        "role": "output",
        "path": a.path,
        "stepName": a.step_name,
        "contentType": a.mime_type,
        "size": a.size,
    }


def list_item(run: RunRecord) -> dict[str, Any]:
    """A `RunListItem`: the run without output, files, input, usage or debug."""
    return {
        "id": run.id,
        "type": run.type,
        "finished": run.status.terminal,
        "tags": run.tags,
        "sampleRank": sample_rank(run.id),
        "timing": timing(run),
        "source": source(run),
        "trigger": {"type": run.trigger_type, "by": None},
        "execution": execution(run),
        "error": run.error,
        "errorCode": error_code(run.status, run.error),  # openpal's: `deadline_exceeded`
        **({"parentExecutionId": run.parent_id} if run.parent_id else {}),
    }


def run_object(
    run: RunRecord,
    *,
    expand: Collection[str] = (),
    steps: list[StepView] | None = None,
    artifacts: list[ArtifactRecord] | None = None,
    usage: dict[str, Any] | None = None,
    children: list[RunRecord] | None = None,
) -> dict[str, Any]:
    """A `Run`: core metadata, terminal output and files; `expand` adds `input`,
    `execution.steps` (give `steps`) and `execution.childExecutions` (give `children`;
    omitted when there are none), `usage` (give `usage`) and `debug`."""
    waiting_step = None
    if steps is not None and run.status == RunStatus.WAITING and run.next_step < len(steps):
        waiting_step = steps[run.next_step].name
    body = list_item(run)
    body["execution"] = execution(run, waiting_step)
    if run.status.terminal:
        body["output"] = run.output
        body["files"] = [artifact(a) for a in artifacts or []]
    if "input" in expand:
        body["input"] = {"args": run.input or {}, "metadata": run.metadata}
    if "execution" in expand and steps is not None:
        body["execution"]["steps"] = [step_row(run.id, s) for s in steps]
        if children:
            body["execution"]["childExecutions"] = [child_entry(c) for c in children]
    if "usage" in expand:
        body["usage"] = usage
    if "debug" in expand:
        body["debug"] = {
            "observability": {
                "events": f"/v1/runs/{run.id}/events",
                "trace": f"/v1/runs/{run.id}/trace",
                "takeovers": run.takeovers,
            }
        }
    return body


def accepted(run: RunRecord) -> dict[str, Any]:
    """A `RunAccepted` (201 on start, 202 when a hold expired)."""
    return {
        "id": run.id,
        "type": run.type,
        "finished": run.status.terminal,
        "status": run.status.value,
        "source": source(run),
    }


def cancelled(run: RunRecord, state: str, was: RunStatus) -> dict[str, Any]:
    """A `RunCancelResponse`."""
    return {
        "id": run.id,
        "type": run.type,
        "finished": run.status.terminal,
        "execution": {"status": run.status.value},
        "cancellation": {"state": state, "wasStatus": was.value},
        "cancelRequestedAt": iso(run.cancel_requested_at),
    }
