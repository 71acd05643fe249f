"""The `Store` protocol: every durable operation openpal performs, named after the domain.

Implementations (SQLite, PostgreSQL) apply the run state machine of
`openpal.engine.states` atomically: each status change is a guarded update
(`WHERE status IN (<allowed sources>)`), so two processes racing on one run
cannot both win. All times are integer microseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from openpal.engine.states import RunStatus
from openpal.store.records import (
    ApiKeyRecord,
    ArtifactRecord,
    Checkpointed,
    Claim,
    FileRecord,
    IdempotencyKey,
    ItemResult,
    NewRun,
    QueueStats,
    RunEventRecord,
    RunFilter,
    RunRecord,
    RunTiming,
    ScheduleRecord,
    ScheduleSpec,
    StepRecord,
    StepResult,
    UploadChunk,
    UploadRecord,
    VersionRecord,
    WorkerSeen,
    WorkflowRecord,
)

# What `Store.listen` can hear (besides `resync`).
EVENT_KINDS = frozenset({"work", "finished", "cancel", "catalog"})


class Store(Protocol):
    """Durable state of one openpal deployment."""

    async def open(self) -> None:
        """Connect and apply pending migrations (safe when processes start at once)."""
        ...

    async def close(self) -> None:
        """Flush and release connections."""
        ...

    async def listen(
        self, deliver: Callable[..., None], kinds: frozenset[str] = EVENT_KINDS
    ) -> None:
        """Until cancelled, call `deliver(kind, run_id)` for run events from *other*
        processes (`deliver("finished", run_id, run)` when the event carried the
        finished run's record, so that the listener need not read it):
        `work` (a run became pending), `finished` (a run reached a terminal status; only
        for runs a request in this process holds: created with `NewRun.held`, or named
        to `hold_run`), `cancel` (a cancel was stamped on a held run), `catalog` (a
        workflow changed: its current version, name or deletion), `resync` (events may
        have been missed: re-read what you wait on; always delivered). Only `kinds` are
        heard: a process without workers needs no `work`, one without an API no
        `finished`. A backend without cross-process
        events never delivers; its users rely on their safety polls."""
        ...

    async def hold_run(self, run_id: str) -> None:
        """A request in this process waits for the end of `run_id` (created elsewhere, or
        without `held`): announce that end to this process too."""
        ...

    async def report_worker(self, worker_id: str, slots: int, free: int, now: int) -> None:
        """A worker pool of this process is alive with `free` of its `slots` free (every
        second or so): a store shared by processes names live workers to wake for new
        work, rather than waking all of them (`work` events)."""
        ...

    async def forget_worker(self, worker_id: str, now: int) -> None:
        """A worker pool stopped: name it no more (and forget long-gone ones)."""
        ...

    async def hand_on_work(self) -> None:
        """Wake every worker process: one named for new work had no free slot, or
        filled every free slot and may have left runs pending."""
        ...

    # -- API keys ---------------------------------------------------------
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

    # -- dashboard sessions -----------------------------------------------
    async def create_session(self, id_hash: str, key_id: str, now: int, expires_at: int) -> None:
        """Store a session (the hash of its id only)."""
        ...

    async def find_session(self, id_hash: str, now: int) -> ApiKeyRecord | None:
        """The live key of an unexpired session, or None."""
        ...

    async def delete_session(self, id_hash: str, now: int) -> None:
        """End a session (sign-out); sessions expired by `now` are removed too."""
        ...

    # -- workflows --------------------------------------------------------
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

    # -- runs: API side ---------------------------------------------------
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

    async def run_timings(self, tenant_id: str, since: int, limit: int) -> list[RunTiming]:
        """The tenant's runs created at or after `since`, newest first, at most `limit`:
        workflow, status and times only (the overview's sums; the tenant's newest-first
        index, nothing else read)."""
        ...

    async def workers_seen(self, since: int) -> list[WorkerSeen]:
        """Worker pools that reported at or after `since`, by id."""
        ...

    async def queue_stats(self) -> QueueStats:
        """How many runs are pending (and since when the oldest), running and waiting,
        in the whole database, in one cheap read (partial indexes: finished runs are
        not scanned). For `/metrics`, at most once a second per process."""
        ...

    # -- runs: worker side ------------------------------------------------
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

    async def prune_runs(self, before: int, limit: int) -> int:
        """Delete up to `limit` terminal runs completed before `before`, with their steps,
        events and idempotency keys; returns how many were deleted (call again until 0)."""
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

    async def referenced_files(self, file_ids: list[str]) -> set[str]:
        """Which of these stored blobs something still refers to: a run (runs record the
        files of their input when they are created; pruning a run drops its references),
        an uploaded file, or a chunk of an upload session."""
        ...

    # -- fan-out items (openpal.store.items_sql) ----------------------------
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

    # -- schedules (openpal.store.schedules_sql) ----------------------------
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

    # -- files ------------------------------------------------------------
    async def create_file(self, file: FileRecord) -> None:
        """Record an uploaded file (its blob is already stored)."""
        ...

    async def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        """One file of this tenant, or None (another tenant's file is None too)."""
        ...

    async def find_files(self, tenant_id: str, file_ids: list[str]) -> list[FileRecord]:
        """Those of these files that exist and belong to this tenant (any order)."""
        ...

    async def delete_file(self, tenant_id: str, file_id: str) -> bool:
        """Forget a file; its blob stays while a run refers to it. False if unknown."""
        ...

    async def prune_files(self, before: int, temporary_before: int, limit: int) -> int:
        """Delete up to `limit` files created before `before`, or before
        `temporary_before` when they have a purpose (run-input, builder-attachment: kept
        a shorter time); returns how many (call again until fewer than `limit`)."""
        ...

    async def create_upload(self, upload: UploadRecord, now: int) -> UploadRecord:
        """Start an upload session, or, when the tenant has a pending unexpired session
        with the same idempotency key and the same file (name, type, size, purpose),
        return that one. The same key for a different file raises `Conflict`."""
        ...

    async def get_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        """One upload session of this tenant, or None."""
        ...

    async def save_upload_chunk(self, chunk: UploadChunk) -> bool:
        """Record a received chunk (one sent again replaces the earlier one); False when
        the session is no longer pending (completed, aborted or pruned)."""
        ...

    async def list_upload_chunks(self, upload_id: str) -> list[UploadChunk]:
        """The chunks received so far, by index."""
        ...

    async def complete_upload(self, upload_id: str, file: FileRecord) -> FileRecord | None:
        """In one transaction: record `file`, mark the session completed and drop its
        chunks. A session completed before returns the file it became (complete is
        idempotent); an aborted one returns None."""
        ...

    async def abort_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        """Mark a pending session aborted and drop its chunks; a completed or aborted one
        is returned unchanged; None if unknown."""
        ...

    async def prune_uploads(self, before: int, limit: int) -> int:
        """Delete up to `limit` upload sessions (any status) that expired before `before`,
        with their chunks; returns how many."""
        ...

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        """Hand a held run back to the queue (pending) so another worker continues it."""
        ...
