"""Typed, frozen results of SDK calls, parsed from the wire's camelCase JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

TERMINAL = frozenset({"completed", "failed", "cancelled", "rejected"})
T = TypeVar("T")


@dataclass(frozen=True)
class StepExecution:
    """One step of a run, from `include="detail"`."""

    step_name: str
    status: str
    output: Any = None
    error: str | None = None
    attempts: int = 0
    step_type: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    duration_ms: int | None = None
    traceback: str | None = None  # openpal: the final failed attempt's
    logs: tuple[dict[str, Any], ...] = ()  # openpal: what the last attempt logged or printed

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> StepExecution:
        return cls(
            step_name=str(d.get("stepName") or d.get("name") or ""),
            status=str(d.get("status")),
            output=d.get("outputData", d.get("output")),
            error=d.get("error"),
            attempts=int(d.get("attempts") or 0),
            step_type=d.get("stepType"),
            started_at=d.get("startedAt"),
            completed_at=d.get("completedAt"),
            duration_ms=d.get("durationMs"),
            traceback=d.get("traceback"),
            logs=tuple(x for x in d.get("logs") or () if isinstance(x, dict)),
        )


@dataclass(frozen=True)
class Run:
    """A run: its status, and its `output` / `error` once it ended.

    Also readable like the official SDK's dicts (`run["status"]`, `run["runId"]`).
    """

    id: str
    status: str
    type: str = "workflow"
    output: Any = None
    error: str | None = None
    error_code: str | None = None  # "deadline_exceeded": failed over its deadline
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    duration_ms: int | None = None
    trigger_type: str | None = None
    source_id: str | None = None
    source_name: str | None = None
    version: str | None = None
    schema_valid: bool | None = None
    previous_execution_id: str | None = None
    parent_execution_id: str | None = None  # the run whose workflow.invoke step started it
    retry_number: int = 0
    cancel_requested_at: str | None = None
    input: Any = None
    steps: tuple[StepExecution, ...] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.id

    @property
    def result(self) -> Any:
        """The seed's name for `output` (set when `status == "completed"`)."""
        return self.output

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def __getitem__(self, key: str) -> Any:
        if key == "runId":
            return self.id
        if key in ("status", "output", "error", "result"):
            return getattr(self, key)
        return self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in ("runId", "status", "output", "error", "result") or key in self.raw

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Run:
        raw_source = d.get("source")
        source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
        steps = d.get("stepExecutions")
        return cls(
            id=str(d.get("id") or d.get("runId")),
            status=str(d.get("status")),
            type=str(d.get("type") or "workflow"),
            output=d.get("output"),
            error=d.get("error"),
            error_code=d.get("errorCode"),
            created_at=d.get("createdAt"),
            started_at=d.get("startedAt"),
            completed_at=d.get("completedAt"),
            duration_ms=d.get("durationMs"),
            trigger_type=d.get("triggerType"),
            source_id=d.get("sourceId") or source.get("id"),
            source_name=d.get("sourceName") or source.get("name"),
            version=d.get("version") or source.get("version"),
            schema_valid=d.get("schemaValid"),
            previous_execution_id=d.get("previousExecutionId"),
            parent_execution_id=d.get("parentExecutionId"),
            retry_number=int(d.get("retryNumber") or 0),
            cancel_requested_at=d.get("cancelRequestedAt"),
            input=d.get("input"),
            steps=None if steps is None else tuple(StepExecution.from_wire(s) for s in steps),
            raw=d,
        )


@dataclass(frozen=True)
class RunEnvelope:
    """`client.runs.get(...)`: `RunEnvelope(run=...)`, whose run's fields read directly too."""

    run: Run

    def __getattr__(self, name: str) -> Any:
        return getattr(self.run, name)

    def __getitem__(self, key: str) -> Any:
        return self.run[key]


@dataclass(frozen=True)
class RunPage:
    """One page of `client.runs.list(...)`."""

    runs: tuple[Run, ...]
    next_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


@dataclass(frozen=True)
class Workflow:
    id: str
    name: str | None
    slug: str | None
    version: str | None
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    yaml_content: str | None = None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Workflow:
        return cls(
            id=str(d["id"]),
            name=d.get("name"),
            slug=d.get("slug"),
            version=d.get("version"),
            description=d.get("description"),
            created_at=d.get("createdAt"),
            updated_at=d.get("updatedAt"),
            yaml_content=d.get("yamlContent"),
        )


@dataclass(frozen=True)
class WorkflowVersion:
    id: str
    workflow_id: str
    version: str | None
    is_current: bool
    yaml_content: str | None = None
    created_at: str | None = None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> WorkflowVersion:
        return cls(
            id=str(d["id"]),
            workflow_id=str(d["workflowId"]),
            version=d.get("version"),
            is_current=bool(d.get("isCurrent")),
            yaml_content=d.get("yamlContent"),
            created_at=d.get("createdAt"),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """A `{data, total, limit, offset}` page: of workflows, automations, versions."""

    data: tuple[T, ...]
    total: int
    limit: int
    offset: int
