"""Executing a fan-out step (`forEach`): its items at most `max_parallel` at once, each
kept in the store as it ends, so a run taken over runs only the items without a row.

Each item is the step itself with `item` and `item_index` in its scope: its attempts,
retry policy, timeout, spans and kept files are those of any step (`attempts.run_step`),
independently of the other items. An item ends `completed` (its output) or `failed`
(after its retries); either is written at once (`Store.save_item`, fenced by the run's
token). What ends the run instead (a cancel, a refusal, the run's deadline) stops the
step without a row for that item.

`on_item_failure`:
- `fail_fast` (default): the first failed item fails the step; no new item starts, the
  ones already running finish (and are kept).
- `collect`: every item runs; the step completes, its output holding an error object
  (`{"error": …, "item_index": n}`) where an item failed.

The step's output is the list of its items' outputs in input order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from openpal.errors import LeaseLost
from openpal.jsontext import storable_text
from openpal.store.base import Store
from openpal.store.history_records import ItemResult, RunEventRecord
from openpal.store.records import to_plain
from openpal.worker.attempts import Step, run_step
from openpal.worker.clock import Clock
from openpal.worker.outcome import StepOutcome
from openpal.workflows.templates import render_value

__all__ = ["CANCEL_CHECK_SECONDS", "FanOut", "item_error"]

# a cancel stamped by another process reaches a run at its checkpoints; a long fan-out
# step has none until it ends, so its lanes read the run's cancel stamp this often
CANCEL_CHECK_SECONDS = 1.0

Durably = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
Keep = Callable[[str, str, StepOutcome], Awaitable[StepOutcome]]
RecordRetry = Callable[[RunEventRecord], Awaitable[bool]]


def item_error(item_index: int, error: str | None) -> dict[str, Any]:
    """What a failed item leaves in a `collect` step's output."""
    return {"error": error or "failed", "item_index": item_index}


