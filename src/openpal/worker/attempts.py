"""One step, attempt after attempt: each attempt in its own span, with its lines kept,
bounded by the step's timeout and the run's deadline; a failed attempt that will be
tried again is recorded (error, traceback, lines, back-off) before the back-off; the
step's ending comes back as one `StepOutcome`, whatever it was."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from openpal import logs, tracing
from openpal.errors import LeaseLost, RunCancelled
from openpal.steps.base import Reject, Resumption, StepContext, Suspend
from openpal.steps.registry import get_step_type
from openpal.store.events import retry_event
from openpal.store.history_records import RunEventRecord
from openpal.store.records import RunRecord
from openpal.worker import step_logs
from openpal.worker.clock import Clock
from openpal.worker.failures import attempt_error, bounded_traceback
from openpal.worker.outcome import StepOutcome
from openpal.workflows.model import RetryPolicy, StepSpec, WorkflowDef
from openpal.workflows.templates import render_value

__all__ = ["Step", "backoff_delay", "run_step", "secret_inputs"]

log = logging.getLogger("openpal.worker")

# how a step attempt may end without having failed (its span is not marked an error)
_CALM = (RunCancelled, Suspend, Reject)


def backoff_delay(policy: RetryPolicy, failed_attempts: int) -> float:
    """Seconds to wait before the next attempt (exponential, capped, optionally jittered)."""
    delay = policy.backoff_seconds * policy.backoff_factor ** max(0, failed_attempts - 1)
    delay = min(delay, policy.max_backoff_seconds)
    return random.uniform(0, delay) if policy.jitter else delay


def secret_inputs(wf: WorkflowDef, run: RunRecord) -> list[str]:
    """The values of the run's inputs marked `secret: true` (masked in step logs)."""
    given = run.input or {}
    return [str(given[i.name]) for i in wf.inputs if i.secret and given.get(i.name) is not None]


@dataclass(frozen=True)
class Step:
    """A step of a run about to execute, with what its attempts need."""

    wf: WorkflowDef
    spec: StepSpec
    index: int
    run: RunRecord
    scope: dict[str, Any]
    cancelled: threading.Event
    deadline: int | None  # µs: the run's, when it has one
    deadline_message: str
    resumed: Resumption | None  # set when the run waited at this step
    on_heartbeat: Callable[[], None] | None = None


async def run_step(
    step: Step, clock: Clock, record_retry: Callable[[RunEventRecord], Awaitable[bool]]
) -> StepOutcome:
    """Every attempt the step's retry policy allows, until one ends it."""
    spec, run = step.spec, step.run
    step_type = get_step_type(spec.type)
    secrets = secret_inputs(step.wf, run)
    attempt = 0
    while True:
        attempt += 1
        logs.set_fields(step=spec.name, attempt=attempt)
        ctx = StepContext(
            run_id=run.id,
            step_name=spec.name,
            workflow=step.wf.slug,
            attempt=attempt,
            base_dir=step.wf.base_dir,
            confined=step.wf.source_path is None,
            resumed=step.resumed,
            _cancelled=step.cancelled,
            _on_heartbeat=step.on_heartbeat,
        )
        with step_logs.capture(secrets) as said:
            left: float | None = None
            limit: float | None = None
            try:
                config = render_value(spec.with_, step.scope)
                limit = spec.timeout_seconds
                if step.deadline is not None:
                    left = max((step.deadline - clock.now()) / 1_000_000, 0.0)
                    if limit is None or left < limit:
                        limit = left
                with tracing.step_span(spec.name, spec.type, attempt, _CALM):
                    coro = step_type.run(config, ctx)
                    output = await (coro if limit is None else asyncio.wait_for(coro, limit))
                return StepOutcome("completed", output, attempts=attempt, usage=ctx.usage,
                                   logs=said.result(), pending=ctx.artifacts)  # fmt: skip
            except Suspend as pause:
                return StepOutcome("waiting", pause=pause)
            except Reject as refusal:
                return StepOutcome("rejected", error=str(refusal))
            except RunCancelled:
                return StepOutcome.cancelled()
            except TimeoutError:
                if left is not None and limit == left:
                    return StepOutcome.failed(step.deadline_message, logs=said.result())
                error, trace = f"timed out after {spec.timeout_seconds:g} s", None
            except Exception as exc:
                error, trace = attempt_error(exc), bounded_traceback(exc)
        lines = said.result()
        if attempt >= spec.retry.max_attempts:
            return StepOutcome("failed", error=error, attempts=attempt, traceback=trace,
                               usage=ctx.usage, logs=lines,
                               run_error=f"step {spec.name!r} failed: {error}")  # fmt: skip
        log.info("run %s: step %s attempt %d failed (%s); retrying",
                 run.id, spec.name, attempt, error)  # fmt: skip
        delay = backoff_delay(spec.retry, attempt)
        event = retry_event(
            run.id, step_index=step.index, step_name=spec.name, attempt=attempt, error=error,
            traceback=trace, delay_seconds=delay, usage=ctx.usage, logs=lines, now=clock.now(),
        )  # fmt: skip
        if not await record_retry(event):
            raise LeaseLost(f"run {run.id}: lease lost (token {run.fencing_token})")
        await clock.sleep(delay)
        if step.cancelled.is_set():
            return StepOutcome.cancelled()
