"""Executing a `workflow.invoke` step: start the child run once, park the parent, read the
child's end when the parent is woken.

The child is started through the run service (input validation, admission control, the
workflow's own deadline) with the parent's id and the step's index (migration 0025). A
parent resumed or taken over looks the child up by (parent, step) first, so a step never
starts a second child; the start also carries an idempotency key of the same pair.

While the child runs the parent waits (`waiting_for = "children"`) and holds no worker
slot. It is woken when the child ends (the executor that finishes the child, a cancel or a
reviewer's rejection makes it due at once); a safety timer (`CHILD_POLL_SECONDS`, 5 minutes,
never past the parent's deadline) re-reads the child if a wake-up was lost.
"""

from __future__ import annotations

import logging
from typing import Any

from openpal.engine.states import RunStatus
from openpal.errors import Conflict, InvalidInput, NotFound
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.runs import RunService
from openpal.steps.base import Suspend
from openpal.steps.invoke import MAX_CHILD_DEPTH, child_target
from openpal.store.base import Store
from openpal.store.records import RunRecord
from openpal.worker.clock import Clock
from openpal.worker.outcome import StepOutcome
from openpal.workflows.model import StepSpec
from openpal.workflows.templates import render_value

__all__ = ["CHILD_POLL_SECONDS", "WAITING_FOR", "Invoker"]

log = logging.getLogger("openpal.worker")
WAITING_FOR = "children"
CHILD_POLL_SECONDS = 300.0  # a waiting parent re-reads its child at least this often


class Invoker:
    """Starts and reads child runs for the executor."""

    def __init__(self, store: Store, catalog: Catalog, hub: Hub, clock: Clock) -> None:
        self.store = store
        self.runs = RunService(store, catalog, hub)
        self.clock = clock

    async def step(
        self,
        run: RunRecord,
        spec: StepSpec,
        index: int,
        scope: dict[str, Any],
        deadline: int | None,
    ) -> StepOutcome:
        """The step's outcome: the child's output, a failure naming the child, or a wait."""
        child = await self.store.find_child(run.id, index)
        if child is None:
            try:
                child = await self._start(run, spec, index, scope)
            except (NotFound, InvalidInput, Conflict, ValueError, TypeError) as exc:
                return _failed(spec.name, f"could not start a child run: {exc}")
            log.info("run %s: step %r started child run %s", run.id, spec.name, child.id)
        return self._read(spec.name, child, deadline)

    async def parked(self, run: RunRecord, index: int) -> None:
        """After the parent parked: a child that ended meanwhile (its wake-up found the
        parent still running) makes the parent due at once."""
        child = await self.store.find_child(run.id, index)
        if child is not None and child.status.terminal:
            await self.store.wake_waiting(run.id, WAITING_FOR, self.clock.now())

    async def child_ended(self, child: RunRecord) -> None:
        """A child run ended: its parent, if it waits for it, is due now."""
        if child.parent_id is not None:
            await self.store.wake_waiting(child.parent_id, WAITING_FOR, self.clock.now())

    async def cancel_children(self, run: RunRecord) -> None:
        """A parent that ended without completing (over its deadline, cancelled while a
        child was being started) leaves no child running."""
        for child in await self.store.list_children(run.id):
            if not child.status.terminal:
                await self.runs.cancel(run.tenant_id, child.id)

    async def _start(
        self, run: RunRecord, spec: StepSpec, index: int, scope: dict[str, Any]
    ) -> RunRecord:
        config = render_value(spec.with_, scope)
        target = child_target(config.get("workflow"))
        data = config.get("input") or {}
        if not isinstance(data, dict):
            raise ValueError(f"input must be a mapping of the child's inputs, not {data!r}")
        depth = await self._depth(run)
        if depth >= MAX_CHILD_DEPTH:
            raise ValueError(
                f"{target}: child runs nested deeper than {MAX_CHILD_DEPTH} levels"
                f" (this run is at depth {depth})"
            )
        return await self.runs.start(
            run.tenant_id,
            target,
            data,
            trigger="workflow",
            idempotency_key=f"invoke:{run.id}:{index}",
            child_of=(run.id, index),
        )

    async def _depth(self, run: RunRecord) -> int:
        """How many ancestors `run` has (0 for a run nobody invoked)."""
        depth, current = 0, run
        while current.parent_id is not None and depth <= MAX_CHILD_DEPTH:
            parent = await self.store.get_run(run.tenant_id, current.parent_id)
            if parent is None:
                break
            depth, current = depth + 1, parent
        return depth

    def _read(self, name: str, child: RunRecord, deadline: int | None) -> StepOutcome:
        if child.status is RunStatus.COMPLETED:
            return StepOutcome("completed", child.output)
        what = f"child run {child.id} (workflow {child.workflow_slug!r})"
        if child.status.terminal:
            return _failed(name, f"{what} {child.status.value}: {child.error or 'no error'}")
        until = self.clock.now() + int(CHILD_POLL_SECONDS * 1_000_000)
        if deadline is not None:
            until = min(until, deadline)
        return StepOutcome("waiting", pause=Suspend(WAITING_FOR, until, message=what))


def _failed(name: str, error: str) -> StepOutcome:
    return StepOutcome("failed", error=error, run_error=f"step {name!r} failed: {error}")