class FanOut:
    """Runs the items of `forEach` steps for the executor."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        durably: Durably,
        keep: Keep,
        max_items: int = 10_000,
        max_parallel: int = 32,
    ) -> None:
        self.store = store
        self.clock = clock
        self.durably = durably  # the lease keeper's: rides out a short database outage
        self.keep = keep  # the step keeper's: an item's files kept, its output measured
        self.max_items = max_items  # OPENPAL_MAX_FOREACH_ITEMS
        self.max_parallel = max_parallel  # OPENPAL_MAX_FOREACH_PARALLEL: caps max_parallel

    async def step(
        self, step: Step, record_retry: RecordRetry, draining: asyncio.Event
    ) -> StepOutcome | None:
        """The step's outcome; None when shutting down stopped it with items left (the
        executor hands the run back: the next worker runs only those)."""
        spec, run = step.spec, step.run
        try:
            elements = render_value(spec.for_each, step.scope)
        except Exception as exc:
            return _failed(spec.name, f"forEach could not be rendered: {exc}")
        if not isinstance(elements, list):
            kind = "null" if elements is None else type(elements).__name__
            return _failed(spec.name, f"forEach must give a list, not {kind}: {elements!r:.200}")
        if len(elements) > self.max_items:
            return _failed(
                spec.name,
                f"forEach gave {len(elements)} items, over the limit of {self.max_items}"
                " (OPENPAL_MAX_FOREACH_ITEMS)",
            )
        kept = {r.item_index: r for r in await self.store.list_items(run.id, step.index)}
        results: list[ItemResult | None] = [kept.get(i) for i in range(len(elements))]
        state = _State(results, spec.on_item_failure == "fail_fast", self.clock.monotonic())
        todo = iter([i for i in range(len(elements)) if results[i] is None])
        width = min(spec.max_parallel, self.max_parallel)
        tasks = [
            asyncio.create_task(self._work(step, elements, todo, state, record_retry, draining))
            for _ in range(min(width, len(elements)))
        ]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return self._outcome(step, state)

    async def _work(
        self,
        step: Step,
        elements: list[Any],
        todo: Iterator[int],
        state: _State,
        record_retry: RecordRetry,
        draining: asyncio.Event,
    ) -> None:
        """One lane: items one after another, until none is left or the step stops."""
        for index in todo:  # one iterator shared by the lanes: each item is taken once
            if state.stopped() or step.cancelled.is_set() or draining.is_set():
                return
            started = self.clock.now()
            scope = {**step.scope, "item": elements[index], "item_index": index}
            outcome = await run_step(dataclasses.replace(step, scope=scope), self.clock,
                                     record_retry)  # fmt: skip
            outcome = await self.keep(step.run.id, step.spec.name, outcome)
            result = self._result(step, index, outcome, started)
            if isinstance(result, StepOutcome):  # it ends the run: no row for the item
                state.ending = state.ending or result
                return
            save = functools.partial(
                self.store.save_item, step.run.id, step.run.fencing_token, result
            )
            saved = await self.durably(save)
            if not saved:
                raise LeaseLost(f"run {step.run.id}: lease lost (token {step.run.fencing_token})")
            state.results[index] = result
            state.any_failed = state.any_failed or result.status == "failed"
            await self._cancel_stamped(step, state)

    async def _cancel_stamped(self, step: Step, state: _State) -> None:
        """Set the run's cancel flag when a cancel was stamped on it (read at most every
        CANCEL_CHECK_SECONDS by all the lanes together)."""
        now = self.clock.monotonic()
        if now - state.checked < CANCEL_CHECK_SECONDS or step.cancelled.is_set():
            return
        state.checked = now
        run = await self.store.get_run(step.run.tenant_id, step.run.id)
        if run is not None and run.cancel_requested_at is not None:
            step.cancelled.set()

    def _result(
        self, step: Step, index: int, outcome: StepOutcome, started: int
    ) -> ItemResult | StepOutcome:
        """The item's row, or the outcome that ends the run (cancel, refusal, deadline)."""
        status, output, error = "failed", None, outcome.error
        if outcome.status == "completed":
            try:
                status, output = "completed", to_plain(outcome.output)
            except (TypeError, ValueError) as exc:
                error = f"returned an output that is not JSON: {exc}"
        elif outcome.status == "waiting":
            error = "an item of a forEach step cannot wait"
        elif outcome.status != "failed" or outcome.error == step.deadline_message:
            return outcome
        error = None if error is None else storable_text(error)
        return ItemResult(step.index, index, status, output, error, outcome.attempts, started,
                          self.clock.now())  # fmt: skip

    def _outcome(self, step: Step, state: _State) -> StepOutcome | None:
        name = step.spec.name
        if state.ending is not None:
            return state.ending
        attempts = max((r.attempts for r in state.results if r is not None), default=1)
        failed = state.first_failed()
        if failed is not None and state.fail_fast:
            error = f"item {failed.item_index} failed: {failed.error}"
            return StepOutcome("failed", error=error, attempts=attempts,
                               run_error=f"step {name!r} failed: {error}")  # fmt: skip
        if any(r is None for r in state.results):
            if step.cancelled.is_set():
                return StepOutcome.cancelled()
            return None  # draining: handed back with items left
        output = [
            r.output if r.status == "completed" else item_error(r.item_index, r.error)
            for r in state.results
            if r is not None
        ]
        return StepOutcome("completed", output, attempts=max(attempts, 1))


class _State:
    """What the lanes of one fan-out step share."""

    def __init__(self, results: list[ItemResult | None], fail_fast: bool, now: float) -> None:
        self.results = results  # by item index; None: not ended yet
        self.fail_fast = fail_fast
        self.checked = now  # when the run's cancel stamp was last read (monotonic)
        self.ending: StepOutcome | None = None  # an item ended the run
        self.any_failed = self.first_failed() is not None

    def first_failed(self) -> ItemResult | None:
        return next((r for r in self.results if r is not None and r.status == "failed"), None)

    def stopped(self) -> bool:
        return self.ending is not None or (self.fail_fast and self.any_failed)


def _failed(name: str, error: str) -> StepOutcome:
    return StepOutcome("failed", error=error, run_error=f"step {name!r} failed: {error}")
