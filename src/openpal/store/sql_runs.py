"""Runs outside a worker's hot path, written once for both stores: reading runs and their
steps, a cancel, a reviewer's decision, a run's events and artifacts, the files runs
refer to, and retention. Statements in `?` form; the hooks are `sql_dialect`'s.

Creating, claiming, checkpointing, parking and finishing runs stay with each store
(`sqlite`/`postgres`, `*_claims`, `*_progress`): there the dialects differ in more than
a hook (one statement per state change on PostgreSQL, one group-committed writer on
SQLite). A lease's renewal and release are `sql_leases`'.
"""

from __future__ import annotations

from typing import Any

from openpal.engine.states import (
    CANCEL_AT_CHECKPOINT,
    CANCEL_AT_ONCE,
    CANCELLED_BY_REQUEST,
    TERMINAL,
    RunStatus,
    check_transition,
)
from openpal.store.events import EVENT_COLS, decision_event, event_from_row, event_row
from openpal.store.history_records import (
    ArtifactRecord,
    QueueStats,
    RunEventRecord,
    RunFilter,
    RunTiming,
    StepRecord,
)
from openpal.store.records import RunRecord, dumps
from openpal.store.rows import FULL_COLS, list_runs_query, run_from_row, status_list
from openpal.store.sql_dialect import Conn, E, Insert, SqlStore

_RUN = f"SELECT {FULL_COLS} FROM runs WHERE id = ?"
_TENANT_RUN = _RUN + " AND tenant_id = ?"
_STEPS = (
    "SELECT run_id, step_index, step_name, status, output, error, attempts, started_at,"
    " completed_at, traceback, usage, logs FROM step_executions WHERE run_id = ?"
    " ORDER BY step_index"
)

_STATUS = "SELECT status FROM runs WHERE id = ? AND tenant_id = ?"
_CANCEL_NOW = (
    "UPDATE runs SET status = 'cancelled', cancel_requested_at = ?, completed_at = ?,"
    " updated_at = ?, error = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?"
)
_CANCEL_AT_CHECKPOINT = (
    "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, ?), updated_at = ?"
    " WHERE id = ?"
)

_AWAITING_APPROVAL = " AND status = 'waiting' AND waiting_for = 'approval'"
_APPROVE = (
    "UPDATE runs SET status = 'pending', decision = 'approved', resume_payload = ?,"
    " updated_at = ? WHERE id = ? AND tenant_id = ?" + _AWAITING_APPROVAL
)
_REJECT = (
    "UPDATE runs SET status = 'rejected', error = ?, completed_at = ?, updated_at = ?"
    " WHERE id = ? AND tenant_id = ?" + _AWAITING_APPROVAL
)
_AT_STEP = " AND next_step = ?"
_RETURNING_RUN = f" RETURNING {FULL_COLS}"

_EVENT = Insert("run_events", EVENT_COLS.split(", "))
# the same row, only while the writer still holds the run (its fencing token); PostgreSQL
# needs the types of values it cannot tell from a SELECT list
_CASTS = {"at": "BIGINT", "step_index": "INTEGER", "attempt": "INTEGER"}
_HELD_EVENT = (
    f"INSERT INTO run_events ({EVENT_COLS}) SELECT "
    + ", ".join(f"CAST(? AS {_CASTS[c]})" if c in _CASTS else "?" for c in _EVENT.columns)
    + " WHERE EXISTS (SELECT 1 FROM runs WHERE id = ? AND fencing_token = ?)"
)
_EVENTS = f"SELECT {EVENT_COLS}, id FROM run_events WHERE run_id = ? ORDER BY id"

_ARTIFACT_COLS = ("run_id", "path", "blob_id", "name", "mime_type", "size", "step_name",
                  "created_at")  # fmt: skip
_ARTIFACT = Insert(
    "run_artifacts",
    _ARTIFACT_COLS,
    " ON CONFLICT (run_id, path) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ARTIFACT_COLS[2:]),
)
_RUN_FILE = Insert("run_files", ("run_id", "blob_id"), " ON CONFLICT DO NOTHING")
_ARTIFACTS = f"SELECT {', '.join(_ARTIFACT_COLS)} FROM run_artifacts WHERE run_id = ? ORDER BY path"
# what keeps a blob alive: a run's input or artifact, an uploaded file, an upload's chunk
_BLOB_HOLDERS = ("run_files", "files", "file_upload_chunks")

