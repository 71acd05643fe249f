"""Executes one claimed run: its steps in order, a checkpoint after each, then the result."""

from __future__ import annotations

import asyncio
import functools
import logging
import mimetypes
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from openpal import logs, tracing
from openpal.blobs.base import BlobStore, read_chunks
from openpal.engine.states import CANCELLED_BY_REQUEST, RunStatus
from openpal.errors import LeaseLost, PayloadTooLarge, RunCancelled, Unavailable
from openpal.files import FileRef
from openpal.jsontext import storable_text
from openpal.schemas import schema_errors
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.service.step_inputs import template_scope
from openpal.steps.base import PendingArtifact, Reject, Resumption, StepContext, Suspend
from openpal.steps.registry import get_step_type
from openpal.store.base import Store
from openpal.store.events import retry_event
from openpal.store.records import (
    ArtifactRecord,
    Checkpointed,
    Claim,
    RunRecord,
    StepResult,
    dumps,
    to_plain,
)
from openpal.worker import step_logs
from openpal.worker.failures import attempt_error, bounded_traceback
from openpal.worker.output_limits import output_problem
from openpal.workflows.model import RetryPolicy, StepSpec, WorkflowDef
from openpal.workflows.templates import evaluate_condition, render_value

T = TypeVar("T")
log = logging.getLogger("openpal.worker")


def now_micros() -> int:
    return time.time_ns() // 1000


def backoff_delay(policy: RetryPolicy, failed_attempts: int) -> float:
    """Seconds to wait before the next attempt (exponential, capped, optionally jittered)."""
    delay = policy.backoff_seconds * policy.backoff_factor ** max(0, failed_attempts - 1)
    delay = min(delay, policy.max_backoff_seconds)
    return random.uniform(0, delay) if policy.jitter else delay


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


class _DeadlinePassed(Exception):
    pass


