"""What is read of runs after the fact, at the store interface: a run's checkpointed
steps, fan-out items, events and artifacts, and the listings (filters, timings, the
queue and the live worker pools)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpal.engine.states import RunStatus
from openpal.store.records import loads


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
class RunTiming:
    """A run's workflow, status and times: what the dashboard's overview sums up."""

    workflow_slug: str
    status: RunStatus
    created_at: int
    started_at: int | None
    completed_at: int | None


@dataclass(frozen=True)
class QueueStats:
    """How much work waits in the whole database, read at once (for `/metrics`)."""

    pending: int  # runs a worker may claim now or soon (admission-limited ones included)
    oldest_pending_created_at: int | None  # µs; None when nothing is pending
    running: int  # held by a worker (running or finalizing)
    waiting: int  # parked on a timer or an approval


@dataclass(frozen=True)
class WorkerSeen:
    """A worker pool that reported itself (every second or so while it lives)."""

    id: str  # host:pid:suffix
    slots: int
    free: int
    started_at: int  # µs
    seen_at: int  # µs
