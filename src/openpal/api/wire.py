"""Domain records → the camelCase JSON shapes of the EigenPal 0.6 wire contract."""

from __future__ import annotations

from typing import Any

from openpal.engine.dates import iso
from openpal.engine.states import error_code
from openpal.service.run_views import StepView
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.store.history_records import ArtifactRecord
from openpal.store.records import RunRecord


def run_summary(run: RunRecord) -> dict[str, Any]:
    """A RunSummary with every key the official SDK's strict parser requires."""
    return {
        "id": run.id,
        "type": run.type,
        "status": run.status.value,
        "triggerType": run.trigger_type,
        "createdAt": iso(run.created_at),
        "startedAt": iso(run.started_at),
        "completedAt": iso(run.completed_at),
        "durationMs": run.duration_ms,
        "error": run.error,
        "errorCode": error_code(run.status, run.error),  # openpal's: extra keys are ignored
        "batchId": run.batch_id,
        "previousExecutionId": run.previous_execution_id,
        "parentExecutionId": run.parent_id,  # the run whose workflow.invoke started it
        "retryNumber": run.retry_number,
        "schemaValid": run.schema_valid,
        "evalPassed": None,
        "evalScore": None,
        "triggeredBy": None,
        "version": run.version_label,
        "requestedSourceRef": None,
        "resolvedGitRef": None,
        "resolvedGitTag": None,
        "resolvedCommitSha": None,
        "sourceId": run.workflow_id,
        "sourceName": run.workflow_name,
        "sourceSlug": run.workflow_slug,
        "agentSlug": None,
        "exampleId": None,
        "exampleName": None,
        "cancelRequestedAt": iso(run.cancel_requested_at),
    }


def artifact_entry(a: ArtifactRecord) -> dict[str, Any]:
    return {
        "path": a.path,
        "name": a.name,
        "mimeType": a.mime_type,
        "size": a.size,
        "stepName": a.step_name,
        "createdAt": iso(a.created_at),
        "url": f"/api/v1/runs/{a.run_id}/artifact/{a.path}",
    }


def child_entry(child: RunRecord) -> dict[str, Any]:
    """One child run (started by a `workflow.invoke` step) as its parent lists it."""
    return {
        "id": child.id,
        "status": child.status.value,
        "workflow": child.workflow_slug,
        "stepIndex": child.parent_step,
        "error": child.error,
        "createdAt": iso(child.created_at),
        "completedAt": iso(child.completed_at),
    }


def run_detail(
    run: RunRecord,
    steps: list[StepView],
    artifacts: list[ArtifactRecord] | None = None,
    children: list[RunRecord] | None = None,
) -> dict[str, Any]:
    """The `include=detail` payload.

    Deliberately *not* RunSummary-shaped (no `sourceId`/`agentSlug`; the source is
    a nested object): the official SDK parses a RunSummary-shaped body strictly
    and would drop `output`.
    """
    return {
        "id": run.id,
        "type": run.type,
        "status": run.status.value,
        "output": run.output,
        "error": run.error,
        "errorCode": error_code(run.status, run.error),
        "input": run.input,
        "triggerType": run.trigger_type,
        "createdAt": iso(run.created_at),
        "startedAt": iso(run.started_at),
        "completedAt": iso(run.completed_at),
        "durationMs": run.duration_ms,
        "cancelRequestedAt": iso(run.cancel_requested_at),
        "schemaValid": run.schema_valid,
        "previousExecutionId": run.previous_execution_id,
        "parentExecutionId": run.parent_id,
        "childExecutions": [child_entry(c) for c in children or []],
        "retryNumber": run.retry_number,
        "attempt": run.attempt,
        "takeovers": run.takeovers,
        "deadlineSeconds": run.deadline_seconds,
        "artifacts": [artifact_entry(a) for a in artifacts or []],
        "waitingFor": run.waiting_for if run.status.value == "waiting" else None,
        "waitUntil": iso(run.wait_until) if run.status.value == "waiting" else None,
        "source": {
            "id": run.workflow_id,
            "name": run.workflow_name,
            "slug": run.workflow_slug,
            "version": run.version_label,
            "versionId": run.version_id,
        },
        "stepExecutions": [step_detail(s) for s in steps],
    }


def step_detail(step: StepView) -> dict[str, Any]:
    return {
        "stepName": step.name,
        "stepType": step.type,
        "index": step.index,
        "status": step.status,
        "outputData": step.output,
        "error": step.error,
        "attempts": step.attempts,
        "startedAt": iso(step.started_at),
        "completedAt": iso(step.completed_at),
        "durationMs": step.duration_ms,
        # openpal's additions: the final failed attempt's traceback, and what the last
        # attempt logged or printed ({at, stream, level?, text}); retried attempts are in
        # GET /v1/runs/{id}/steps/{step} and the run's events
        "traceback": step.traceback,
        "logs": step.logs or [],
        # a `forEach` step's items ended so far: {completed, failed[, total]}
        **({"items": step.items} if step.items is not None else {}),
    }


def start_response(run: RunRecord, *, terminal_fields: bool) -> dict[str, Any]:
    """The body of `POST /run/{target}` (RunStartResponse)."""
    body: dict[str, Any] = {"runId": run.id, "type": run.type, "status": run.status.value}
    if terminal_fields:
        body["output"] = run.output
        body["error"] = run.error
        body["errorCode"] = error_code(run.status, run.error)
        body["schemaValid"] = run.schema_valid
    return body


def cancel_response(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status.value,
        "cancelRequestedAt": iso(run.cancel_requested_at),
    }


def workflow_summary(wf: WorkflowRecord) -> dict[str, Any]:
    return {
        "id": wf.id,
        "name": wf.name,
        "slug": wf.slug,
        "description": wf.description,
        "kind": wf.kind,
        "version": wf.current_version_label,
        "createdAt": iso(wf.created_at),
        "updatedAt": iso(wf.updated_at),
    }


def workflow_detail(wf: WorkflowRecord, version: VersionRecord | None) -> dict[str, Any]:
    body = workflow_summary(wf)
    body["yamlContent"] = version.yaml_content if version else None
    body["currentVersionId"] = wf.current_version_id
    return body


def version_item(v: VersionRecord, current_id: str | None) -> dict[str, Any]:
    return {
        "id": v.id,
        "workflowId": v.workflow_id,
        "version": v.version_label,
        "seq": v.seq,
        "contentHash": v.content_hash,
        "yamlContent": v.yaml_content,
        "isCurrent": v.id == current_id,
        "createdAt": iso(v.created_at),
    }
