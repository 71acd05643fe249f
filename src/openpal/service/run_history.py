"""What happened inside a run: its timeline of events, its steps in full, its usage, its trace.

Most of a run's history is derived from what the run keeps anyway (its times, one
row per step, `cancel_requested_at`); the store records only what leaves no other
trace (`openpal.store.events`: retried attempts, waits, decisions, takeovers). This
module merges the two into one timeline, so the normal path of a run writes nothing
extra for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from openpal.engine.states import RunStatus
from openpal.errors import NotFound
from openpal.service.review_ids import parse_step_execution_id
from openpal.service.run_views import StepView
from openpal.service.runs import RunService
from openpal.service.step_inputs import rendered_input
from openpal.store.events import RUN_DECISION, RUN_TAKEOVER, RUN_WAITING, STEP_RETRY
from openpal.store.history_records import RunEventRecord
from openpal.store.records import RunRecord

TOKEN_KEYS = ("input", "output", "cacheRead", "cacheWrite", "llmCalls", "ocrPages")
_ENDED = ("completed", "skipped", "failed", "cancelled", "rejected")


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a run's timeline."""

    type: str  # run.created | run.started | step.started | step.<end status> | step.retry | …
    at: int  # µs
    status: str | None = None  # the run's or the step's status it led to
    message: str | None = None
    step_index: int | None = None
    step_name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepInFull:
    """One step of a run with everything openpal knows about it."""

    run: RunRecord
    view: StepView
    config: Any  # the step's `with:` as the workflow version wrote it
    input: Any  # that configuration rendered (see `step_inputs.rendered_input`)
    input_note: str  # how `input` was obtained, or why there is none
    retries: list[HistoryEvent]  # its failed attempts that were tried again


@dataclass(frozen=True)
class Usage:
    """What a run consumed: time, and the tokens and OCR pages its steps reported."""

    duration_ms: int | None
    tokens: dict[str, float]  # TOKEN_KEYS → sums (zeros when no step reported any)
    steps: list[tuple[StepView, dict[str, float]]]  # each step that ran, with its tokens


class RunHistory:
    """Reads a run's history for the API (404 for a run of another tenant)."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs

    async def steps(self, tenant_id: str, run_id: str) -> tuple[RunRecord, list[StepView]]:
        """The run and one view per step of its workflow version (ran or not)."""
        return await self.runs.detail(tenant_id, run_id)

    async def step(self, tenant_id: str, run_id: str, step_execution_id: str) -> StepInFull:
        """One step by its execution id (`review_ids.step_execution_id`)."""
        parsed = parse_step_execution_id(step_execution_id)
        run, views = await self.runs.detail(tenant_id, run_id)
        if parsed is None or parsed[0] != run.id or parsed[1] >= len(views):
            raise NotFound(f"run {run_id} has no step execution {step_execution_id!r}")
        index = parsed[1]
        wf = await self.runs.catalog.definition(run.version_id)
        spec = wf.steps[index]
        value, note = rendered_input(run, wf, views, index)
        recorded = await self.runs.store.list_run_events(run.id)
        mine = [
            _stored(e, views) for e in recorded if e.type == STEP_RETRY and e.step_index == index
        ]
        return StepInFull(run, views[index], spec.with_, value, note, mine)

    async def events(self, tenant_id: str, run_id: str) -> list[HistoryEvent]:
        """The run's timeline, oldest first."""
        run, views = await self.runs.detail(tenant_id, run_id)
        recorded = await self.runs.store.list_run_events(run.id)
        return timeline(run, views, recorded)

    async def usage(self, tenant_id: str, run_id: str) -> Usage:
        """Durations and the tokens the run's steps (and their retried attempts) reported."""
        return await self.usage_for(await self.runs.get(tenant_id, run_id))

    async def usage_for(self, run: RunRecord, views: list[StepView] | None = None) -> Usage:
        """`usage` of a run already read (for `GET /v1/runs/{id}?expand=usage`), from its
        step views when the caller has them."""
        if views is None:
            views = await self.runs.step_views(run)
        recorded = await self.runs.store.list_run_events(run.id)
        tokens = dict.fromkeys(TOKEN_KEYS, 0.0)
        per_step: dict[int, dict[str, float]] = {}
        reported: list[tuple[int | None, Any]] = [(v.index, v.usage) for v in views if v.usage]
        reported += [(e.step_index, e.data.get("usage")) for e in recorded if e.type == STEP_RETRY]
        for index, found in reported:
            if index is None or not isinstance(found, dict):
                continue
            mine = per_step.setdefault(index, dict.fromkeys(TOKEN_KEYS, 0.0))
            for key in TOKEN_KEYS:
                value = found.get(key, 0)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    tokens[key] += value
                    mine[key] += value
        ran = [v for v in views if v.started_at is not None]
        steps = [(v, per_step.get(v.index, dict.fromkeys(TOKEN_KEYS, 0.0))) for v in ran]
        return Usage(run.duration_ms, tokens, steps)

    async def trace(
        self, tenant_id: str, run_id: str
    ) -> tuple[RunRecord, list[StepView], list[HistoryEvent]]:
        """What a trace is drawn from: the run, its steps and its timeline."""
        run, views = await self.runs.detail(tenant_id, run_id)
        recorded = await self.runs.store.list_run_events(run.id)
        return run, views, timeline(run, views, recorded)