_PRUNABLE = (
    f"SELECT id FROM runs WHERE status IN ({status_list(TERMINAL)}) AND completed_at < ? LIMIT ?"
)
# each count matches a partial index's condition exactly (runs_queue, runs_leased,
# runs_waiting): four index scans of the live runs, never of the finished ones
_QUEUE = (
    "SELECT (SELECT count(*) FROM runs WHERE status = 'pending'),"
    " (SELECT min(created_at) FROM runs WHERE status = 'pending'),"
    " (SELECT count(*) FROM runs WHERE status IN ('running', 'finalizing')),"
    " (SELECT count(*) FROM runs WHERE status = 'waiting')"
)
_RUN_PARTS = ("step_executions", "step_items", "run_events", "idempotency_keys")  # first
# child runs (`workflow.invoke`, migration 0025)
_CHILD = f"SELECT {FULL_COLS} FROM runs WHERE parent_id = ? AND parent_step = ?"
_CHILDREN = f"SELECT {FULL_COLS} FROM runs WHERE parent_id = ? ORDER BY parent_step, created_at"
_WAKE = (
    "UPDATE runs SET wait_until = ?, updated_at = ?"
    " WHERE id = ? AND status = 'waiting' AND waiting_for = ?"
)


def _artifact_row(a: ArtifactRecord) -> dict[str, Any]:
    return {"run_id": a.run_id, "path": a.path, "blob_id": a.blob_id, "name": a.name,
            "mime_type": a.mime_type, "size": a.size, "step_name": a.step_name,
            "created_at": a.created_at}  # fmt: skip


