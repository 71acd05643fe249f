"""The run use cases: start, hold, get, list, cancel, rerun, resume."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpal import tracing
from openpal.blobs.base import BlobStore
from openpal.engine.ids import new_id
from openpal.engine.states import RunStatus
from openpal.errors import Conflict, InvalidInput, Issue, NotFound
from openpal.service.admission import admission_fields
from openpal.service.catalog import Catalog
from openpal.service.inputs import validate_input
from openpal.service.notify import Hub
from openpal.steps.extract_review import review_issues
from openpal.store.base import Store
from openpal.store.records import (
    ArtifactRecord,
    IdempotencyKey,
    NewRun,
    RunFilter,
    RunRecord,
    StepRecord,
    VersionRecord,
    WorkflowRecord,
    dumps,
)
from openpal.workflows.model import WorkflowDef

IDEMPOTENCY_WINDOW_US = 24 * 3600 * 1_000_000
# A held request re-reads its run this often even without an event (missed NOTIFY,
# or a worker in another process on SQLite, which has no events between processes).
HOLD_SAFETY_POLL = 2.0


def now_micros() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class StepView:
    """A step of a run as the detail view shows it (checkpointed or not yet)."""

    index: int
    name: str
    type: str
    status: str  # pending | running | completed | skipped | failed | cancelled
    output: Any
    error: str | None
    attempts: int
    started_at: int | None
    completed_at: int | None
    traceback: str | None = None  # the final failed attempt's, when the step failed
    usage: dict[str, float] | None = None  # tokens the step reported
    logs: list[dict[str, Any]] | None = None  # what its last attempt logged or printed
    # a `forEach` step: its items ended so far (`completed`, `failed`), and `total` once
    # the step completed; None for other steps
    items: dict[str, int] | None = None

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0, (self.completed_at - self.started_at) // 1000)


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


def encode_cursor(run: RunRecord) -> str:
    return base64.urlsafe_b64encode(f"{run.created_at}:{run.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, run_id = raw.partition(":")
        # a time the store can hold (64-bit microseconds); an id as text the store can hold
        if not run_id or len(created) > 19 or "\x00" in run_id or len(run_id) > 255:
            raise ValueError
        when = int(created)
        if not 0 <= when < 2**63:
            raise ValueError
        return when, run_id
    except ValueError:
        raise InvalidInput(
            [Issue("query.cursor", "not a cursor this server issued", "invalid_cursor")]
        ) from None


class RunService:
    """What the HTTP layer (and later the dashboard) asks of runs."""

    def __init__(
        self, store: Store, catalog: Catalog, hub: Hub, *, hold_poll: float = HOLD_SAFETY_POLL
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.hub = hub
        self.hold_poll = hold_poll

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
            once = IdempotencyKey(idempotency_key, digest, now_micros() - IDEMPOTENCY_WINDOW_US)
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
        created = now_micros()
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

    async def get(self, tenant_id: str, run_id: str) -> RunRecord:
        run = await self.store.get_run(tenant_id, run_id)
        if run is None:
            raise NotFound(f"run {run_id} not found")
        return run

    async def detail(self, tenant_id: str, run_id: str) -> tuple[RunRecord, list[StepView]]:
        """The run and one view per step of its workflow version."""
        run = await self.get(tenant_id, run_id)
        return run, await self.step_views(run)

    async def step_views(self, run: RunRecord) -> list[StepView]:
        """One view per step of a run already read (checkpointed, current, or to come)."""
        stored = {s.index: s for s in await self.store.get_steps(run.id)}
        wf = await self.catalog.definition(run.version_id)
        fanned = any(spec.for_each is not None for spec in wf.steps)
        counts = await self.store.count_items(run.id) if fanned else {}
        views = []
        for i, spec in enumerate(wf.steps):
            rec: StepRecord | None = stored.get(i)
            items = None
            if spec.for_each is not None:
                items = {"completed": 0, "failed": 0, **counts.get(i, {})}
                if rec is not None and rec.status == "completed" and isinstance(rec.output, list):
                    items["total"] = len(rec.output)
            if rec is not None:
                views.append(
                    StepView(
                        i,
                        spec.name,
                        spec.type,
                        rec.status,
                        rec.output,
                        rec.error,
                        rec.attempts,
                        rec.started_at,
                        rec.completed_at,
                        rec.traceback,
                        rec.usage,
                        rec.logs or None,
                        items,
                    )
                )
            elif i == run.next_step and run.status in (RunStatus.RUNNING, RunStatus.WAITING):
                views.append(
                    StepView(
                        i,
                        spec.name,
                        spec.type,
                        run.status.value,
                        None,
                        None,
                        1,
                        run.step_started_at,
                        None,
                        items=items,
                    )
                )
            else:
                status = "pending" if not run.status.terminal else "not_run"
                views.append(StepView(i, spec.name, spec.type, status, None, None, 0, None, None))
        return views

    async def artifacts(self, tenant_id: str, run_id: str) -> list[ArtifactRecord]:
        """The files a run's steps wrote (404 for a run of another tenant)."""
        await self.get(tenant_id, run_id)
        return await self.store.list_artifacts(run_id)

    async def artifact(self, tenant_id: str, run_id: str, path: str) -> ArtifactRecord:
        for found in await self.artifacts(tenant_id, run_id):
            if found.path == path:
                return found
        raise NotFound(f"run {run_id} has no artifact {path!r}")

    async def artifact_file(
        self, blobs: BlobStore, tenant_id: str, run_id: str, path: str
    ) -> tuple[ArtifactRecord, Path]:
        """An artifact and where its content lies on disk (fetched into the local cache
        when it lives in the database or a bucket); NotFound if either is missing."""
        found = await self.artifact(tenant_id, run_id, path)
        ref = await blobs.resolve(
            {"fileId": found.blob_id, "name": found.name, "mimeType": found.mime_type}
        )
        if ref.path is None:
            raise NotFound(f"artifact {path!r} of run {run_id}: its content is gone")
        return found, ref.path

    async def list(
        self, flt: RunFilter, *, sources: list[str] | None = None, cursor: str | None = None
    ) -> tuple[list[RunRecord], str | None]:
        """A page of runs and the cursor of the next page (None at the end)."""
        if sources:
            ids = []
            for source in sources:  # a deleted workflow's runs stay listed by its name
                wf = await self.store.get_workflow(source, include_deleted=True)
                if wf is not None:
                    ids.append(wf.id)
            flt = replace(flt, workflow_ids=tuple(ids))
        if cursor:
            flt = replace(flt, after=decode_cursor(cursor), offset=0)
        page = await self.store.list_runs(replace(flt, limit=flt.limit + 1))
        more = len(page) > flt.limit
        page = page[: flt.limit]
        return page, (encode_cursor(page[-1]) if more and page else None)

    async def cancel(self, tenant_id: str, run_id: str) -> RunRecord:
        """Idempotent cancel (DESIGN §2)."""
        run = await self.store.request_cancel(tenant_id, run_id, now_micros())
        if run is None:
            raise NotFound(f"run {run_id} not found")
        if run.status == RunStatus.CANCELLED:
            self.hub.run_finished(run.id, run)
            if run.parent_id is not None:  # a parent waiting on it reads how it ended
                await self.store.wake_waiting(run.parent_id, "children", now_micros())
        else:
            self.hub.cancel_requested(run.id)
        for child in await self.store.list_children(run.id):  # cancelling a parent
            if not child.status.terminal:
                await self.cancel(tenant_id, child.id)
        return run

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
            now=now_micros(),
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
                await self.store.wake_waiting(run.parent_id, "children", now_micros())
        return run
