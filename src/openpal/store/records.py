"""A run's value objects at the store interface, and the JSON of stored columns.

What the service and the worker hand the store and get back for one run: the run to
create (`NewRun`, `IdempotencyKey`), the run as stored (`RunRecord`), a step's end
(`StepResult`), a claim and a checkpoint's answer. The other areas' value objects:
`history_records` (steps, items, events and artifacts as kept; listing filters and
sums), `catalog_records` (API keys, workflows, versions, schedules), `file_records`
(uploaded files and upload sessions).
"""

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
class Claim:
    """A run a worker now holds, with the outputs of the steps already checkpointed."""

    run: RunRecord
    done: dict[str, Any] = field(default_factory=dict)  # step name -> output


@dataclass(frozen=True)
class Checkpointed:
    """The store's answer to a checkpoint: whether someone asked the run to stop."""

    cancel_requested: bool