class _StepFailed(Exception):
    def __init__(
        self,
        message: str,
        attempts: int,
        traceback: str | None = None,
        usage: dict[str, float] | None = None,
        logs: StepLines = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.traceback = traceback  # of the last attempt
        self.usage = usage  # what the last attempt reported
        self.logs = logs  # what the last attempt logged or printed


StepLines = list[dict[str, Any]] | None  # what a step attempt logged or printed


def secret_inputs(wf: WorkflowDef, run: RunRecord) -> list[str]:
    """The values of the run's inputs marked `secret: true` (masked in step logs)."""
    given = run.input or {}
    return [str(given[i.name]) for i in wf.inputs if i.secret and given.get(i.name) is not None]


# how a step attempt may end without having failed (its span is not marked an error)
_CALM = (RunCancelled, Suspend, Reject)


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
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.blobs = blobs
        self.hub = hub
        self.lease_seconds = lease_seconds
        self.recovery_budget = recovery_budget
        self.max_artifact_bytes = max_artifact_bytes
        self.max_output_chars = max_output_chars  # a step's or the run's output, as JSON
        # set on shutdown: finish the current step, checkpoint, hand the run back
        self.draining = asyncio.Event()

    async def execute(self, claim: Claim) -> None:
        run = claim.run
        logs.set_fields(run_id=run.id)  # this task's lines, and its steps' threads
        cancelled = threading.Event()
        if run.cancel_requested_at is not None:
            cancelled.set()
        self.hub.on_cancel(run.id, cancelled.set)
        keeper = asyncio.create_task(self._keep_lease(run.id, run.fencing_token))
        try:
            with tracing.run_span(run.id, run.workflow_slug, run.trace_parent, run.takeovers):
                await self._execute(claim, cancelled)
        except LeaseLost:
            log.warning("run %s: lease lost; another worker owns it now", run.id)
        except asyncio.CancelledError:
            # shutting down: hand the run back so another worker continues at once
            await asyncio.shield(self.store.release_run(run.id, run.fencing_token, now_micros()))
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
                run.id,
                run.fencing_token,
                RunStatus.FAILED,
                None,
                "internal error while executing the run",
            )
        finally:
            keeper.cancel()
            self.hub.on_cancel(run.id, None)

    async def _execute(self, claim: Claim, cancelled: threading.Event) -> None:
        run, token = claim.run, claim.run.fencing_token
        if run.takeovers > self.recovery_budget:
            await self._finish(
                run.id,
                token,
                RunStatus.FAILED,
                None,
                f"run abandoned: the worker executing it stopped {run.takeovers}"
                f" times (recovery budget {self.recovery_budget})",
            )
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
        if limit_seconds:
            deadline = (run.started_at or run.created_at) + int(limit_seconds * 1_000_000)
        resumed = _resumption(run)
        last_step: StepResult | None = None
        for index in range(run.next_step, len(wf.steps)):
            if cancelled.is_set():
                await self._finish(run.id, token, RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST)
                return
            if self.draining.is_set():
                await self._durably(lambda: self.store.release_run(run.id, token, now_micros()))
                log.info("run %s: handed back after step %d (shutting down)", run.id, index)
                return
            spec = wf.steps[index]
            started = now_micros()
            if deadline is not None and started >= deadline:
                await self._finish(
                    run.id,
                    token,
                    RunStatus.FAILED,
                    None,
                    f"run timed out: over its {limit_seconds:g} s deadline",
                )
                return
            status, error, attempts = "completed", None, 1
            pending: list[PendingArtifact] = []
            usage: dict[str, float] | None = None
            said: StepLines = None
            try:
                if spec.if_ and not evaluate_condition(spec.if_, scope):
                    status, output, attempts = "skipped", None, 0
                elif spec.name in overrides:
                    output = overrides[spec.name]
                else:
                    output, attempts, pending, usage, said = await self._run_step(
                        wf, spec, scope, run, index, cancelled, deadline, resumed
                    )
            except Suspend as pause:
                await self._durably(
                    functools.partial(
                        self.store.park_run,
                        run.id,
                        token,
                        waiting_for=pause.waiting_for,
                        wake_at=pause.until,
                        now=now_micros(),
                        message=pause.message,
                    )
                )
                log.info("run %s: waiting for %s at step %r", run.id, pause.waiting_for, spec.name)
                return
            except Reject as refusal:
                await self._checkpoint_end(
                    run.id, token, index, spec, "rejected", None, str(refusal), 1, started
                )
                await self._finish(run.id, token, RunStatus.REJECTED, None, str(refusal))
                return
            except RunCancelled:
                await self._checkpoint_end(
                    run.id,
                    token,
                    index,
                    spec,
                    "cancelled",
                    None,
                    CANCELLED_BY_REQUEST,
                    1,
                    started,
                )
                await self._finish(run.id, token, RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST)
                return
            except _DeadlinePassed:
                message = f"run timed out: over its {limit_seconds:g} s deadline"
                await self._checkpoint_end(
                    run.id, token, index, spec, "failed", None, message, 1, started
                )
                await self._finish(run.id, token, RunStatus.FAILED, None, message)
                return
            except _StepFailed as exc:
                message = f"step {spec.name!r} failed: {exc}"
                await self._checkpoint_end(
                    run.id, token, index, spec, "failed", None, str(exc), exc.attempts, started,
                    traceback=exc.traceback, usage=exc.usage, logs=exc.logs,
                )  # fmt: skip
                await self._finish(run.id, token, RunStatus.FAILED, None, message)
                return
            resumed = None  # only the step the run waited at is resumed
            if pending:
                try:
                    await self._keep_artifacts(run.id, spec.name, pending)
                except (OSError, ValueError, PayloadTooLarge) as exc:
                    message = f"step {spec.name!r} failed: could not keep an artifact: {exc}"
                    await self._checkpoint_end(
                        run.id, token, index, spec, "failed", None, message, attempts, started
                    )
                    await self._finish(run.id, token, RunStatus.FAILED, None, message)
                    return
            too_big = output_problem(output, self.max_output_chars, f"step {spec.name!r}'s output")
            if too_big is not None:
                await self._checkpoint_end(
                    run.id, token, index, spec, "failed", None, too_big, attempts, started
                )
                await self._finish(run.id, token, RunStatus.FAILED, None, too_big)
                return
            scope["steps"][spec.name] = {"output": output}
            last_output = output
            result = StepResult(
                index, spec.name, status, output, error, attempts, started, now_micros(),
                usage=usage, logs=said,
            )  # fmt: skip
            if index + 1 == len(wf.steps):  # checkpointed with the run's end, in one write
                last_step = result
                break
            try:
                cp = await self._durably(
                    functools.partial(self._checkpoint, run.id, token, result, index + 1)
                )
            except (TypeError, ValueError) as exc:  # output that JSON cannot hold
                await self._not_json(run.id, token, index, spec, exc, attempts, started)
                return
            if cp.cancel_requested:
                cancelled.set()
        try:
            await self._end(run.id, token, wf, scope, claim, last_output,
                            cancelled, last_step)  # fmt: skip
        except (TypeError, ValueError) as exc:
            if last_step is None or _is_json(last_step.output):
                raise  # the run's output: an engine error
            spec = wf.steps[last_step.index]
            await self._not_json(run.id, token, last_step.index, spec, exc,
                                 last_step.attempts, last_step.started_at)  # fmt: skip

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
        if cancelled.is_set():
            await self._finish(run_id, token, RunStatus.CANCELLED, None, CANCELLED_BY_REQUEST,
                               last_step=last_step)  # fmt: skip
            return
        try:
            if wf.output is not None:
                final = render_value(wf.output, scope)
            elif claim.done and claim.run.next_step == len(wf.steps):
                final = scope["steps"][wf.steps[-1].name]["output"]
            else:
                final = last_output
        except Exception as exc:
            await self._finish(run_id, token, RunStatus.FAILED, None,
                               f"output mapping failed: {exc}", last_step=last_step)  # fmt: skip
            return
        too_big = output_problem(final, self.max_output_chars, "the run's output")
        if too_big is not None:
            await self._finish(run_id, token, RunStatus.FAILED, None, too_big,
                               last_step=last_step)  # fmt: skip
            return
        valid = None
        if wf.output_schema is not None:
            problems = schema_errors(to_plain(final), dict(wf.output_schema))
            valid = not problems
            if problems and wf.strict_output_schema:
                message = "output does not match the workflow's output_schema: " + "; ".join(
                    problems
                )
                await self._finish(run_id, token, RunStatus.FAILED, final, message, valid,
                                   last_step=last_step)  # fmt: skip
                return
        await self._finish(run_id, token, RunStatus.COMPLETED, final, None, valid,
                           last_step=last_step)  # fmt: skip

    async def _not_json(
        self,
        run_id: str,
        token: int,
        index: int,
        spec: StepSpec,
        exc: Exception,
        attempts: int,
        started: int,
    ) -> None:
        message = f"step {spec.name!r} returned an output that is not JSON: {exc}"
        await self._checkpoint_end(
            run_id, token, index, spec, "failed", None, message, attempts, started
        )
        await self._finish(run_id, token, RunStatus.FAILED, None, message)

    async def _run_step(
        self,
        wf: WorkflowDef,
        spec: StepSpec,
        scope: dict[str, Any],
        run: RunRecord,
        index: int,
        cancelled: threading.Event,
        deadline: int | None = None,
        resumed: Resumption | None = None,
    ) -> tuple[Any, int, list[PendingArtifact], dict[str, float] | None, StepLines]:
        """The step's output, how many attempts it took, the files it wrote, the tokens it
        reported and what it logged or printed. A failed attempt that will be tried again
        is recorded as a `step.retry` event (with its traceback and lines); the last
        failed one raises `_StepFailed`."""
        run_id = run.id
        step_type = get_step_type(spec.type)
        policy = spec.retry
        secrets = secret_inputs(wf, run)
        attempt = 0
        while True:
            attempt += 1
            logs.set_fields(step=spec.name, attempt=attempt)
            left: float | None = None
            ctx = StepContext(
                run_id=run_id,
                step_name=spec.name,
                workflow=wf.slug,
                attempt=attempt,
                base_dir=wf.base_dir,
                confined=wf.source_path is None,
                resumed=resumed,
                _cancelled=cancelled,
            )
            with step_logs.capture(secrets) as said:
                try:
                    config = render_value(spec.with_, scope)
                    limit = spec.timeout_seconds
                    left = None if deadline is None else (deadline - now_micros()) / 1_000_000
                    if left is not None and (limit is None or left < limit):
                        limit = max(left, 0.0)
                    with tracing.step_span(spec.name, spec.type, attempt, _CALM):
                        coro = step_type.run(config, ctx)
                        if limit is not None:
                            output = await asyncio.wait_for(coro, limit)
                        else:
                            output = await coro
                    return output, attempt, ctx.artifacts, ctx.usage, said.result()
                except (RunCancelled, Suspend, Reject):
                    raise
                except TimeoutError:
                    if left is not None and limit == max(left, 0.0):
                        raise _DeadlinePassed() from None
                    error, trace = f"timed out after {spec.timeout_seconds:g} s", None
                except Exception as exc:
                    error, trace = attempt_error(exc), bounded_traceback(exc)
            lines = said.result()
            if attempt >= policy.max_attempts:
                raise _StepFailed(error, attempt, trace, ctx.usage, lines)
            log.info(
                "run %s: step %s attempt %d failed (%s); retrying",
                run_id,
                spec.name,
                attempt,
                error,
            )
            delay = backoff_delay(policy, attempt)
            event = retry_event(
                run_id, step_index=index, step_name=spec.name, attempt=attempt, error=error,
                traceback=trace, delay_seconds=delay, usage=ctx.usage, logs=lines,
                now=now_micros(),
            )  # fmt: skip
            recorded = await self._durably(
                functools.partial(self.store.add_run_event, event, token=run.fencing_token)
            )
            if not recorded:
                raise LeaseLost(f"run {run_id}: lease lost (token {run.fencing_token})")
            await asyncio.sleep(delay)
            if cancelled.is_set():
                raise RunCancelled(f"run {run_id} was cancelled")

    async def _checkpoint_end(
        self,
        run_id: str,
        token: int,
        index: int,
        spec: StepSpec,
        status: str,
        output: Any,
        error: str | None,
        attempts: int,
        started: int,
        *,
        traceback: str | None = None,
        usage: dict[str, float] | None = None,
        logs: StepLines = None,
    ) -> None:
        """Record the step that ended the run (failed/cancelled); the run stays at it."""
        error = None if error is None else storable_text(error)  # NUL: see storable_text
        result = StepResult(
            index, spec.name, status, output, error, attempts, started, now_micros(),
            traceback=traceback, usage=usage, logs=logs,
        )  # fmt: skip
        await self._durably(functools.partial(self._checkpoint, run_id, token, result, index))

    async def _checkpoint(
        self, run_id: str, token: int, result: StepResult, next_step: int
    ) -> Checkpointed:
        # never `finalizing`: the last step is checkpointed by the write that ends the run
        return await self.store.checkpoint(
            run_id,
            token,
            result,
            next_step=next_step,
            finalizing=False,
            now=now_micros(),
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
        error = None if error is None else storable_text(error)  # NUL: see storable_text
        if status is RunStatus.FAILED:  # once per run, with its step and attempt bound
            log.warning("run %s failed: %s", run_id, error)
        finished = await self._durably(
            lambda: self.store.finish_run(
                run_id,
                token,
                status,
                output=output,
                error=error,
                now=now_micros(),
                schema_valid=schema_valid,
                last_step=last_step,
            )
        )
        self.hub.run_finished(run_id, finished)  # a request held here needs no re-read

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
                    run_id, item.path, ref.file_id, name, mime, ref.size, step_name, now_micros()
                )
            )
        await self._durably(functools.partial(self.store.save_artifacts, records))

    async def _durably(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run a store write, riding out a database outage for up to one lease: past
        that another worker may own the run, and the write raises (`LeaseLost` after
        the outage, or `Unavailable`) so the run is left to whoever takes it over."""
        give_up = time.monotonic() + self.lease_seconds
        delay = 0.05
        while True:
            try:
                return await write()
            except Unavailable:
                if time.monotonic() + delay > give_up:
                    raise
                log.warning("database unavailable; retrying a write in %.2fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _keep_lease(self, run_id: str, token: int) -> None:
        """Renew the lease while a long step runs (checkpoints renew it too)."""
        interval = self.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                renewed = await self.store.renew_lease(
                    run_id, token, self.lease_seconds, now_micros()
                )
            except Unavailable:
                continue  # try again next interval; the lease may still be ours then
            if not renewed:
                return


def _is_json(value: Any) -> bool:
    try:
        dumps(value)
    except (TypeError, ValueError):
        return False
    return True
