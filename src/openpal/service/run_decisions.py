"""Deciding about runs: cancel (a parent's children with it), approve a run waiting for
approval (resume), reject it; the deciding part of `RunService`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openpal.engine.states import RunStatus
from openpal.errors import Conflict, InvalidInput, NotFound
from openpal.service.catalog import Catalog
from openpal.service.notify import Hub
from openpal.steps.extract_review import review_issues
from openpal.store.base import Store
from openpal.store.records import RunRecord

__all__ = ["RunDecisions"]


class RunDecisions:
    """What `RunService` decides: a cancel, an approval, a rejection, and whom each wakes."""

    store: Store
    catalog: Catalog
    hub: Hub
    clock: Callable[[], int]  # µs since the epoch

    async def cancel(self, tenant_id: str, run_id: str) -> RunRecord:
        """Idempotent cancel (DESIGN §2)."""
        run = await self.store.request_cancel(tenant_id, run_id, self.clock())
        if run is None:
            raise NotFound(f"run {run_id} not found")
        if run.status == RunStatus.CANCELLED:
            self.hub.run_finished(run.id, run)
            if run.parent_id is not None:  # a parent waiting on it reads how it ended
                await self.store.wake_waiting(run.parent_id, "children", self.clock())
        else:
            self.hub.cancel_requested(run.id)
        for child in await self.store.list_children(run.id):  # cancelling a parent
            if not child.status.terminal:
                await self.cancel(tenant_id, child.id)
        return run

    async def resume(
        self,
        tenant_id: str,
        run_id: str,
        payload: Any = None,
        *,
        at_step: int | None = None,
        field_prefix: str = "",
    ) -> RunRecord:
        """Approve a run waiting for approval: it continues, and the approval step's
        output is `payload` (or `{"approved": true}`). With `at_step`, only its wait at
        that step is approved. A refused extraction (`ai.extract`, `on_refusal: review`)
        is approved with its values: ones that do not fit its schema are `InvalidInput`
        naming the field (`field_prefix` + its name), and the run stays waiting."""
        run = await self.store.get_run(tenant_id, run_id)
        if run is not None and run.status == RunStatus.WAITING and run.waiting_for == "approval":
            wf = await self.catalog.definition(run.version_id)
            index = run.next_step if at_step is None else at_step
            if 0 <= index < len(wf.steps) and wf.steps[index].type == "ai.extract":
                schema = wf.steps[index].with_.get("schema")
                issues = review_issues(payload, schema, field_prefix)
                if issues:
                    raise InvalidInput(issues)
        return await self._decide(
            tenant_id, run_id, approve=True, payload=payload, reason=None, at_step=at_step
        )

    async def reject(
        self, tenant_id: str, run_id: str, reason: str | None, *, at_step: int | None = None
    ) -> RunRecord:
        """Turn down a run waiting for approval: it ends `rejected` with the reason."""
        return await self._decide(
            tenant_id, run_id, approve=False, payload=None, reason=reason, at_step=at_step
        )

    async def _decide(
        self,
        tenant_id: str,
        run_id: str,
        *,
        approve: bool,
        payload: Any,
        reason: str | None,
        at_step: int | None,
    ) -> RunRecord:
        run = await self.store.decide_run(
            tenant_id,
            run_id,
            approve=approve,
            payload=payload,
            reason=reason,
            now=self.clock(),
            at_step=at_step,
        )
        if run is None:
            raise NotFound(f"run {run_id} not found")
        decided = (
            run.status == RunStatus.PENDING and run.decision == "approved"
            if approve
            else run.status == RunStatus.REJECTED and run.waiting_for == "approval"
        )
        if not decided:
            what = run.status.value
            if run.status == RunStatus.WAITING and run.waiting_for != "approval":
                what = f"waiting for a {run.waiting_for}, not for approval"
            elif run.status == RunStatus.WAITING:
                what = f"waiting at step {run.next_step}, not at step {at_step}"
            raise Conflict(
                f"run {run_id} is {what}; only a run waiting for approval can be decided"
            )
        if approve:
            self.hub.run_queued()
        else:
            self.hub.run_finished(run.id, run)
            if run.parent_id is not None:  # a parent waiting on it reads how it ended
                await self.store.wake_waiting(run.parent_id, "children", self.clock())
        return run
