"""The worker part of the `Store` protocol: claiming runs and writing the progress of a
run held under a lease, every write fenced by the claim's token.

A write whose token is no longer the run's (its lease expired and another worker took
the run over) changes nothing: it raises `LeaseLost` or answers False.
"""

from __future__ import annotations

from typing import Any, Protocol

from openpal.engine.states import RunStatus
from openpal.store.history_records import ItemResult
from openpal.store.records import Checkpointed, Claim, RunRecord, StepResult


class WorkStore(Protocol):
    """What a worker pool does with the runs it holds."""

    # -- runs: worker side -------------------------------------------------
    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        """Take up to `limit` runs: waiting ones whose time came (timer fired, approval
        deadline passed), pending ones (admission-controlled first, within their limits),
        then running ones whose lease expired. Each claim bumps the fencing token. A
        takeover is recorded as a `run.takeover` event (once per takeover)."""
        ...

    async def checkpoint(
        self,
        run_id: str,
        token: int,
        step: StepResult,
        *,
        next_step: int,
        finalizing: bool,
        now: int,
    ) -> Checkpointed:
        """Write a finished step and the run's progress in one transaction. Raises
        `LeaseLost` if `token` is no longer the run's. The lease is not touched (the
        executor's lease keeper renews it): on PostgreSQL the update then changes no
        indexed column and stays a heap-only (HOT) update."""
        ...

    async def renew_lease(self, run_id: str, token: int, lease_seconds: float, now: int) -> bool:
        """Extend the lease; False if the lease was lost."""
        ...

    async def finish_run(
        self,
        run_id: str,
        token: int,
        status: RunStatus,
        *,
        output: Any,
        error: str | None,
        now: int,
        schema_valid: bool | None = None,
        last_step: StepResult | None = None,
    ) -> RunRecord:
        """Move a held run to a terminal status. Raises `LeaseLost` / `InvalidTransition`.

        With `last_step`, the run's final step is checkpointed in the same transaction
        (running → finalizing → `status` at once: one write where there were two). A
        cancel requested while that step ran wins: the run ends `cancelled`, with the
        step recorded."""
        ...

    async def park_run(
        self,
        run_id: str,
        token: int,
        *,
        waiting_for: str,
        wake_at: int | None,
        now: int,
        message: str | None = None,
    ) -> RunRecord:
        """Move a held run to `waiting` at its current step and drop the lease (no worker
        is held). `wake_at`: when a worker takes it up again, None for never by itself.
        A `run.waiting` event (at the run's current step, with `message` when given: why
        it waits, for the person) is recorded in the same write. Raises `LeaseLost` if
        `token` is no longer the run's."""
        ...

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        """Hand a held run back to the queue (pending) so another worker continues it."""
        ...

    # -- fan-out items (openpal.store.items_sql) ---------------------------
    async def save_item(self, run_id: str, token: int, item: ItemResult) -> bool:
        """Keep an ended item of a `forEach` step (one written again replaces the earlier
        row), only while `token` is the run's; returns whether it was kept."""
        ...

    async def list_items(self, run_id: str, step_index: int) -> list[ItemResult]:
        """The kept items of the run's step `step_index`, by item index."""
        ...

    async def count_items(self, run_id: str) -> dict[int, dict[str, int]]:
        """How many items of each fan-out step of the run ended, by step index and
        status (`completed`, `failed`)."""
        ...
