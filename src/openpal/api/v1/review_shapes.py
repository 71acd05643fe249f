"""Review tasks → the JSON of `/v1/human-reviews` (`HumanReviewListResponse`,
`HumanReviewTaskDetail` of `eigenpal._generated.models`, 0.20.93).

openpal's approvals have no field-level review: the field keys are present and
empty (`requiredCount: 0`, no decisions, no required paths), never invented.
"""

from __future__ import annotations

import json
from typing import Any

from openpal.engine.dates import iso
from openpal.files import FileRef
from openpal.service.reviews import ReviewTask, TaskFile

# a projection of the run's input above this many bytes is left out, as the SDK allows
MAX_INPUT_BYTES = 256 * 1024


def task_summary(task: ReviewTask) -> dict[str, Any]:
    """One row of `GET /v1/human-reviews` (and the head of a task's detail)."""
    run = task.run
    return {
        "id": task.id,
        "executionId": run.id,
        "automationId": run.workflow_id,
        "automationName": run.workflow_name or run.workflow_slug,
        "sourceKind": "workflow_step",
        "sourceLabel": task.step_name,
        "status": task.status,
        "requiredCount": 0,
        "confirmedCount": 0,
        "version": task.version,
        "createdAt": iso(task.created_at),
        "updatedAt": iso(task.updated_at),
        # openpal's own: an undecided approval is rejected at this time
        "expiresAt": iso(run.wait_until) if task.status == "pending" else None,
    }


def _file(found: TaskFile) -> dict[str, Any]:
    body: dict[str, Any] = {
        "fileId": found.file_id,
        "filename": found.filename,
        "artifactPath": found.path,
        "mimeType": found.mime_type,
        "size": found.size,
        "role": found.role,
    }
    if found.field_name is not None:
        body["fieldName"] = found.field_name
    return body


def _is_file(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(FileRef.is_ref(v) for v in value)
    return FileRef.is_ref(value)


def input_projection(data: Any) -> dict[str, Any] | None:
    """The run's input without its files: null when every field is a file."""
    fields = data if isinstance(data, dict) else {}
    kept = {k: v for k, v in fields.items() if not _is_file(v)}
    if fields and not kept:
        return None
    if len(json.dumps(kept, ensure_ascii=False)) > MAX_INPUT_BYTES:
        return {"status": "omitted_too_large"}
    return {"status": "available", "data": kept}


def task_detail(task: ReviewTask) -> dict[str, Any]:
    """`HumanReviewTaskDetail`: the summary, the run's input and files, the outcome."""
    return {
        **task_summary(task),
        "files": [_file(f) for f in task.files],
        "input": input_projection(task.run.input),
        "machineData": {},
        "draftData": {},
        "schema": None,
        "fieldMetadata": {},
        "requiredPaths": [],
        "selectionReasons": {},
        "decisions": [],
        "instructions": task.instructions,
        "completedBy": None,  # openpal does not record who decided
        "completedAt": iso(task.completed_at),
        "outcomeReason": task.outcome_reason,
    }