class RunsSql(SqlStore[E]):
    """The run operations of `SqliteStore` and `PostgresStore` besides the write path."""

    async def get_run(self, tenant_id: str, run_id: str) -> RunRecord | None:
        row = await self._point().fetchrow(self._sql(_TENANT_RUN), run_id, tenant_id)
        return run_from_row(tuple(row)) if row else None

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        rows = await self._point().fetch(self._sql(_STEPS), run_id)
        return [StepRecord(*r) for r in rows]

    async def list_runs(self, flt: RunFilter) -> list[RunRecord]:
        sql, args = list_runs_query(flt, self._marks())
        return [run_from_row(tuple(r)) for r in await self.db.fetch(sql, *args)]

    async def find_child(self, parent_id: str, step_index: int) -> RunRecord | None:
        row = await self._point().fetchrow(self._sql(_CHILD), parent_id, step_index)
        return run_from_row(tuple(row)) if row else None

    async def list_children(self, parent_id: str) -> list[RunRecord]:
        rows = await self.db.fetch(self._sql(_CHILDREN), parent_id)
        return [run_from_row(tuple(r)) for r in rows]

    async def wake_waiting(self, run_id: str, waiting_for: str, now: int) -> bool:
        done = await self.db.execute(self._sql(_WAKE), now, now, run_id, waiting_for)
        return self._changed(done) == 1

    async def request_cancel(self, tenant_id: str, run_id: str, now: int) -> RunRecord | None:
        async def op(c: Conn) -> RunRecord | None:
            status = await c.fetchval(self._sql(_STATUS + self._for_update), run_id, tenant_id)
            if status is None:
                return None
            current = RunStatus(status)
            if current in CANCEL_AT_ONCE:
                check_transition(current, RunStatus.CANCELLED)
                await c.execute(self._sql(_CANCEL_NOW), now, now, now, CANCELLED_BY_REQUEST, run_id)
            elif current in CANCEL_AT_CHECKPOINT:
                await c.execute(self._sql(_CANCEL_AT_CHECKPOINT), now, now, run_id)
            row = await c.fetchrow(self._sql(_RUN), run_id)
            assert row is not None  # locked (PostgreSQL) or written only by us (SQLite)
            return run_from_row(tuple(row))

        return await self.db.tx(op)

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
        if approve:
            sql, args = _APPROVE, [None if payload is None else dumps(payload), now]
        else:
            error = f"rejected by reviewer: {reason}" if reason else "rejected by reviewer"
            sql, args = _REJECT, [error, now, now]
        args += [run_id, tenant_id]
        if at_step is not None:  # the decision is for this step only
            sql += _AT_STEP
            args.append(at_step)

        # The decided row comes back from the UPDATE itself: an approved run is pending
        # only for an instant (a worker hears of it and claims it at once), so reading
        # it again afterwards could see it `running` already.
        async def op(c: Conn) -> RunRecord | None:
            row = await c.fetchrow(self._sql(sql + _RETURNING_RUN), *args)
            if row is None:
                return None
            run = run_from_row(tuple(row))
            event = decision_event(run.id, run.next_step, approve, reason, now)
            await c.execute(self._sql(_EVENT.sql), *_EVENT.values(event_row(event)))
            return run

        decided = await self.db.tx(op)
        if decided is not None:
            return decided
        return await self.get_run(tenant_id, run_id)  # not decided: say what it is

    async def run_timings(self, tenant_id: str, since: int, limit: int) -> list[RunTiming]:
        rows = await self.db.fetch(
            self._sql(
                "SELECT workflow_slug, status, created_at, started_at, completed_at FROM runs"
                " WHERE tenant_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?"
            ),
            tenant_id,
            since,
            limit,
        )
        return [RunTiming(r[0], RunStatus(r[1]), r[2], r[3], r[4]) for r in rows]

    async def queue_stats(self) -> QueueStats:
        row = await self.db.fetchrow(self._sql(_QUEUE))
        assert row is not None
        pending, oldest, running, waiting = tuple(row)
        return QueueStats(int(pending), oldest, int(running), int(waiting))

    # -- events -----------------------------------------------------------
    async def add_run_event(self, event: RunEventRecord, *, token: int | None = None) -> bool:
        values = _EVENT.values(event_row(event))
        if token is None:
            await self.db.execute(self._sql(_EVENT.sql), *values)
            return True
        done = await self.db.execute(self._sql(_HELD_EVENT), *values, event.run_id, token)
        return self._changed(done) == 1

    async def list_run_events(self, run_id: str) -> list[RunEventRecord]:
        rows = await self.db.fetch(self._sql(_EVENTS), run_id)
        return [event_from_row(tuple(r)) for r in rows]

    # -- artifacts and files ----------------------------------------------
    async def save_artifacts(self, artifacts: list[ArtifactRecord]) -> None:
        if not artifacts:
            return
        rows = [_ARTIFACT.values(_artifact_row(a)) for a in artifacts]
        files = [_RUN_FILE.values({"run_id": a.run_id, "blob_id": a.blob_id}) for a in artifacts]

        async def op(c: Conn) -> None:
            await c.executemany(self._sql(_ARTIFACT.sql), rows)
            await c.executemany(self._sql(_RUN_FILE.sql), files)

        await self.db.tx(op)

    async def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        rows = await self.db.fetch(self._sql(_ARTIFACTS), run_id)
        return [ArtifactRecord(*r) for r in rows]

    async def referenced_files(self, file_ids: list[str]) -> set[str]:
        if not file_ids:
            return set()
        selects, args = [], []
        for table in _BLOB_HOLDERS:
            cond, values = self._one_of("blob_id", file_ids)
            selects.append(f"SELECT blob_id FROM {table} WHERE {cond}")
            args += values
        rows = await self.db.fetch(self._sql(" UNION ".join(selects)), *args)
        return {r[0] for r in rows}

    # -- retention --------------------------------------------------------
    async def prune_runs(self, before: int, limit: int) -> int:
        async def op(c: Conn) -> int:
            found = await c.fetch(self._sql(_PRUNABLE + self._skip_locked), before, limit)
            ids = [r[0] for r in found]
            if ids:
                cond, args = self._one_of("run_id", ids)
                for table in _RUN_PARTS:
                    await c.execute(self._sql(f"DELETE FROM {table} WHERE {cond}"), *args)
                cond, args = self._one_of("id", ids)
                await c.execute(self._sql(f"DELETE FROM runs WHERE {cond}"), *args)
            return len(ids)

        return await self.db.tx(op)
