"""Where a run ends: a step's row as a checkpoint writes it, the run's output (mapping,
size, schema), and the one write that finishes the run, with what follows for the
parent and the children of the run that ended.

A run that ends at a step ends in one place (`RunEnding.end_at`), and at its end in one
place (`RunEnding.end`); both end in `RunEnding.finish`."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from openpal.engine.states import CANCELLED_BY_REQUEST, RunStatus
from openpal.jsontext import storable_text
from openpal.schemas import schema_errors
from openpal.service.notify import Hub
from openpal.store.base import Store
from openpal.store.records import Checkpointed, Claim, StepResult, dumps, to_plain
from openpal.worker.clock import Clock
from openpal.worker.invoke import Invoker
from openpal.worker.outcome import StepOutcome
from openpal.worker.output_limits import output_problem
from openpal.workflows.model import WorkflowDef
from openpal.workflows.templates import render_value

__all__ = ["RunEnding", "is_json", "not_json"]

log = logging.getLogger("openpal.worker")
Durably = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


class RunEnding:
    """Checkpoints the steps of the executor's runs and ends the runs."""

    def __init__(
        self,
        store: Store,
        hub: Hub,
        invoker: Invoker,
        clock: Clock,
        durably: Durably,
        max_output_chars: int,
    ) -> None:
        self.store = store
        self.hub = hub
        self.invoker = invoker  # a run ending wakes its parent, cancels its children
        self.clock = clock
        self.durably = durably  # the lease keeper's: rides out a short database outage
        self.max_output_chars = max_output_chars  # the run's output, as JSON

    def result(self, index: int, name: str, outcome: StepOutcome, started: int) -> StepResult:
        """The step's row as a checkpoint writes it."""
        error = None if outcome.error is None else storable_text(outcome.error)  # NUL
        return StepResult(
            index, name, outcome.status, outcome.output, error, outcome.attempts, started,
            self.clock.now(), traceback=outcome.traceback, usage=outcome.usage,
            logs=outcome.logs,
        )  # fmt: skip

    async def checkpoint(
        self, run_id: str, token: int, result: StepResult, next_step: int
    ) -> Checkpointed:
        # never `finalizing`: the last step is checkpointed by the write that ends the run
        return await self.store.checkpoint(
            run_id, token, result, next_step=next_step, finalizing=False, now=self.clock.now()
        )

    async def end_at(
        self, run_id: str, token: int, index: int, name: str, outcome: StepOutcome, started: int
    ) -> None:
        """The run ends at this step: the step's row (the run stays at it), then the run."""
        result = self.result(index, name, outcome, started)  # an ending has no output
        await self.durably(functools.partial(self.checkpoint, run_id, token, result, index))
        await self.finish(run_id, token, outcome.run_status, None, outcome.run_message)

    async def end(
        self,
        run_id: str,
        token: int,
        wf: WorkflowDef,
        scope: dict[str, Any],
        claim: Claim,
        last_output: Any,
        cancelled: threading.Event,
        last_step: StepResult | None,
    ) -> None:
        """Finalize: the output mapping and schema, then one write ending the run (with
        its last step's checkpoint when that step ran here)."""
        finish = functools.partial(self.finish, run_id, token, last_step=last_step)
        if cancelled.is_set():
            await finish(RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST)
            return
        try:
            if wf.output is not None:
                final = render_value(wf.output, scope)
            elif claim.done and claim.run.next_step == len(wf.steps):
                final = scope["steps"][wf.steps[-1].name]["output"]
            else:
                final = last_output
        except Exception as exc:
            await finish(RunStatus.FAILED, None, f"output mapping failed: {exc}")
            return
        too_big = output_problem(final, self.max_output_chars, "the run's output")
        if too_big is not None:
            await finish(RunStatus.FAILED, None, too_big)
            return
        valid = None
        if wf.output_schema is not None:
            problems = schema_errors(to_plain(final), dict(wf.output_schema))
            valid = not problems
            if problems and wf.strict_output_schema:
                message = "output does not match the workflow's output_schema: " + "; ".join(
                    problems
                )
                await finish(RunStatus.FAILED, final, message, valid)
                return
        await finish(RunStatus.COMPLETED, final, None, valid)

    async def finish(
        self,
        run_id: str,
        token: int,
        status: RunStatus,
        output: Any,
        error: str | None,
        schema_valid: bool | None = None,
        *,
        last_step: StepResult | None = None,
    ) -> None:
        """The one place a run ends."""
        error = None if error is None else storable_text(error)  # NUL: see storable_text
        if status is RunStatus.FAILED:  # once per run, with its step and attempt bound
            log.warning("run %s failed: %s", run_id, error)
        finished = await self.durably(
            lambda: self.store.finish_run(
                run_id, token, status, output=output, error=error, now=self.clock.now(),
                schema_valid=schema_valid, last_step=last_step,
            )
        )  # fmt: skip
        self.hub.run_finished(run_id, finished)  # a request held here needs no re-read
        if finished.parent_id is not None:  # a child run: its waiting parent is due now
            await self.durably(functools.partial(self.invoker.child_ended, finished))
        if status is not RunStatus.COMPLETED:  # a parent ending early: its children too
            await self.durably(functools.partial(self.invoker.cancel_children, finished))


def not_json(name: str, exc: Exception, attempts: int) -> StepOutcome:
    """A step's ending for an output that JSON cannot hold."""
    return StepOutcome.failed(f"step {name!r} returned an output that is not JSON: {exc}", attempts)


def is_json(value: Any) -> bool:
    """Whether a checkpoint can write `value` (the JSON the store keeps)."""
    try:
        dumps(value)
    except (TypeError, ValueError):
        return False
    return True
