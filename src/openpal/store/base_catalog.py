"""The catalog part of the `Store` protocol: API keys, dashboard sessions, workflows and
their versions (loaded from a folder or deployed over the API), and their schedules.

Written once for both stores in `sql_catalog`, `deploys_sql` and `schedules_sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from openpal.store.catalog_records import (
    ApiKeyRecord,
    ScheduleRecord,
    ScheduleSpec,
    VersionRecord,
    WorkflowRecord,
)


class CatalogStore(Protocol):
    """What a deployment knows besides its runs: who may call it, and what it runs."""

    # -- API keys ----------------------------------------------------------
    async def create_api_key(self, key: ApiKeyRecord) -> None:
        """Store a new key (hash only)."""
        ...

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        """The live (not revoked) key with this hash, or None."""
        ...

    async def count_api_keys(self) -> int:
        """How many keys exist (the first start creates one when there are none)."""
        ...

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones too, oldest first."""
        ...

    async def revoke_api_key(self, key_id: str, now: int) -> bool:
        """Revoke a key and end its dashboard sessions; False when it was not live."""
        ...

    # -- dashboard sessions ------------------------------------------------
    async def create_session(self, id_hash: str, key_id: str, now: int, expires_at: int) -> None:
        """Store a session (the hash of its id only)."""
        ...

    async def find_session(self, id_hash: str, now: int) -> ApiKeyRecord | None:
        """The live key of an unexpired session, or None."""
        ...

    async def delete_session(self, id_hash: str, now: int) -> None:
        """End a session (sign-out); sessions expired by `now` are removed too."""
        ...

    # -- workflows ---------------------------------------------------------
    async def save_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        source_path: str | None,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        """Record content loaded from a workflows folder (see `deploy_workflow_version`
        for the API's way in).

        Content already stored for the slug (same hash) is not duplicated: the
        existing version is returned. The current-version pointer moves to content new
        to the store (restoring a deleted workflow), and to known content only while
        the pointer was last set by a load: a restart that reloads the same folder
        never undoes a promote, restore or delete made over the API.
        """
        ...

    async def get_workflow(
        self, id_or_slug: str, *, include_deleted: bool = False
    ) -> WorkflowRecord | None:
        """A workflow by `wf_…` id or by slug (a deleted one only with `include_deleted`)."""
        ...

    async def list_workflows(
        self, *, search: str | None, name: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        """A page of workflows (by slug, deleted ones left out) and the total that matched."""
        ...

    async def list_versions(
        self, workflow_id: str, *, limit: int, offset: int
    ) -> tuple[list[VersionRecord], int]:
        """A page of a workflow's versions, newest first, and their total."""
        ...

    async def get_version(self, version_id: str) -> VersionRecord | None:
        """One version by id."""
        ...

    async def find_version(self, workflow_id: str, label: str) -> VersionRecord | None:
        """The newest version of a workflow carrying `label`."""
        ...

    # -- workflow deploys (openpal.store.deploys_sql) ----------------------
    async def deploy_workflow_version(
        self,
        *,
        workflow_id: str,
        slug: str,
        name: str | None,
        description: str | None,
        version_id: str,
        version_label: str | None,
        content_hash: str,
        yaml_content: str,
        activate: bool,
        now: int,
    ) -> tuple[WorkflowRecord, VersionRecord]:
        """Record a version sent over the API (no source file), creating the workflow
        when the slug is new. A version with the same hash is reused, not duplicated.
        With `activate` the version becomes current, marked as set by the API (a folder
        load of known content no longer moves it), and a deleted workflow is restored;
        without, only the version is added (the caller checks the workflow has a current
        version)."""
        ...

    async def set_current_version(
        self,
        workflow_id: str,
        version_id: str,
        *,
        name: str | None,
        description: str | None,
        now: int,
    ) -> WorkflowRecord | None:
        """Point a workflow at one of its versions (promote), marked as set by the API;
        `name` and `description` are that version's. None when the workflow is unknown or
        deleted, or the version is not one of its."""
        ...

    async def delete_workflow(self, workflow_id: str, now: int) -> bool:
        """Soft-delete a workflow: it leaves lists, lookups and run targets; its versions
        and runs stay (runs already queued still run). False if unknown or deleted."""
        ...

    async def list_automations(
        self, *, search: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        """A page of workflows not deleted, by slug, whose slug, name or description
        contains `search` (case-insensitive), and the total that matched."""
        ...

    # -- schedules (openpal.store.schedules_sql) ---------------------------
    async def sync_schedules(
        self, workflow_id: str, version_id: str, specs: Sequence[ScheduleSpec], now: int
    ) -> None:
        """Make the workflow's schedules those of `specs` (one per trigger, by position):
        a trigger whose cron and time zone are unchanged keeps its next tick and pause;
        schedules past the end of `specs` are dropped."""
        ...

    async def list_schedules(self, workflow_id: str | None = None) -> list[ScheduleRecord]:
        """The schedules of one workflow, or of every live workflow (by slug, position)."""
        ...

    async def due_schedules(self, now: int, limit: int) -> list[ScheduleRecord]:
        """Unpaused schedules of live workflows with `next_fire_at <= now`, oldest first."""
        ...

    async def advance_schedule(
        self, schedule_id: str, due: int, next_fire_at: int, fired_at: int, run_id: str | None
    ) -> bool:
        """Move a fired schedule on to `next_fire_at`, only if it is still at `due`:
        of processes firing the same tick exactly one gets True."""
        ...

    async def set_schedule_paused(
        self, schedule_id: str, paused: bool, next_fire_at: int | None, now: int
    ) -> bool:
        """Pause or resume a schedule (resume with its next tick after now). False if unknown."""
        ...