def _stored(e: RunEventRecord, views: list[StepView]) -> HistoryEvent:
    """A recorded event as a timeline entry (the step's name from the workflow version)."""
    name = e.step_name
    if name is None and e.step_index is not None and e.step_index < len(views):
        name = views[e.step_index].name
    data = dict(e.data)
    status = None
    if e.type == RUN_WAITING:
        status = "waiting"
    elif e.type == RUN_DECISION:
        status = "pending" if data.get("decision") == "approved" else "rejected"
    elif e.type == RUN_TAKEOVER:
        status = "running"
    elif e.type == STEP_RETRY:
        status = "retrying"
    if e.attempt is not None:
        data.setdefault("attempt", e.attempt)
    return HistoryEvent(e.type, e.at, status, e.message, e.step_index, name, data)


def timeline(
    run: RunRecord, views: list[StepView], recorded: list[RunEventRecord]
) -> list[HistoryEvent]:
    """Derived events (from the run's columns and step rows) and recorded ones, merged
    and sorted by time; events at the same instant keep their logical order."""
    events = [HistoryEvent("run.created", run.created_at, "pending", "run accepted")]
    if run.started_at is not None:
        events.append(
            HistoryEvent("run.started", run.started_at, "running", "a worker took the run")
        )
    stored = [_stored(e, views) for e in recorded]
    for n, e in enumerate(stored):  # a retried attempt's lines: events of their own
        if e.type == STEP_RETRY and "logs" in e.data:
            events += log_events(e.data["logs"], e.step_index, e.step_name, e.data.get("attempt"))
            stored[n] = replace(e, data={k: v for k, v in e.data.items() if k != "logs"})
    events += stored
    for view in views:
        events += log_events(view.logs or [], view.index, view.name, view.attempts)
    waits = {e.step_index: e for e in stored if e.type == RUN_WAITING}
    decided = {e.step_index: e for e in stored if e.type == RUN_DECISION}
    for view in views:
        events += _step_events(view, waits.get(view.index), decided.get(view.index))
    if run.cancel_requested_at is not None:
        events.append(
            HistoryEvent("run.cancel_requested", run.cancel_requested_at, None, "cancel requested")
        )
    if run.status.terminal and run.completed_at is not None:
        message = run.error if run.status != RunStatus.COMPLETED else "run completed"
        events.append(
            HistoryEvent(f"run.{run.status.value}", run.completed_at, run.status.value, message)
        )
    order = {id(e): n for n, e in enumerate(events)}
    return sorted(events, key=lambda e: (e.at, _rank(e), order[id(e)]))


def log_events(
    lines: list[dict[str, Any]], index: int | None, name: str | None, attempt: Any
) -> list[HistoryEvent]:
    """`step.log` events: what a step attempt logged (`ctx.logger`) or printed."""
    out = []
    for line in lines:
        if not isinstance(line, dict):
            continue
        data = {"attempt": attempt, "stream": line.get("stream")}
        if line.get("level"):
            data["level"] = line["level"]
        found = line.get("at")
        at = found if isinstance(found, int) else 0
        out.append(HistoryEvent("step.log", at, None, str(line.get("text", "")), index, name, data))
    return out


def _rank(e: HistoryEvent) -> int:
    """Tie-break for events at the same µs: a run starts before its steps, steps end
    before the run does."""
    if e.type in ("run.created", "run.started"):
        return 0
    if e.type.startswith("run.") and e.status in {s.value for s in RunStatus if s.terminal}:
        return 3 if e.type != RUN_DECISION else 2
    return 1


def _step_events(
    view: StepView, waited: HistoryEvent | None, decided: HistoryEvent | None
) -> list[HistoryEvent]:
    """A step's start and end (and, for a step the run waited at, its resumption)."""
    out: list[HistoryEvent] = []

    def add(kind: str, at: int, status: str, message: str | None, **data: Any) -> None:
        out.append(HistoryEvent(kind, at, status, message, view.index, view.name, data))

    started = view.started_at
    if waited is not None and started is not None and started >= waited.at:
        if decided is not None and decided.status == "pending":
            why = "approved"
        elif waited.data.get("waitingFor") == "timer":
            why = "timer fired"
        else:
            why = "approval deadline passed"
        if view.status != "waiting":
            add("run.resumed", started, "running", f"resumed: {why}")
    if view.status == "skipped":
        at = view.completed_at if view.completed_at is not None else started
        if at is not None:
            add("step.skipped", at, "skipped", "condition was false")
        return out
    if started is not None and view.status != "waiting":
        add("step.started", started, "running", None)
    if view.status in _ENDED and view.completed_at is not None:
        extra = {"traceback": view.traceback} if view.traceback else {}
        message = view.error if view.status != "completed" else None
        add(f"step.{view.status}", view.completed_at, view.status, message,
            attempts=view.attempts, **extra)  # fmt: skip
    return out
