"""The run use cases: start (admission, idempotency), rerun, hold a request until its run
ends; `RunService` joins them with the reads (`run_views`) and decisions (`run_decisions`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from typing import Any

from openpal import tracing
from openpal.engine.ids import new_id
from openpal.errors import InvalidInput, Issue
from openpal.service.admission import admission_fields
from openpal.service.catalog import Catalog
from openpal.service.inputs import validate_input
from openpal.service.notify import Hub
from openpal.service.run_decisions import RunDecisions
from openpal.service.run_views import RunViews
from openpal.store.base import Store
from openpal.store.catalog_records import VersionRecord, WorkflowRecord
from openpal.store.records import IdempotencyKey, NewRun, RunRecord, dumps
from openpal.workflows.model import WorkflowDef

IDEMPOTENCY_WINDOW_US = 24 * 3600 * 1_000_000
# A held request re-reads its run this often even without an event (missed NOTIFY,
# or a worker in another process on SQLite, which has no events between processes).
HOLD_SAFETY_POLL = 2.0


def now_micros() -> int:
    """Now, in µs since the epoch."""
    return time.time_ns() // 1000


def normalise_overrides(raw: Any, wf: WorkflowDef) -> dict[str, Any] | None:
    """`{"steps": {name: output}}` or `{name: output}` → `{name: output}`, names checked."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput([Issue("_overrides", "must be an object of step name → output")])
    steps = raw["steps"] if set(raw) == {"steps"} and isinstance(raw["steps"], dict) else raw
    names = {s.name for s in wf.steps}
    bad = [
        Issue(f"_overrides.{k}", "no step of this name", "unknown_step")
        for k in steps
        if k not in names
    ]
    if bad:
        raise InvalidInput(bad)
    return dict(steps)


