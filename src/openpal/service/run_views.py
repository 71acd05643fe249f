"""Reading runs: one view per step of a run (`StepView`), pages of runs with their cursor,
and the files a run's steps wrote; the reading part of `RunService`."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpal.blobs.base import BlobStore
from openpal.engine.states import RunStatus
from openpal.errors import InvalidInput, Issue, NotFound
from openpal.service.catalog import Catalog
from openpal.store.base import Store
from openpal.store.history_records import ArtifactRecord, RunFilter, StepRecord
from openpal.store.records import RunRecord

__all__ = ["RunViews", "StepView", "decode_cursor", "encode_cursor"]


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


class RunViews:
    """What `RunService` reads: a run, its steps, its files, pages of runs."""

    store: Store
    catalog: Catalog

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
