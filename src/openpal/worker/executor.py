"""Executes one claimed run: its steps in order, a checkpoint after each, then the result.

A step's ending is one value (`StepOutcome`, from `attempts.run_step`); a run that ends
at a step ends in one place (`_end_at`), and at its end in one place (`_finish`). Time
comes from an injected `Clock`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import mimetypes
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from openpal import logs, tracing
from openpal.blobs.base import BlobStore, read_chunks
from openpal.engine.states import CANCELLED_BY_REQUEST, RUN_TIMED_OUT, RunStatus
from openpal.errors import LeaseLost, PayloadTooLarge, Unavailable
from openpal.files import FileRef
from openpal.jsontext import storable_text
from openpal.schemas import schema_errors
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.step_inputs import template_scope
from openpal.steps.base import PendingArtifact, Resumption
from openpal.steps.invoke import INVOKE
from openpal.store.base import Store
from openpal.store.records import (
    ArtifactRecord,
    Checkpointed,
    Claim,
    RunEventRecord,
    RunRecord,
    StepResult,
    dumps,
    to_plain,
)
from openpal.worker.attempts import Step, run_step
from openpal.worker.clock import Clock, SystemClock
from openpal.worker.fanout import FanOut
from openpal.worker.invoke import Invoker
from openpal.worker.outcome import StepOutcome
from openpal.worker.output_limits import output_problem
from openpal.workflows.model import WorkflowDef
from openpal.workflows.templates import evaluate_condition, render_value

T = TypeVar("T")
log = logging.getLogger("openpal.worker")
HEARTBEAT_EVERY = 1.0  # seconds: a step's heartbeats renew the lease at most this often


async def rehydrate(value: Any, blobs: BlobStore) -> Any:
    """Stored file references (`{"fileId": …}`) become readable `FileRef` objects again."""
    if FileRef.is_ref(value):
        return await blobs.resolve(value)
    if isinstance(value, dict):
        return {k: await rehydrate(v, blobs) for k, v in value.items()}
    if isinstance(value, list):
        return [await rehydrate(v, blobs) for v in value]
    return value


async def _chunks(item: PendingArtifact) -> AsyncIterator[bytes]:
    if item.content is not None:
        yield item.content
        return
    assert item.file is not None
    with item.file.open("rb") as f:
        async for chunk in read_chunks(f):
            yield chunk


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
        self.max_artifact_bytes = max_artifact_bytes
        self.max_output_chars = max_output_chars  # a step's or the run's output, as JSON
        self.clock = clock or SystemClock()
        self.invoker = Invoker(store, catalog, hub, self.clock)  # `workflow.invoke` steps
        self.fan_out = FanOut(store, self.clock, self._durably, self._kept,
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
        keeper = asyncio.create_task(self._keep_lease(run.id, run.fencing_token, beat))
        try:
            with tracing.run_span(run.id, run.workflow_slug, run.trace_parent, run.takeovers):
                await self._execute(claim, cancelled, _threadsafe_set(beat))
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
            await self._finish(
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
            await self._finish(
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
                await self._finish(run.id, token, RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST)
                return
            if self.draining.is_set():
                await self._durably(functools.partial(self._release, run.id, token))
                log.info("run %s: handed back after step %d (shutting down)", run.id, index)
                return
            spec = wf.steps[index]
            started = self.clock.now()
            if deadline is not None and started >= deadline:
                await self._finish(run.id, token, RunStatus.FAILED, None, timed_out)
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
                        await self._durably(functools.partial(self._release, run.id, token))
                        log.info("run %s: handed back in step %d (shutting down)", run.id, index)
                        return
                    outcome = fanned
            if outcome.status == "waiting":
                await self._park(run, outcome, spec.name)
                if spec.type == INVOKE:
                    await self.invoker.parked(run, index)
                return
            resumed = None  # only the step the run waited at is resumed
            outcome = await self._kept(run.id, spec.name, outcome)
            if outcome.ends_run:
                await self._end_at(run.id, token, index, spec.name, outcome, started)
                return
            scope["steps"][spec.name] = {"output": outcome.output}
            last_output = outcome.output
            result = self._result(index, spec.name, outcome, started)
            if index + 1 == len(wf.steps):  # checkpointed with the run's end, in one write
                last_step = result
                break
            try:
                cp = await self._durably(
                    functools.partial(self._checkpoint, run.id, token, result, index + 1)
                )
            except (TypeError, ValueError) as exc:  # output that JSON cannot hold
                failed = _not_json(spec.name, exc, outcome.attempts)
                await self._end_at(run.id, token, index, spec.name, failed, started)
                return
            if cp.cancel_requested:
                cancelled.set()
        try:
            await self._end(run.id, token, wf, scope, claim, last_output,
                            cancelled, last_step)  # fmt: skip
        except (TypeError, ValueError) as exc:
            if last_step is None or _is_json(last_step.output):
                raise  # the run's output: an engine error
            name = wf.steps[last_step.index].name
            failed = _not_json(name, exc, last_step.attempts)
            await self._end_at(run.id, token, last_step.index, name, failed, last_step.started_at)

    async def _kept(self, run_id: str, step_name: str, outcome: StepOutcome) -> StepOutcome:
        """A completed step's files kept and its output measured; either may fail it."""
        if outcome.status != "completed":
            return outcome
        if outcome.pending:
            try:
                await self._keep_artifacts(run_id, step_name, outcome.pending)
            except (OSError, ValueError, PayloadTooLarge) as exc:
                message = f"step {step_name!r} failed: could not keep an artifact: {exc}"
                return StepOutcome.failed(message, outcome.attempts)
        too_big = output_problem(
            outcome.output, self.max_output_chars, f"step {step_name!r}'s output"
        )
        if too_big is not None:
            return StepOutcome.failed(too_big, outcome.attempts)
        return outcome

    async def _park(self, run: RunRecord, outcome: StepOutcome, step_name: str) -> None:
        pause = outcome.pause
        assert pause is not None
        await self._durably(
            functools.partial(
                self.store.park_run, run.id, run.fencing_token, waiting_for=pause.waiting_for,
                wake_at=pause.until, now=self.clock.now(), message=pause.message,
            )
        )  # fmt: skip
        log.info("run %s: waiting for %s at step %r", run.id, pause.waiting_for, step_name)

    def _result(self, index: int, name: str, outcome: StepOutcome, started: int) -> StepResult:
        """The step's row as a checkpoint writes it."""
        error = None if outcome.error is None else storable_text(outcome.error)  # NUL
        return StepResult(
            index, name, outcome.status, outcome.output, error, outcome.attempts, started,
            self.clock.now(), traceback=outcome.traceback, usage=outcome.usage,
            logs=outcome.logs,
        )  # fmt: skip

    async def _end_at(
        self, run_id: str, token: int, index: int, name: str, outcome: StepOutcome, started: int
    ) -> None:
        """The run ends at this step: the step's row (the run stays at it), then the run."""
        result = self._result(index, name, outcome, started)  # an ending has no output
        await self._durably(functools.partial(self._checkpoint, run_id, token, result, index))
        await self._finish(run_id, token, outcome.run_status, None, outcome.run_message)

    async def _release(self, run_id: str, token: int) -> bool:
        return await self.store.release_run(run_id, token, self.clock.now())

    def _record_retry(self, token: int) -> Callable[[RunEventRecord], Awaitable[bool]]:
        async def record(event: RunEventRecord) -> bool:
            return await self._durably(
                functools.partial(self.store.add_run_event, event, token=token)
            )

        return record

    async def _end(
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
        finish = functools.partial(self._finish, run_id, token, last_step=last_step)
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

    async def _checkpoint(
        self, run_id: str, token: int, result: StepResult, next_step: int
    ) -> Checkpointed:
        # never `finalizing`: the last step is checkpointed by the write that ends the run
        return await self.store.checkpoint(
            run_id, token, result, next_step=next_step, finalizing=False, now=self.clock.now()
        )

    async def _finish(
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
        finished = await self._durably(
            lambda: self.store.finish_run(
                run_id, token, status, output=output, error=error, now=self.clock.now(),
                schema_valid=schema_valid, last_step=last_step,
            )
        )  # fmt: skip
        self.hub.run_finished(run_id, finished)  # a request held here needs no re-read
        if finished.parent_id is not None:  # a child run: its waiting parent is due now
            await self._durably(functools.partial(self.invoker.child_ended, finished))
        if status is not RunStatus.COMPLETED:  # a parent ending early: its children too
            await self._durably(functools.partial(self.invoker.cancel_children, finished))

    async def _keep_artifacts(
        self, run_id: str, step_name: str, pending: list[PendingArtifact]
    ) -> None:
        """Store the files a step wrote and record them with the run."""
        records = []
        for item in pending:
            name = item.path.rsplit("/", 1)[-1]
            mime = item.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            ref = await self.blobs.put_stream(
                _chunks(item), name=name, mime_type=mime, max_bytes=self.max_artifact_bytes
            )
            records.append(
                ArtifactRecord(
                    run_id,
                    item.path,
                    ref.file_id,
                    name,
                    mime,
                    ref.size,
                    step_name,
                    self.clock.now(),
                )
            )
        await self._durably(functools.partial(self.store.save_artifacts, records))

    async def _durably(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run a store write, riding out a database outage for up to one lease: past
        that another worker may own the run, and the write raises (`LeaseLost` after
        the outage, or `Unavailable`) so the run is left to whoever takes it over."""
        give_up = self.clock.monotonic() + self.lease_seconds
        delay = 0.05
        while True:
            try:
                return await write()
            except Unavailable:
                if self.clock.monotonic() + delay > give_up:
                    raise
                log.warning("database unavailable; retrying a write in %.2fs", delay)
                await self.clock.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _keep_lease(self, run_id: str, token: int, beat: asyncio.Event) -> None:
        """Renew the lease every third of it while the run executes (checkpoints renew
        it too), and at a step's heartbeat (a burst of heartbeats renews it at most every
        HEARTBEAT_EVERY seconds, and never less often than every third of the lease)."""
        interval = self.lease_seconds / 3
        gap = min(HEARTBEAT_EVERY, interval)
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(beat.wait(), max(interval - (loop.time() - last), 0))
                await asyncio.sleep(max(gap - (loop.time() - last), 0))
            beat.clear()
            last = loop.time()
            try:
                renewed = await self.store.renew_lease(
                    run_id, token, self.lease_seconds, self.clock.now()
                )
            except Unavailable:
                continue  # try again next interval; the lease may still be ours then
            if not renewed:
                return


def _threadsafe_set(event: asyncio.Event) -> Callable[[], None]:
    """`event.set`, callable from a step's thread."""
    loop = asyncio.get_running_loop()

    def beat() -> None:
        loop.call_soon_threadsafe(event.set)

    return beat


def _not_json(name: str, exc: Exception, attempts: int) -> StepOutcome:
    return StepOutcome.failed(f"step {name!r} returned an output that is not JSON: {exc}", attempts)


def _is_json(value: Any) -> bool:
    try:
        dumps(value)
    except (TypeError, ValueError):
        return False
    return True
