"""Executes one claimed run: its steps in order, a checkpoint after each, then the result.

A step's ending is one value (`StepOutcome`: from `attempts.run_step`, from `fanout` for a
`forEach` step, from `invoke` for a child run). Beside this module: what a completed step
keeps (`keep`), how a run ends (`run_end`: one place at a step, one at its end), and the
lease it runs under (`lease`). Time comes from an injected `Clock`."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from openpal import logs, tracing
from openpal.blobs.base import BlobStore
from openpal.engine.states import CANCELLED_BY_REQUEST, RUN_TIMED_OUT, RunStatus
from openpal.errors import LeaseLost, Unavailable
from openpal.files import FileRef
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.step_inputs import template_scope
from openpal.steps.base import Resumption
from openpal.steps.invoke import INVOKE
from openpal.store.base import Store
from openpal.store.history_records import RunEventRecord
from openpal.store.records import Claim, RunRecord, StepResult
from openpal.worker.attempts import Step, run_step
from openpal.worker.clock import Clock, SystemClock
from openpal.worker.fanout import FanOut
from openpal.worker.invoke import Invoker
from openpal.worker.keep import StepKeeper
from openpal.worker.lease import LeaseKeeper, threadsafe_set
from openpal.worker.outcome import StepOutcome
from openpal.worker.run_end import RunEnding, is_json, not_json
from openpal.workflows.templates import evaluate_condition

log = logging.getLogger("openpal.worker")


async def rehydrate(value: Any, blobs: BlobStore) -> Any:
    """Stored file references (`{"fileId": …}`) become readable `FileRef` objects again."""
    if FileRef.is_ref(value):
        return await blobs.resolve(value)
    if isinstance(value, dict):
        return {k: await rehydrate(v, blobs) for k, v in value.items()}
    if isinstance(value, list):
        return [await rehydrate(v, blobs) for v in value]
    return value


def _resumption(run: RunRecord) -> Resumption | None:
    """What the step the run waited at needs to know, when the run was waiting."""
    if run.waiting_for is None:
        return None
    return Resumption(run.waiting_for, run.wait_until, run.decision, run.resume_payload)


class RunExecutor:
    """Carries a claimed run to its end, or drops it if the lease is lost."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        blobs: BlobStore,
        hub: Hub,
        lease_seconds: float,
        recovery_budget: int = 3,
        max_artifact_bytes: int = 1024 * 1024 * 1024,
        max_output_chars: int = 16_000_000,
        clock: Clock | None = None,
        max_foreach_items: int = 10_000,
        max_foreach_parallel: int = 32,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.blobs = blobs
        self.hub = hub
        self.lease_seconds = lease_seconds
        self.recovery_budget = recovery_budget
        self.clock = clock or SystemClock()
        self.lease = LeaseKeeper(store, self.clock, lease_seconds)
        durably = self.lease.durably
        # max_output_chars: a step's or the run's output, as JSON
        self.keeper = StepKeeper(store, blobs, self.clock, durably, max_artifact_bytes,
                                 max_output_chars)  # fmt: skip
        self.invoker = Invoker(store, catalog, hub, self.clock)  # `workflow.invoke` steps
        self.ending = RunEnding(store, hub, self.invoker, self.clock, durably, max_output_chars)
        self.fan_out = FanOut(store, self.clock, durably, self.keeper.kept,
                              max_foreach_items, max_foreach_parallel)  # fmt: skip
        # set on shutdown: finish the current step, checkpoint, hand the run back
        self.draining = asyncio.Event()

    async def execute(self, claim: Claim) -> None:
        run = claim.run
        logs.set_fields(run_id=run.id)  # this task's lines, and its steps' threads
        cancelled = threading.Event()
        if run.cancel_requested_at is not None:
            cancelled.set()
        self.hub.on_cancel(run.id, cancelled.set)
        beat = asyncio.Event()  # a step's heartbeat: renew the lease now
        keeper = asyncio.create_task(self.lease.keep(run.id, run.fencing_token, beat))
        try:
            with tracing.run_span(run.id, run.workflow_slug, run.trace_parent, run.takeovers):
                await self._execute(claim, cancelled, threadsafe_set(beat))
        except LeaseLost:
            log.warning("run %s: lease lost; another worker owns it now", run.id)
        except asyncio.CancelledError:
            # shutting down: hand the run back so another worker continues at once
            release = self.store.release_run(run.id, run.fencing_token, self.clock.now())
            await asyncio.shield(release)
            raise
        except Unavailable as exc:
            log.warning(
                "run %s: database unavailable (%s); left for a takeover when its lease expires",
                run.id,
                exc,
            )
        except Exception:
            log.exception("run %s: engine error", run.id)
            await self.ending.finish(
                run.id, run.fencing_token, RunStatus.FAILED, None,
                "internal error while executing the run",
            )  # fmt: skip
        finally:
            keeper.cancel()
            self.hub.on_cancel(run.id, None)

    async def _execute(
        self, claim: Claim, cancelled: threading.Event, heartbeat: Callable[[], None]
    ) -> None:
        run, token = claim.run, claim.run.fencing_token
        if run.takeovers > self.recovery_budget:
            await self.ending.finish(
                run.id, token, RunStatus.FAILED, None,
                f"run abandoned: the worker executing it stopped {run.takeovers}"
                f" times (recovery budget {self.recovery_budget})",
            )  # fmt: skip
            return
        wf = await self.catalog.definition(run.version_id)
        overrides: dict[str, Any] = run.overrides or {}
        scope = template_scope(
            run,
            await rehydrate(run.input or {}, self.blobs),
            {name: await rehydrate(out, self.blobs) for name, out in claim.done.items()},
        )
        last_output: Any = None
        deadline = None
        limit_seconds = run.deadline_seconds or wf.timeout_seconds  # the run's own wins
        timed_out = f"{RUN_TIMED_OUT}: over its {limit_seconds or 0:g} s deadline"
        if limit_seconds:
            deadline = (run.started_at or run.created_at) + int(limit_seconds * 1_000_000)
        resumed = _resumption(run)
        last_step: StepResult | None = None
        for index in range(run.next_step, len(wf.steps)):
            if cancelled.is_set():
                await self.ending.finish(
                    run.id, token, RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST
                )
                return
            if self.draining.is_set():
                await self.lease.durably(functools.partial(self._release, run.id, token))
                log.info("run %s: handed back after step %d (shutting down)", run.id, index)
                return
            spec = wf.steps[index]
            started = self.clock.now()
            if deadline is not None and started >= deadline:
                await self.ending.finish(run.id, token, RunStatus.FAILED, None, timed_out)
                return
            if spec.if_ and not evaluate_condition(spec.if_, scope):
                outcome = StepOutcome("skipped", attempts=0)
            elif spec.name in overrides:
                outcome = StepOutcome("completed", overrides[spec.name])
            elif spec.type == INVOKE:  # a child run: started once, read when woken
                outcome = await self.invoker.step(run, spec, index, scope, deadline)
            else:
                step = Step(wf, spec, index, run, scope, cancelled, deadline, timed_out,
                            resumed, heartbeat)  # fmt: skip
                if spec.for_each is None:
                    outcome = await run_step(step, self.clock, self._record_retry(token))
                else:  # items kept as they end; None: shutting down with items left
                    fanned = await self.fan_out.step(step, self._record_retry(token),
                                                     self.draining)  # fmt: skip
                    if fanned is None:
                        await self.lease.durably(functools.partial(self._release, run.id, token))
                        log.info("run %s: handed back in step %d (shutting down)", run.id, index)
                        return
                    outcome = fanned
            if outcome.status == "waiting":
                await self._park(run, outcome, spec.name)
                if spec.type == INVOKE:
                    await self.invoker.parked(run, index)
                return
            resumed = None  # only the step the run waited at is resumed
            outcome = await self.keeper.kept(run.id, spec.name, outcome)
            if outcome.ends_run:
                await self.ending.end_at(run.id, token, index, spec.name, outcome, started)
                return
            scope["steps"][spec.name] = {"output": outcome.output}
            last_output = outcome.output
            result = self.ending.result(index, spec.name, outcome, started)
            if index + 1 == len(wf.steps):  # checkpointed with the run's end, in one write
                last_step = result
                break
            try:
                cp = await self.lease.durably(
                    functools.partial(self.ending.checkpoint, run.id, token, result, index + 1)
                )
            except (TypeError, ValueError) as exc:  # output that JSON cannot hold
                failed = not_json(spec.name, exc, outcome.attempts)
                await self.ending.end_at(run.id, token, index, spec.name, failed, started)
                return
            if cp.cancel_requested:
                cancelled.set()
        try:
            await self.ending.end(run.id, token, wf, scope, claim, last_output,
                                  cancelled, last_step)  # fmt: skip
        except (TypeError, ValueError) as exc:
            if last_step is None or is_json(last_step.output):
                raise  # the run's output: an engine error
            name = wf.steps[last_step.index].name
            failed = not_json(name, exc, last_step.attempts)
            await self.ending.end_at(
                run.id, token, last_step.index, name, failed, last_step.started_at
            )

    async def _park(self, run: RunRecord, outcome: StepOutcome, step_name: str) -> None:
        pause = outcome.pause
        assert pause is not None
        await self.lease.durably(
            functools.partial(
                self.store.park_run, run.id, run.fencing_token, waiting_for=pause.waiting_for,
                wake_at=pause.until, now=self.clock.now(), message=pause.message,
            )
        )  # fmt: skip
        log.info("run %s: waiting for %s at step %r", run.id, pause.waiting_for, step_name)

    async def _release(self, run_id: str, token: int) -> bool:
        return await self.store.release_run(run_id, token, self.clock.now())

    def _record_retry(self, token: int) -> Callable[[RunEventRecord], Awaitable[bool]]:
        async def record(event: RunEventRecord) -> bool:
            return await self.lease.durably(
                functools.partial(self.store.add_run_event, event, token=token)
            )

        return record
