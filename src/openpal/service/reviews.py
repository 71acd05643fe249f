"""Human-review tasks: a run paused at a `control.approval` step (or at an `ai.extract`
step whose extraction was refused, with `on_refusal: review`), seen as a task that a
person approves (the run continues) or rejects (the run ends `rejected`).

A task is not stored on its own. Its id names the run and the step (`review_ids`),
and its state is read off the run: pending while the run waits at that step, then
approved, rejected or cancelled by what became of the run. openpal's approvals have
no field-level review, so a task has no fields to confirm (`requiredCount` 0), and
its version counts its one change: 1 while pending, 2 once decided.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from openpal.engine.states import RunStatus
from openpal.errors import Conflict, NotFound
from openpal.files import FileRef
from openpal.service.review_ids import parse_task_id, task_id
from openpal.service.runs import RunService
from openpal.service.step_inputs import template_scope
from openpal.store.events import RUN_DECISION, RUN_WAITING
from openpal.store.history_records import RunEventRecord, RunFilter, StepRecord
from openpal.store.records import RunRecord
from openpal.workflows.model import WorkflowDef
from openpal.workflows.templates import render_string, to_text

APPROVAL = "control.approval"
EXTRACT = "ai.extract"  # waits for a person only when its extraction was refused
PENDING_VERSION, DECIDED_VERSION = 1, 2
_REVIEWER_PREFIX = "rejected by reviewer"


@dataclass(frozen=True)
class TaskFile:
    """A file the reviewer may open: a file of the run's input, or an artifact an
    earlier step wrote. `file_id` is the stored blob's id (`sha256:…`)."""

    file_id: str
    filename: str
    path: str  # `input/<field>` or the artifact's path
    mime_type: str
    size: int
    role: str  # run_input | attachment
    field_name: str | None = None


@dataclass(frozen=True)
class ReviewTask:
    """One approval wait of one run, with what became of it."""

    id: str
    run: RunRecord
    step_index: int
    step_name: str
    status: str  # pending | approved | rejected | cancelled
    created_at: int  # when the run paused at the step
    updated_at: int
    completed_at: int | None = None  # when the decision took effect (None while pending)
    outcome_reason: str | None = None  # why it was rejected or cancelled
    instructions: str | None = None  # the step's rendered `message`
    files: tuple[TaskFile, ...] = ()

    @property
    def version(self) -> int:
        return PENDING_VERSION if self.status == "pending" else DECIDED_VERSION


def human_review_meta(run: RunRecord, step_name: str | None) -> dict[str, Any] | None:
    """`execution.humanReview` of a run: its pending task while it waits for approval,
    None otherwise (the 0.20.93 schema allows only `pending` there)."""
    if run.status != RunStatus.WAITING or run.waiting_for != "approval":
        return None
    return {
        "taskId": task_id(run.id, run.next_step),
        "sourceKind": "workflow_step",
        "sourceLabel": step_name or f"step {run.next_step}",
        "status": "pending",
        "requiredCount": 0,
        "confirmedCount": 0,
        "version": PENDING_VERSION,
    }


def _reviewer_reason(error: str | None) -> str | None:
    if error is None or not error.startswith(_REVIEWER_PREFIX):
        return error
    return error[len(_REVIEWER_PREFIX) :].removeprefix(":").strip() or None


def derive_task(
    run: RunRecord, wf: WorkflowDef, index: int, steps: dict[int, StepRecord]
) -> ReviewTask | None:
    """The task of `run` at step `index`, or None when the run never waited there.

    The step's checkpoint says how a decided wait ended (completed: approved; rejected:
    timed out). Before that checkpoint the run's own columns say it: `waiting_for`
    stays `approval` from the pause until the step's checkpoint, beside the decision.
    """
    if not 0 <= index < len(wf.steps) or wf.steps[index].type not in (APPROVAL, EXTRACT):
        return None
    name = wf.steps[index].name
    outcome = _outcome(run, name, index, steps)
    if outcome is None:
        return None
    status, created, ended, reason = outcome
    return ReviewTask(
        id=task_id(run.id, index),
        run=run,
        step_index=index,
        step_name=name,
        status=status,
        created_at=created,
        updated_at=ended or run.updated_at,
        completed_at=ended,
        outcome_reason=reason,
    )