class RunService(RunViews, RunDecisions):
    """What the HTTP layer and the dashboard ask of runs."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        hub: Hub,
        *,
        hold_poll: float = HOLD_SAFETY_POLL,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.hub = hub
        self.hold_poll = hold_poll
        self.clock = clock  # µs since the epoch

    async def start(
        self,
        tenant_id: str,
        target: str,
        data: dict[str, Any],
        *,
        version: str | None = None,
        trigger: str = "api",
        overrides: Any = None,
        idempotency_key: str | None = None,
        deadline_seconds: float | None = None,
        tags: tuple[str, ...] = (),
        metadata: dict[str, Any] | None = None,
        hold: float | None = None,
        child_of: tuple[str, int] | None = None,
    ) -> RunRecord:
        """Validate and durably queue a run; answers once the run is in the store, or
        with `hold`, once it ended or `hold` seconds passed (see `hold`).

        `deadline_seconds` overrides the workflow's `timeout_seconds` for this run;
        `tags` and `metadata` are the caller's, kept with the run as sent.
        `child_of`: (parent run id, step index) of the `workflow.invoke` step starting it.

        With an idempotency key, a repeat of the same request within 24 h returns the
        first run (a different request under the same key is a `Conflict`).
        """
        record, ver, wf = await self.catalog.resolve(target, version)
        clean = validate_input(wf, data)
        ovr = normalise_overrides(overrides, wf)
        once = None
        if idempotency_key is not None:
            asked = [record.id, ver.id, clean, ovr, deadline_seconds, list(tags), metadata]
            digest = hashlib.sha256(dumps(asked).encode()).hexdigest()
            once = IdempotencyKey(idempotency_key, digest, self.clock() - IDEMPOTENCY_WINDOW_US)
        return await self._queue(
            tenant_id,
            record,
            ver,
            wf,
            clean,
            trigger,
            once=once,
            overrides=ovr,
            deadline_seconds=deadline_seconds,
            tags=tags,
            metadata=metadata,
            hold=hold,
            parent_id=None if child_of is None else child_of[0],
            parent_step=None if child_of is None else child_of[1],
        )

    async def _queue(
        self,
        tenant_id: str,
        record: WorkflowRecord,
        ver: VersionRecord,
        wf: WorkflowDef,
        input: dict[str, Any],
        trigger: str,
        once: IdempotencyKey | None = None,
        hold: float | None = None,
        **extra: Any,
    ) -> RunRecord:
        """Insert a pending run of `ver` (or a rejected one, when admission control
        refuses it), wake a worker, and with `hold`, wait for its end.

        A held run is watched before it exists, so its end cannot slip by unheard
        and nothing is read to begin with; a worker of this process hands over the
        finished record, so an embedded server answers without reading it again."""
        created = self.clock()
        run_id = new_id("exec", created)
        extra.update(admission_fields(wf, record.id, tenant_id, input))
        fut = self.hub.watch(run_id) if hold is not None else None
        try:
            run = await self.store.create_run(
                NewRun(
                    id=run_id,
                    tenant_id=tenant_id,
                    workflow_id=record.id,
                    workflow_slug=record.slug,
                    workflow_name=record.name,
                    version_id=ver.id,
                    version_label=ver.version_label,
                    input=input,
                    trigger_type=trigger,
                    created_at=created,
                    held=hold is not None,
                    trace_parent=tracing.parent_for_new_run(),
                    **extra,
                ),
                once=once,
            )
        except BaseException:
            if fut is not None:
                self.hub.unwatch(run_id, fut)
            raise
        self.hub.run_queued()
        if hold is None:
            return run
        if run.id != run_id:  # an idempotent replay answered with an earlier run
            assert fut is not None
            self.hub.unwatch(run_id, fut)
            fut = None
        return await self.hold(run, hold, fut)

    async def hold(
        self,
        run: RunRecord,
        seconds: float,
        fut: asyncio.Future[RunRecord | None] | None = None,
    ) -> RunRecord:
        """Wait up to `seconds` for the run to end; the run as it then is.

        Woken by the hub (a worker in this process, or a NOTIFY from another);
        a slow safety poll re-reads the run in case an event was missed. `fut`:
        a watch registered before `run` was read (or created), consumed here.
        """
        if run.status.terminal or seconds <= 0:
            if fut is not None:
                self.hub.unwatch(run.id, fut)
            return run
        deadline = time.monotonic() + seconds
        announced = fut is not None  # created as held: its end is announced here
        while True:
            try:
                if fut is None:  # watch first, then read: an end in between is heard
                    fut = self.hub.watch(run.id)
                    if not announced:
                        await self.store.hold_run(run.id)
                        announced = True
                    run = await self.get(run.tenant_id, run.id)
                left = deadline - time.monotonic()
                if run.status.terminal or left <= 0:
                    return run
                with contextlib.suppress(TimeoutError):
                    ended = await asyncio.wait_for(asyncio.shield(fut), min(left, self.hold_poll))
                    if ended is not None:  # the finisher handed over the record
                        return ended
            finally:
                if fut is not None:
                    self.hub.unwatch(run.id, fut)
            fut = None

    async def rerun(
        self,
        tenant_id: str,
        run_id: str,
        *,
        trigger: str = "rerun",
        version: str | None = None,
        hold: float | None = None,
    ) -> RunRecord:
        """A new run on the old run's input snapshot (and its tags and metadata): of the
        workflow's current version, of the old run's own version (`version="original"`),
        or of the version with that label. `hold`: as `start`'s."""
        old = await self.get(tenant_id, run_id)
        if version == "original":
            record, ver, wf = await self.catalog.resolve_version(old.workflow_id, old.version_id)
        else:
            record, ver, wf = await self.catalog.resolve(old.workflow_id, version)
        return await self._queue(
            tenant_id,
            record,
            ver,
            wf,
            old.input or {},
            trigger,
            overrides=old.overrides,
            previous_execution_id=old.id,
            deadline_seconds=old.deadline_seconds,
            retry_number=old.retry_number + 1,
            batch_id=old.batch_id,
            tags=tuple(old.tags),
            metadata=old.metadata,
            hold=hold,
        )
