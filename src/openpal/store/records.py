"""Value objects that cross the store interface (rows in, rows out)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from openpal import jsontext
from openpal.engine.states import RunStatus
from openpal.files import to_jsonable


def dumps(value: Any) -> str:
    """Compact RFC 8259 JSON for storage; file objects become their references (NaN and
    Infinity become null, lone surrogates U+FFFD: see `openpal.jsontext`)."""
    return jsontext.dumps(value, default=to_jsonable)


def to_plain(value: Any) -> Any:
    """`value` as plain JSON data (files become their references), as it will be stored."""
    return json.loads(dumps(value))


def loads(text: str | None) -> Any:
    return None if text is None else jsontext.loads(text)


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key: only its hash is stored; `prefix` helps people tell keys apart."""

    id: str
    tenant_id: str
    name: str
    key_hash: str
    prefix: str
    created_at: int
    revoked_at: int | None = None  # a revoked key authenticates nothing


@dataclass(frozen=True)
class WorkflowRecord:
    """A workflow: stable id per slug, pointing at its current version."""

    id: str
    slug: str
    name: str | None
    description: str | None
    kind: str
    created_at: int
    updated_at: int
    current_version_id: str | None
    current_version_label: str | None = None
    deleted_at: int | None = None  # soft-deleted over the API (its runs stay readable)


@dataclass(frozen=True)
class VersionRecord:
    """One immutable version of a workflow, with the YAML it was loaded from."""

    id: str
    workflow_id: str
    seq: int
    version_label: str | None
    content_hash: str
    yaml_content: str
    source_path: str | None
    created_at: int


@dataclass(frozen=True)
class NewRun:
    """What the service hands the store to create a run."""

    id: str
    tenant_id: str
    workflow_id: str
    workflow_slug: str
    workflow_name: str | None
    version_id: str
    version_label: str | None
    input: dict[str, Any]
    trigger_type: str
    created_at: int
    overrides: dict[str, Any] | None = None
    previous_execution_id: str | None = None
    retry_number: int = 0
    batch_id: str | None = None
    status: RunStatus = RunStatus.PENDING
    # admission control: the run's group ("<workflow id>/<rendered key>"), its limit,
    # and what to do when the group is full ("queue" or "reject")
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    admission: str | None = None
    deadline_seconds: float | None = None  # overrides the workflow's timeout_seconds
    tags: tuple[str, ...] = ()  # the caller's labels, exact strings (GET /v1/runs?tag=)
    metadata: dict[str, Any] | None = None  # the caller's free-form object, kept as sent
    trace_parent: str | None = None  # the caller's W3C `traceparent`, continued by the worker
    parent_id: str | None = None  # the run whose `workflow.invoke` step started this one
    parent_step: int | None = None  # the index of that step in the parent's workflow
    # a request in this process holds until the run ends: a store shared by many
    # processes announces its end to this process (the others are not told)
    held: bool = False


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's Idempotency-Key for a run start, with a hash of what it asked for."""

    key: str
    request_hash: str
    not_before: int  # keys recorded before this time (µs) have expired


@dataclass(frozen=True)
class RunRecord:
    """A run as stored. JSON columns stay encoded until someone asks for them."""

    id: str
    tenant_id: str
    type: str
    workflow_id: str
    workflow_slug: str
    workflow_name: str | None
    version_id: str
    version_label: str | None
    status: RunStatus
    trigger_type: str | None
    error: str | None
    schema_valid: bool | None
    previous_execution_id: str | None
    retry_number: int
    batch_id: str | None
    created_at: int
    started_at: int | None
    completed_at: int | None
    updated_at: int
    cancel_requested_at: int | None
    next_step: int
    step_started_at: int | None
    attempt: int
    fencing_token: int
    lease_owner: str | None
    lease_expires_at: int | None
    takeovers: int = 0  # claims of this run after its worker's lease expired (crashes)
    concurrency_key: str | None = None  # admission-control group, when the workflow has one
    deadline_seconds: float | None = None  # this run's own deadline, if it was given one
    waiting_for: str | None = None  # "timer" | "approval" while (or after) the run waits
    wait_until: int | None = None  # when a worker takes the waiting run up again
    decision: str | None = None  # "approved" once a person approved the waiting step
    resume_payload_json: str | None = None  # the approver's JSON body
    input_json: str | None = None
    output_json: str | None = None
    overrides_json: str | None = None
    tags_json: str | None = None  # JSON list; None for runs created without tags
    metadata_json: str | None = None
    trace_parent: str | None = None  # the W3C `traceparent` the run was started with
    parent_id: str | None = None  # the parent run, for a child run (`workflow.invoke`)
    parent_step: int | None = None  # the parent's step index that started it

    @property
    def tags(self) -> list[str]:
        found = loads(self.tags_json)
        return list(found) if isinstance(found, list) else []

    @property
    def metadata(self) -> Any:
        return loads(self.metadata_json)

    @property
    def resume_payload(self) -> Any:
        return None if self.resume_payload_json is None else loads(self.resume_payload_json)

    @property
    def input(self) -> Any:
        return loads(self.input_json)

    @property
    def output(self) -> Any:
        return loads(self.output_json)

    @property
    def overrides(self) -> Any:
        return loads(self.overrides_json)

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0, (self.completed_at - self.started_at) // 1000)