def _outcome(
    run: RunRecord, name: str, index: int, steps: dict[int, StepRecord]
) -> tuple[str, int, int | None, str | None] | None:
    """(status, paused at, decided at, reason) of the wait at step `index`, or None."""
    step, before = steps.get(index), steps.get(index - 1)
    # once a worker took the run up again, the pause is known only as the end of the
    # step before (or the run's start)
    resumed_at = (before.completed_at if before else None) or run.started_at or run.created_at
    if step is not None:  # the step ran to its end after the wait
        ended = step.completed_at or run.updated_at
        if step.status == "completed" and name not in (run.overrides or {}):
            return "approved", resumed_at, ended, None
        if step.status == "rejected":  # the approval's deadline passed
            return "rejected", resumed_at, ended, step.error
        return None  # skipped, overridden, or failed before it could wait
    if run.next_step != index or run.waiting_for != "approval":
        return None
    paused = run.step_started_at if run.status != RunStatus.RUNNING else None
    created = paused or resumed_at
    if run.status == RunStatus.WAITING or (run.decision is None and not run.status.terminal):
        return "pending", created, None, None  # (or timing out right now)
    done = run.completed_at or run.updated_at
    if run.decision == "approved":
        return "approved", created, done, None
    if run.status == RunStatus.REJECTED:
        return "rejected", created, done, _reviewer_reason(run.error)
    return "cancelled", created, done, run.error


def _exact_times(task: ReviewTask, events: list[RunEventRecord]) -> ReviewTask:
    """The task with the times its run recorded: when it paused at the step, and when a
    person decided (a timed-out approval keeps its step's end)."""
    at_step = [e for e in events if e.step_index == task.step_index]
    paused = [e.at for e in at_step if e.type == RUN_WAITING]
    decided = [e.at for e in at_step if e.type == RUN_DECISION]
    if paused:
        task = replace(task, created_at=paused[-1])
    if decided and task.status in ("approved", "rejected"):
        task = replace(task, completed_at=decided[-1], updated_at=decided[-1])
    return task


def _input_files(value: Any) -> list[TaskFile]:
    found = []
    for name, item in (value or {}).items():
        for ref in item if isinstance(item, list) else [item]:
            if FileRef.is_ref(ref):
                mime = str(ref.get("mimeType") or "application/octet-stream")
                found.append(
                    TaskFile(
                        str(ref["fileId"]),
                        str(ref.get("name") or name),
                        f"input/{name}",
                        mime,
                        int(ref.get("size") or 0),
                        "run_input",
                        name,
                    )
                )
    return found


