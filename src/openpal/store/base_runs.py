"""The runs part of the `Store` protocol, outside a worker's hold: starting, reading,
listing, cancelling and deciding runs, a run's history (events, artifacts), retention.

Status changes follow `openpal.engine.states` as guarded updates (see `base`).
"""

from __future__ import annotations

from typing import Any, Protocol

from openpal.store.history_records import (
    ArtifactRecord,
    QueueStats,
    RunEventRecord,
    RunFilter,
    RunTiming,
    StepRecord,
)
from openpal.store.records import IdempotencyKey, NewRun, RunRecord


class RunStore(Protocol):
    """Runs as the API, the dashboard and the services see them."""

    # -- runs: API side ----------------------------------------------------
    async def create_run(self, run: NewRun, *, once: IdempotencyKey | None = None) -> RunRecord:
        """Insert a run; when this returns, the run is durable.

        With `once`, the key is recorded in the same transaction: a second call with the
        same key (since `once.not_before`) returns the first run instead of creating one,
        or raises `Conflict` when its request hash differs.
        """
        ...

    async def get_run(self, tenant_id: str, run_id: str) -> RunRecord | None:
        """One run of this tenant, with its JSON columns."""
        ...

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        """The checkpointed steps of a run, in order."""
        ...

    async def list_runs(self, flt: RunFilter) -> list[RunRecord]:
        """Runs matching `flt`, newest first, without their JSON columns."""
        ...

    async def find_child(self, parent_id: str, step_index: int) -> RunRecord | None:
        """The child run the parent's step `step_index` started (`workflow.invoke`)."""
        ...

    async def list_children(self, parent_id: str) -> list[RunRecord]:
        """The parent's child runs, in step order, with their JSON columns."""
        ...

    async def wake_waiting(self, run_id: str, waiting_for: str, now: int) -> bool:
        """Make a run waiting for `waiting_for` due now (a worker claims it next);
        False when it is not waiting for that."""
        ...

    async def request_cancel(self, tenant_id: str, run_id: str, now: int) -> RunRecord | None:
        """Cancel at once (created/pending/waiting) or stamp `cancel_requested_at`
        (running/finalizing); a terminal run is returned unchanged. None if unknown."""
        ...

    async def decide_run(
        self,
        tenant_id: str,
        run_id: str,
        *,
        approve: bool,
        payload: Any,
        reason: str | None,
        now: int,
        at_step: int | None = None,
    ) -> RunRecord | None:
        """A person's decision on a run waiting for approval: approve → `pending` with the
        decision and `payload` recorded (a worker continues it), reject → `rejected` now.
        With `at_step`, only a run waiting at that step is decided (a review task names one
        wait: it must not decide a later one of the same run).
        A decision is recorded as a `run.decision` event in the same write. A run not
        waiting for approval is returned unchanged; None if unknown."""
        ...

    async def run_timings(self, tenant_id: str, since: int, limit: int) -> list[RunTiming]:
        """The tenant's runs created at or after `since`, newest first, at most `limit`:
        workflow, status and times only (the overview's sums; the tenant's newest-first
        index, nothing else read)."""
        ...

    async def queue_stats(self) -> QueueStats:
        """How many runs are pending (and since when the oldest), running and waiting,
        in the whole database, in one cheap read (partial indexes: finished runs are
        not scanned). For `/metrics`, at most once a second per process."""
        ...

    # -- a run's history ---------------------------------------------------
    async def add_run_event(self, event: RunEventRecord, *, token: int | None = None) -> bool:
        """Append an event to a run's history (its `id` is assigned here). With `token`,
        only while that fencing token is the run's (a worker whose lease was taken over
        records nothing); returns whether the event was recorded. Events are rare by
        design: the normal path of a run writes none."""
        ...

    async def list_run_events(self, run_id: str) -> list[RunEventRecord]:
        """A run's recorded events, in the order they were recorded."""
        ...

    async def save_artifacts(self, artifacts: list[ArtifactRecord]) -> None:
        """Record files a step wrote (a path written again is replaced); the run refers to
        their blobs from then on."""
        ...

    async def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        """A run's artifacts, by path."""
        ...

    # -- retention ---------------------------------------------------------
    async def prune_runs(self, before: int, limit: int) -> int:
        """Delete up to `limit` terminal runs completed before `before`, with their steps,
        events and idempotency keys; returns how many were deleted (call again until 0)."""
        ...