@dataclass(frozen=True)
class StepRecord:
    """A step execution that reached a checkpoint."""

    run_id: str
    index: int
    name: str
    status: str  # completed | skipped | failed | cancelled
    output_json: str | None
    error: str | None
    attempts: int
    started_at: int | None
    completed_at: int | None
    traceback: str | None = None  # of the final failed attempt (bounded), when it failed
    usage_json: str | None = None  # tokens the step reported (`StepContext.report_usage`)
    logs_json: str | None = None  # what its last attempt logged or printed (JSON list)

    @property
    def output(self) -> Any:
        return loads(self.output_json)

    @property
    def logs(self) -> list[dict[str, Any]]:
        found = loads(self.logs_json)
        return found if isinstance(found, list) else []

    @property
    def usage(self) -> dict[str, float] | None:
        found = loads(self.usage_json)
        return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class ArtifactRecord:
    """A file a step wrote, kept with its run under a relative `path`."""

    run_id: str
    path: str
    blob_id: str
    name: str
    mime_type: str
    size: int
    step_name: str
    created_at: int


@dataclass(frozen=True)
class StepResult:
    """What a worker checkpoints when a step ends."""

    index: int
    name: str
    status: str
    output: Any
    error: str | None
    attempts: int
    started_at: int
    completed_at: int
    traceback: str | None = None  # the final failed attempt's traceback (bounded)
    usage: dict[str, float] | None = None  # tokens the step reported, None if none
    logs: list[dict[str, Any]] | None = None  # what its last attempt logged or printed


@dataclass(frozen=True)
class ItemResult:
    """One ended item of a fan-out step (`forEach`, migration 0026): kept as it ends, so
    a run taken over runs only the items without one. `output` is plain JSON data."""

    step_index: int
    item_index: int
    status: str  # completed | failed
    output: Any
    error: str | None
    attempts: int
    started_at: int
    completed_at: int


@dataclass(frozen=True)
class RunEventRecord:
    """Something that happened inside a run and that its columns do not say (a retried
    attempt, a wait, a decision, a takeover); the rest of a run's history is derived."""

    run_id: str
    at: int  # µs
    type: str  # step.retry | run.waiting | run.decision | run.takeover
    step_index: int | None = None
    step_name: str | None = None
    attempt: int | None = None
    message: str | None = None
    data_json: str | None = None  # JSON object with the details
    id: int = 0  # assigned by the store; orders a run's events

    @property
    def data(self) -> dict[str, Any]:
        found = loads(self.data_json)
        return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class Claim:
    """A run a worker now holds, with the outputs of the steps already checkpointed."""

    run: RunRecord
    done: dict[str, Any] = field(default_factory=dict)  # step name -> output


@dataclass(frozen=True)
class Checkpointed:
    """The store's answer to a checkpoint: whether someone asked the run to stop."""

    cancel_requested: bool


@dataclass(frozen=True)
class RunFilter:
    """Everything `GET /runs` can filter on, already parsed (times in µs)."""

    tenant_id: str
    type: str | None = None
    workflow_ids: tuple[str, ...] | None = None
    statuses: tuple[RunStatus, ...] | None = None
    created_from: int | None = None
    created_to: int | None = None
    completed_from: int | None = None
    completed_to: int | None = None
    batch_id: str | None = None
    trigger_type: str | None = None
    # runs paused for this reason ("timer" | "approval"; the column outlives the wait,
    # so pair it with `statuses`), and paused at or before this time (µs)
    waiting_for: str | None = None
    waiting_since_to: int | None = None
    ids: tuple[str, ...] | None = None
    id_contains: str | None = None
    tags: tuple[str, ...] | None = None  # runs carrying any of these tags
    ascending: bool = False  # oldest first (the cursor then walks forward)
    limit: int = 50
    offset: int = 0
    after: tuple[int, str] | None = None  # keyset cursor: (created_at, id) of the last row seen


@dataclass(frozen=True)
class FileRecord:
    """An uploaded file: a tenant's name for a content-addressed blob (`sha256:…`)."""

    id: str  # file_…
    tenant_id: str
    blob_id: str
    filename: str
    content_type: str
    size: int
    purpose: str | None  # run-input | builder-attachment (kept a shorter time) | None
    created_at: int


@dataclass(frozen=True)
class UploadRecord:
    """An http-chunked upload session: numbered chunks that `complete` joins into the
    file `file_id`. Status: pending → completed | aborted."""

    id: str  # upl_…
    tenant_id: str
    file_id: str
    filename: str
    content_type: str
    size: int
    purpose: str | None
    idempotency_key: str | None
    chunk_size: int
    chunk_count: int
    status: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class UploadChunk:
    """One received chunk of an upload session, stored as a blob."""

    upload_id: str
    index: int
    blob_id: str
    size: int


@dataclass(frozen=True)
class RunTiming:
    """A run's workflow, status and times: what the dashboard's overview sums up."""

    workflow_slug: str
    status: RunStatus
    created_at: int
    started_at: int | None
    completed_at: int | None


@dataclass(frozen=True)
class WorkerSeen:
    """A worker pool that reported itself (every second or so while it lives)."""

    id: str  # host:pid:suffix
    slots: int
    free: int
    started_at: int  # µs
    seen_at: int  # µs


@dataclass(frozen=True)
class QueueStats:
    """How much work waits in the whole database, read at once (for `/metrics`)."""

    pending: int  # runs a worker may claim now or soon (admission-limited ones included)
    oldest_pending_created_at: int | None  # µs; None when nothing is pending
    running: int  # held by a worker (running or finalizing)
    waiting: int  # parked on a timer or an approval


@dataclass(frozen=True)
class ScheduleRecord:
    """One cron schedule of a workflow (a trigger of its current version)."""

    id: str
    workflow_id: str
    idx: int
    version_id: str
    cron: str
    timezone: str
    input: dict[str, Any]
    paused: bool
    next_fire_at: int  # µs
    last_fired_at: int | None
    last_run_id: str | None
    updated_at: int


@dataclass(frozen=True)
class ScheduleSpec:
    """A trigger to store (`Store.sync_schedules`), with its first fire time."""

    cron: str
    timezone: str
    input: dict[str, Any]
    next_fire_at: int  # µs