class ReviewService:
    """List, read and decide the review tasks of a tenant."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs
        self.store = runs.store
        self.catalog = runs.catalog

    async def automation_id(self, ref: str) -> str:
        """The workflow id of `wf_…`, `workflows.<slug>` or a slug (404 when none)."""
        typed = ref.startswith("workflows.")
        name = ref.removeprefix("workflows.")
        found = await self.store.get_workflow(name) if name else None
        if found is None and typed and "." in name:  # a folder path: the slug is last
            found = await self.store.get_workflow(name.rsplit(".", 1)[1])
        if found is None:
            raise NotFound(f"automation {ref!r} not found")
        return found.id

    async def list(
        self,
        tenant_id: str,
        *,
        automation: str | None = None,
        waiting_since_to: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[ReviewTask], str | None]:
        """Pending tasks, oldest run first, and the cursor of the next page."""
        flt = RunFilter(
            tenant_id,
            statuses=(RunStatus.WAITING,),
            waiting_for="approval",
            waiting_since_to=waiting_since_to,
            workflow_ids=(await self.automation_id(automation),) if automation else None,
            ascending=True,
            limit=limit,
        )
        page, nxt = await self.runs.list(flt, cursor=cursor)
        tasks = []
        for run in page:
            wf = await self.catalog.definition(run.version_id)
            task = derive_task(run, wf, run.next_step, {})
            if task is not None:
                tasks.append(task)
        return tasks, nxt

    async def get(self, tenant_id: str, task: str) -> ReviewTask:
        """One task with its instructions and files, decided or not (404: no such wait)."""
        parsed = parse_task_id(task)
        run = await self.store.get_run(tenant_id, parsed[0]) if parsed else None
        if parsed is None or run is None:
            raise NotFound(f"review task {task} not found")
        return await self._detail(run, parsed[1], task)

    async def _detail(self, run: RunRecord, index: int, task: str) -> ReviewTask:
        wf = await self.catalog.definition(run.version_id)
        steps = {s.index: s for s in await self.store.get_steps(run.id)}
        found = derive_task(run, wf, index, steps)
        events = await self.store.list_run_events(run.id)
        waits = [e for e in events if e.type == RUN_WAITING and e.step_index == index]
        if found is None or (wf.steps[index].type != APPROVAL and not waits):
            raise NotFound(f"review task {task} not found: run {run.id} did not wait there")
        found = _exact_times(found, events)
        files = _input_files(run.input)
        for art in await self.store.list_artifacts(run.id):
            files.append(
                TaskFile(art.blob_id, art.name, art.path, art.mime_type, art.size, "attachment")
            )
        message = wf.steps[index].with_.get("message")
        instructions = None
        if wf.steps[index].type != APPROVAL:  # why the step asked: kept with its wait
            reason = waits[-1].data.get("reason")
            instructions = str(reason) if reason is not None else None
        elif message is not None:
            outputs = {wf.steps[i].name: s.output for i, s in steps.items()}
            scope = template_scope(run, run.input or {}, outputs)
            try:
                instructions = to_text(render_string(str(message), scope))
            except Exception:  # a template that fails at read time: show it as written
                instructions = str(message)
        return replace(found, instructions=instructions, files=tuple(files))

    @staticmethod
    def _check_pending(found: ReviewTask, expected_version: int | None) -> None:
        task = found.id
        if expected_version is not None and expected_version != found.version:
            raise Conflict(
                f"review task {task} is at version {found.version}, not {expected_version}"
                " (it changed since you read it)"
            )
        if found.status != "pending":
            raise Conflict(f"review task {task} is {found.status}; only a pending task is decided")

    async def approve(
        self, tenant_id: str, task: str, *, expected_version: int | None, output: Any = None
    ) -> ReviewTask:
        """Approve: the run continues; the approval step's output is `output` (or
        `{"approved": true}`). A task no longer pending is a `Conflict`."""
        found = await self.get(tenant_id, task)
        self._check_pending(found, expected_version)
        run = await self.runs.resume(
            tenant_id, found.run.id, output, at_step=found.step_index, field_prefix="output."
        )
        return await self._detail(run, found.step_index, task)

    async def reject(
        self,
        tenant_id: str,
        task: str,
        *,
        expected_version: int | None,
        reason: str | None,
        idempotency_key: str | None = None,
    ) -> ReviewTask:
        """Reject: the run ends `rejected` with the reason as its error.

        With an `idempotency_key`, repeating a reject that already took effect (the task
        is rejected by a reviewer with this same reason) answers the task instead of a
        `Conflict`, so a client may retry a reject whose answer it lost.
        """
        found = await self.get(tenant_id, task)
        if idempotency_key is not None and found.status == "rejected":
            by_reviewer = (found.run.error or "").startswith(_REVIEWER_PREFIX)
            if by_reviewer and found.outcome_reason == ((reason or "").strip() or None):
                return found
        self._check_pending(found, expected_version)
        run = await self.runs.reject(tenant_id, found.run.id, reason, at_step=found.step_index)
        return await self._detail(run, found.step_index, task)

    async def file(self, tenant_id: str, task: str, file_id: str) -> TaskFile:
        """A file listed on the task (404 for any other id)."""
        for found in (await self.get(tenant_id, task)).files:
            if found.file_id == file_id:
                return found
        raise NotFound(f"review task {task} has no file {file_id!r}")
