"""`MeteredStore`: the process's `Store`, counting the run events that pass through it.

Every change of a run's life goes through the store, once, in the process that made
it: a run is created (`create_run`), claimed (`claim_runs`), a step checkpointed
(`checkpoint`, or with the run's end in `finish_run`), the run ended (`finish_run`
by a worker, `request_cancel` / `decide_run` by the API). Counting here, on what
those calls already return, costs no read of the database; summed over all
processes, each event is counted exactly once.
"""

from __future__ import annotations

from typing import Any

from openpal.engine.states import RunStatus
from openpal.errors import LeaseLost
from openpal.service.metrics import Metrics
from openpal.store.base import Store
from openpal.store.events import RUN_TAKEOVER
from openpal.store.records import Checkpointed, Claim, NewRun, RunRecord, StepResult

_SKIPPED = "skipped"
MAX_HELD = 100_000  # workflow names of held runs remembered (a step's label)


class MeteredStore:
    """Delegates everything to `inner`; meters the calls of a run's life."""

    def __init__(self, inner: Store, metrics: Metrics) -> None:
        self.inner = inner
        self._m = metrics
        self._workflow_of: dict[str, str] = {}  # runs this process's workers hold

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if callable(value):  # a bound method: found once, then an ordinary attribute
            setattr(self, name, value)
        return value

    # -- API side -----------------------------------------------------------
    async def create_run(self, run: NewRun, **kw: Any) -> RunRecord:
        created = await self.inner.create_run(run, **kw)
        if created.id == run.id:  # not an idempotent replay of an earlier run
            self._m.run_started(run.workflow_slug)
            if created.status.terminal:  # refused at once (admission control)
                self._m.run_finished(run.workflow_slug, created.status.value)
        return created

    async def request_cancel(self, tenant_id: str, run_id: str, now: int) -> RunRecord | None:
        run = await self.inner.request_cancel(tenant_id, run_id, now)
        if run is not None and run.status == RunStatus.CANCELLED and run.completed_at == now:
            self._m.run_finished(run.workflow_slug, run.status.value)  # ended by this call
        return run

    async def decide_run(self, tenant_id: str, run_id: str, **kw: Any) -> RunRecord | None:
        run = await self.inner.decide_run(tenant_id, run_id, **kw)
        if run is not None and run.status == RunStatus.REJECTED and run.completed_at == kw["now"]:
            self._m.run_finished(run.workflow_slug, run.status.value)
        return run

    # -- worker side --------------------------------------------------------
    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        claims = await self.inner.claim_runs(worker_id, limit, lease_seconds, now)
        if len(self._workflow_of) > MAX_HELD:  # runs left for a takeover (outages) never end here
            self._workflow_of.clear()
        for claim in claims:
            run = claim.run
            self._workflow_of[run.id] = run.workflow_slug
            if run.started_at == now:  # its first claim
                self._m.claim_latency.observe(max(0, now - run.created_at) / 1_000_000)
            elif run.takeovers:  # rare: taken over now, or earlier and resumed now
                await self._count_takeover(run, worker_id, now)
        return claims

    async def _count_takeover(self, run: RunRecord, worker_id: str, now: int) -> None:
        """A takeover by this claim is recorded as a `run.takeover` event at `now`."""
        try:
            events = await self.inner.list_run_events(run.id)
        except Exception:  # a metric is not worth failing a claim for
            return
        for event in events:
            if (
                event.type == RUN_TAKEOVER
                and event.at == now
                and event.attempt == run.takeovers
                and event.data.get("worker") == worker_id
            ):
                self._m.takeovers.inc()
                return

    async def checkpoint(
        self, run_id: str, token: int, step: StepResult, **kw: Any
    ) -> Checkpointed:
        try:
            done = await self.inner.checkpoint(run_id, token, step, **kw)
        except LeaseLost:
            self._workflow_of.pop(run_id, None)
            raise
        self._step(run_id, step)
        return done

    async def finish_run(self, run_id: str, token: int, status: RunStatus, **kw: Any) -> RunRecord:
        try:
            run = await self.inner.finish_run(run_id, token, status, **kw)
        except LeaseLost:
            self._workflow_of.pop(run_id, None)
            raise
        last: StepResult | None = kw.get("last_step")
        if last is not None:
            self._step(run_id, last)
        workflow = self._workflow_of.pop(run_id, None) or run.workflow_slug
        self._m.run_finished(workflow, run.status.value)  # a cancel may win over `status`
        return run

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        self._workflow_of.pop(run_id, None)
        return await self.inner.release_run(run_id, token, now)

    async def park_run(self, run_id: str, token: int, **kw: Any) -> RunRecord:
        self._workflow_of.pop(run_id, None)
        return await self.inner.park_run(run_id, token, **kw)

    def _step(self, run_id: str, step: StepResult) -> None:
        if step.status != _SKIPPED:
            seconds = max(0, step.completed_at - step.started_at) / 1_000_000
            self._m.step_ended(self._workflow_of.get(run_id, ""), step.name, seconds)
