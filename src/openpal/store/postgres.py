"""The PostgreSQL implementation of `Store`: many API and worker processes on one database.

Same tables, same guarded updates as the SQLite store (`rows` holds what they
share). What PostgreSQL adds: claims take rows `FOR UPDATE SKIP LOCKED`, so
workers in many processes never block on or double-claim a run, and a trigger
(migration 0005) NOTIFYs other processes of new work, finished runs and cancels,
which `listen` hands to the process's hub.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from openpal.engine.states import (
    CANCEL_AT_CHECKPOINT,
    CANCEL_AT_ONCE,
    CANCELLED_BY_REQUEST,
    TERMINAL,
    RunStatus,
    check_transition,
    sources_of,
)
from openpal.errors import Conflict, InvalidTransition, LeaseLost
from openpal.files import file_ids
from openpal.store.base import EVENT_KINDS
from openpal.store.deploys_sql import PostgresDeploys
from openpal.store.events import (
    EVENT_COLS,
    decision_event,
    event_from_row,
    event_values,
    takeover_event,
    waiting_event,
)
from openpal.store.files_sql import PG_BLOB_REFS, PostgresFiles
from openpal.store.pg_engine import CHANNEL_PREFIX, PgEngine
from openpal.store.records import (
    ApiKeyRecord,
    ArtifactRecord,
    Checkpointed,
    Claim,
    IdempotencyKey,
    NewRun,
    RunEventRecord,
    RunFilter,
    RunRecord,
    StepRecord,
    StepResult,
    VersionRecord,
    WorkflowRecord,
    dumps,
    loads,
)
from openpal.store.rows import (
    ACTIVE,
    FULL_COLS,
    HAS_LIMITED_PENDING,
    V_COLS,
    WF_COLS,
    admissible_query,
    dollar_marks,
    escape_like,
    list_runs_query,
    metadata_json,
    new_run_record,
    rejection_message,
    run_from_row,
    status_list,
    tags_json,
    ver_from_row,
    wf_from_row,
)

_WF_FROM = "FROM workflows w LEFT JOIN workflow_versions v ON v.id = w.current_version_id"
_RUNNING = status_list(CANCEL_AT_CHECKPOINT)
# what a claim sets: a new lease and fencing token; pending and waiting runs start
# running, a run whose lease expired keeps its status and counts a takeover
_TAKE = (
    f"status = CASE WHEN status IN ({_RUNNING}) THEN status ELSE 'running' END,"
    " lease_owner = $1, lease_expires_at = $2, fencing_token = fencing_token + 1,"
    f" attempt = attempt + 1, takeovers = takeovers + CASE WHEN status IN ({_RUNNING})"
    " THEN 1 ELSE 0 END, started_at = COALESCE(started_at, $3), step_started_at = $3,"
    " updated_at = $3"
)
_ART_COLS = "run_id, path, blob_id, name, mime_type, size, step_name, created_at"
_ADMISSION_LOCK = 0x6F70656E61646D  # pg_advisory_xact_lock key serialising limited claims


class PostgresStore(PostgresFiles, PostgresDeploys):
    """`Store` on a PostgreSQL database (see `pg_engine` for pool and migrations)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.db = PgEngine(url, pool_size=pool_size)
        # whether the last claim saw pending runs under a concurrency limit: then the
        # next claim takes the admission path first (a transaction with a lock)
        self._limited_seen = True
        # this process's name in `runs.held_by`: the ends of the runs it holds requests
        # for are announced on its own channel (migration 0017)
        self.listener_id = "p" + secrets.token_hex(6)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()

    async def listen(
        self, deliver: Callable[[str, str], None], kinds: frozenset[str] = EVENT_KINDS
    ) -> None:
        channels = {CHANNEL_PREFIX + k: k for k in kinds if k != "finished"}
        if "finished" in kinds:  # only the ends of runs held here, or in several processes
            for who in (self.listener_id, "all"):
                channels[f"{CHANNEL_PREFIX}finished_{who}"] = "finished"
        await self.db.listen(deliver, channels)

    async def hold_run(self, run_id: str) -> None:
        # held here, or by another process too: then every API process hears of it
        await self.db.execute(
            "UPDATE runs SET held_by = CASE WHEN held_by IS NULL THEN $2 ELSE 'all' END"
            " WHERE id = $1 AND (held_by IS NULL OR held_by NOT IN ($2, 'all'))",
            run_id,
            self.listener_id,
        )

    # -- API keys ---------------------------------------------------------
    async def create_api_key(self, key: ApiKeyRecord) -> None:
        await self.db.execute(
            "INSERT INTO api_keys (id, tenant_id, name, key_hash, prefix, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            key.id,
            key.tenant_id,
            key.name,
            key.key_hash,
            key.prefix,
            key.created_at,
        )

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        row = await self.db.fetchrow(
            "SELECT id, tenant_id, name, key_hash, prefix, created_at FROM api_keys"
            " WHERE key_hash = $1",
            key_hash,
        )
        return ApiKeyRecord(*row) if row else None

    async def count_api_keys(self) -> int:
        return int(await self.db.fetchval("SELECT COUNT(*) FROM api_keys"))

    # -- workflows --------------------------------------------------------
    async def get_workflow(
        self, id_or_slug: str, *, include_deleted: bool = False
    ) -> WorkflowRecord | None:
        alive = "" if include_deleted else " AND w.deleted_at IS NULL"
        row = await self.db.fetchrow(
            f"SELECT {WF_COLS} {_WF_FROM} WHERE (w.id = $1 OR w.slug = $1){alive}", id_or_slug
        )
        return wf_from_row(tuple(row)) if row else None

    async def list_workflows(
        self, *, search: str | None, name: str | None, limit: int, offset: int
    ) -> tuple[list[WorkflowRecord], int]:
        where, args = ["w.deleted_at IS NULL"], []
        if search:
            args.append("%" + escape_like(search) + "%")
            where.append(f"(w.slug LIKE ${len(args)} OR w.name LIKE ${len(args)})")
        if name:
            args.append(name)
            where.append(f"w.slug = ${len(args)}")
        cond = " AND ".join(where)
        total = await self.db.fetchval(f"SELECT COUNT(*) FROM workflows w WHERE {cond}", *args)
        n = len(args)
        rows = await self.db.fetch(
            f"SELECT {WF_COLS} {_WF_FROM} WHERE {cond} ORDER BY w.slug"
            f" LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            limit,
            offset,
        )
        return [wf_from_row(tuple(r)) for r in rows], int(total)

    async def list_versions(
        self, workflow_id: str, *, limit: int, offset: int
    ) -> tuple[list[VersionRecord], int]:
        total = await self.db.fetchval(
            "SELECT COUNT(*) FROM workflow_versions WHERE workflow_id = $1", workflow_id
        )
        rows = await self.db.fetch(
            f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = $1"
            " ORDER BY seq DESC LIMIT $2 OFFSET $3",
            workflow_id,
            limit,
            offset,
        )
        return [ver_from_row(tuple(r)) for r in rows], int(total)

    async def get_version(self, version_id: str) -> VersionRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {V_COLS} FROM workflow_versions WHERE id = $1", version_id
        )
        return ver_from_row(tuple(row)) if row else None

    async def find_version(self, workflow_id: str, label: str) -> VersionRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {V_COLS} FROM workflow_versions WHERE workflow_id = $1"
            " AND (version_label = $2 OR id = $2) ORDER BY seq DESC LIMIT 1",
            workflow_id,
            label,
        )
        return ver_from_row(tuple(row)) if row else None

    # -- runs: API side ---------------------------------------------------
    async def create_run(self, run: NewRun, *, once: IdempotencyKey | None = None) -> RunRecord:
        if run.status != RunStatus.CREATED:
            check_transition(RunStatus.CREATED, run.status)
        input_json = dumps(run.input)
        overrides_json = None if run.overrides is None else dumps(run.overrides)
        values = (
            run.id,
            run.tenant_id,
            run.workflow_id,
            run.workflow_slug,
            run.workflow_name,
            run.version_id,
            run.version_label,
            run.status.value,
            run.trigger_type,
            input_json,
            overrides_json,
            run.previous_execution_id,
            run.retry_number,
            run.batch_id,
            run.created_at,
            run.concurrency_key,
            run.concurrency_limit,
            run.deadline_seconds,
            tags_json(run),
            metadata_json(run),
            self.listener_id if run.held else None,
        )
        insert = (
            "INSERT INTO runs (id, tenant_id, workflow_id, workflow_slug, workflow_name,"
            " version_id, version_label, status, trigger_type, input, overrides,"
            " previous_execution_id, retry_number, batch_id, created_at, updated_at,"
            " concurrency_key, concurrency_limit, deadline_seconds, tags, metadata, held_by,"
            " error, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
            " $13, $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
        )
        admit = run.admission == "reject" and run.concurrency_key and run.concurrency_limit
        files = sorted(file_ids(run.input))
        if once is None and not admit and not files and not run.tags:
            await self.db.execute(insert, *values, None, None)
            return new_run_record(run, input_json, overrides_json)
        outcome: dict[str, str] = {}

        async def insert_run(c: asyncpg.Connection) -> None:
            row = [*values, None, None]  # error, completed_at
            if admit:
                assert run.concurrency_key is not None and run.concurrency_limit is not None
                # one admission at a time per group, on every API process
                await c.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", run.concurrency_key
                )
                busy = await c.fetchval(
                    "SELECT COUNT(*) FROM runs WHERE concurrency_key = $1"
                    f" AND status IN ({ACTIVE})",
                    run.concurrency_key,
                )
                if busy >= run.concurrency_limit:
                    outcome["rejected"] = rejection_message(
                        run.concurrency_limit, run.concurrency_key
                    )
                    row[7] = RunStatus.REJECTED.value
                    row[-2:] = [outcome["rejected"], run.created_at]
            await c.execute(insert, *row)
            if run.tags:
                await c.executemany(
                    "INSERT INTO run_tags (run_id, tenant_id, tag, created_at)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    [(run.id, run.tenant_id, t, run.created_at) for t in run.tags],
                )
            if files:
                await c.executemany(
                    "INSERT INTO run_files (run_id, blob_id) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING",
                    [(run.id, f) for f in files],
                )

        if once is None:
            await self.db.tx(insert_run)
            return new_run_record(run, input_json, overrides_json, rejected=outcome.get("rejected"))

        async def op(c: asyncpg.Connection) -> RunRecord | None:
            # Claim the key first: a concurrent request with the same key waits on
            # this row lock, then sees the run this transaction created.
            claimed = await c.fetchrow(
                "INSERT INTO idempotency_keys (tenant_id, key, request_hash, run_id, created_at)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (tenant_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
                " run_id = EXCLUDED.run_id, created_at = EXCLUDED.created_at"
                " WHERE idempotency_keys.created_at < $6"
                " RETURNING run_id",
                run.tenant_id,
                once.key,
                once.request_hash,
                run.id,
                run.created_at,
                once.not_before,
            )
            if claimed is None:  # the key is live: answer with its run
                seen = await c.fetchrow(
                    "SELECT request_hash, run_id FROM idempotency_keys"
                    " WHERE tenant_id = $1 AND key = $2",
                    run.tenant_id,
                    once.key,
                )
                if seen["request_hash"] != once.request_hash:
                    raise Conflict(
                        f"Idempotency-Key {once.key!r} was used for a different request"
                        f" (run {seen['run_id']}); use a new key for a new request"
                    )
                row = await c.fetchrow(f"SELECT {FULL_COLS} FROM runs WHERE id = $1", seen[1])
                if row is not None:
                    return run_from_row(tuple(row))
                await c.execute(
                    "UPDATE idempotency_keys SET run_id = $3, created_at = $4"
                    " WHERE tenant_id = $1 AND key = $2",
                    run.tenant_id,
                    once.key,
                    run.id,
                    run.created_at,
                )
            await insert_run(c)
            return None

        existing = await self.db.tx(op)
        return existing or new_run_record(
            run, input_json, overrides_json, rejected=outcome.get("rejected")
        )

    async def get_run(self, tenant_id: str, run_id: str) -> RunRecord | None:
        row = await self.db.fetchrow(
            f"SELECT {FULL_COLS} FROM runs WHERE id = $1 AND tenant_id = $2", run_id, tenant_id
        )
        return run_from_row(tuple(row)) if row else None

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        rows = await self.db.fetch(
            "SELECT run_id, step_index, step_name, status, output, error, attempts,"
            " started_at, completed_at, traceback, usage FROM step_executions WHERE run_id = $1"
            " ORDER BY step_index",
            run_id,
        )
        return [StepRecord(*r) for r in rows]

    async def list_runs(self, flt: RunFilter) -> list[RunRecord]:
        sql, args = list_runs_query(flt, dollar_marks())
        return [run_from_row(tuple(r)) for r in await self.db.fetch(sql, *args)]

    async def request_cancel(self, tenant_id: str, run_id: str, now: int) -> RunRecord | None:
        async def op(c: asyncpg.Connection) -> RunRecord | None:
            status = await c.fetchval(
                "SELECT status FROM runs WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
                run_id,
                tenant_id,
            )
            if status is None:
                return None
            current = RunStatus(status)
            if current in CANCEL_AT_ONCE:
                check_transition(current, RunStatus.CANCELLED)
                sql = (
                    "UPDATE runs SET status = 'cancelled', cancel_requested_at = $2,"
                    " completed_at = $2, updated_at = $2, error = 'cancelled by request',"
                    " lease_owner = NULL, lease_expires_at = NULL WHERE id = $1"
                )
            elif current in CANCEL_AT_CHECKPOINT:
                sql = (
                    "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, $2),"
                    " updated_at = $2 WHERE id = $1"
                )
            else:
                sql = ""
            if sql:
                await c.execute(sql, run_id, now)
            row = await c.fetchrow(f"SELECT {FULL_COLS} FROM runs WHERE id = $1", run_id)
            return run_from_row(tuple(row))

        return await self.db.tx(op)

    # -- runs: worker side ------------------------------------------------
    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        expires = now + int(lease_seconds * 1_000_000)
        rows: list[Any] = []
        if not self._limited_seen:
            rows, self._limited_seen = await self._claim_unlimited(
                self.db.fetch, worker_id, limit, expires, now
            )
        if self._limited_seen and len(rows) < limit:
            rows += await self.db.tx(
                lambda c: self._claim_admitting(c, worker_id, limit - len(rows), expires, now)
            )
        runs = [run_from_row(tuple(r)) for r in rows]
        if any(r.takeovers for r in runs):  # rare: a worker died or stalled
            await self._record_takeovers([r for r in runs if r.takeovers], worker_id, now)
        resumed = [r.id for r in runs if r.next_step > 0]
        done: dict[str, dict[str, Any]] = {r.id: {} for r in runs}
        if resumed:
            for step in await self.db.fetch(
                "SELECT s.run_id, s.step_name, s.output FROM step_executions s"
                " JOIN runs r ON r.id = s.run_id WHERE s.run_id = ANY($1::text[])"
                " AND s.step_index < r.next_step ORDER BY s.run_id, s.step_index",
                resumed,
            ):
                done[step[0]][step[1]] = loads(step[2])
        return [Claim(run=r, done=done[r.id]) for r in runs]

    async def _claim_unlimited(
        self,
        fetch: Callable[..., Awaitable[list[Any]]],
        worker_id: str,
        limit: int,
        expires: int,
        now: int,
        *,
        defer_to_limited: bool = True,
    ) -> tuple[list[Any], bool]:
        """One statement, one round trip: due waiting runs, then pending runs without a
        concurrency limit, then runs whose lease expired (taken over), oldest first;
        and whether limited runs are pending. If they are, only waiting runs are taken
        here: the limited ones go next, by the admission path (see `claim_runs`), which
        then calls this with `defer_to_limited=False` for the slots they leave."""
        defer = " AND NOT (SELECT limited FROM l)" if defer_to_limited else ""
        rows = await fetch(
            f"WITH l AS MATERIALIZED ({HAS_LIMITED_PENDING} AS limited),"
            " w AS MATERIALIZED (SELECT id, 1 AS o, wait_until AS t FROM runs"
            " WHERE status = 'waiting' AND wait_until <= $3 ORDER BY wait_until LIMIT $4"
            " FOR UPDATE SKIP LOCKED),"
            # limited runs go before these: with any pending, leave them to the admission
            " p AS MATERIALIZED (SELECT id, 2 AS o, created_at AS t FROM runs"
            f" WHERE status = 'pending' AND concurrency_key IS NULL{defer}"
            " ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED),"
            " x AS MATERIALIZED (SELECT id, 3 AS o, lease_expires_at AS t FROM runs"
            f" WHERE status IN ({_RUNNING}) AND lease_expires_at < $3{defer}"
            " ORDER BY lease_expires_at LIMIT $4 FOR UPDATE SKIP LOCKED),"
            " picked AS MATERIALIZED (SELECT id FROM (SELECT * FROM w UNION ALL"
            " SELECT * FROM p UNION ALL SELECT * FROM x) u ORDER BY o, t LIMIT $4),"
            f" upd AS (UPDATE runs SET {_TAKE} WHERE id IN (SELECT id FROM picked)"
            f" RETURNING {FULL_COLS})"
            " SELECT upd.*, l.limited FROM l LEFT JOIN upd ON true",
            worker_id,
            expires,
            now,
            limit,
        )
        limited = bool(rows[0][-1])
        return [r[:-1] for r in rows if r[0] is not None], limited

    async def _claim_admitting(
        self, c: asyncpg.Connection, worker_id: str, limit: int, expires: int, now: int
    ) -> list[Any]:
        """Admission-controlled runs first (one claimer at a time across processes:
        counting a group's executing runs and filling its slots must not interleave),
        then the rest as `_claim_unlimited` does. Notes whether limited runs remain."""
        rows: list[Any] = []
        if await c.fetchval(HAS_LIMITED_PENDING):
            await c.execute("SELECT pg_advisory_xact_lock($1)", _ADMISSION_LOCK)
            rows += await c.fetch(
                f"WITH picked AS MATERIALIZED ({admissible_query('$4')})"
                f" UPDATE runs SET {_TAKE} WHERE id IN (SELECT id FROM picked)"
                f" AND status = 'pending' RETURNING {FULL_COLS}",
                worker_id,
                expires,
                now,
                limit,
            )
        more, self._limited_seen = await self._claim_unlimited(
            c.fetch, worker_id, limit - len(rows), expires, now, defer_to_limited=False
        ) if len(rows) < limit else ([], True)  # fmt: skip
        return rows + more

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
        # One statement, one round trip: the guarded run update and the step row
        # are written together or not at all. No indexed column changes (status only
        # when finalizing): a HOT update, no index touched (fillfactor leaves room).
        row = await self.db.fetchrow(
            "WITH r AS (UPDATE runs SET next_step = $1, step_started_at = $2,"
            " updated_at = $2, status = $3, waiting_for = NULL,"
            " wait_until = NULL, decision = NULL, resume_payload = NULL"
            f" WHERE id = $4 AND fencing_token = $5 AND status IN ({_RUNNING})"
            " RETURNING cancel_requested_at),"
            f" s AS ({_save_step('$4', 6)})"
            " SELECT cancel_requested_at FROM r",
            next_step,
            now,
            "finalizing" if finalizing else "running",
            run_id,
            token,
            *_step_values(step),
        )
        if row is None:
            raise LeaseLost(f"run {run_id}: lease lost (token {token})")
        return Checkpointed(cancel_requested=row[0] is not None)

    async def renew_lease(self, run_id: str, token: int, lease_seconds: float, now: int) -> bool:
        result = await self.db.execute(
            "UPDATE runs SET lease_expires_at = $1 WHERE id = $2 AND fencing_token = $3"
            f" AND status IN ({_RUNNING})",
            now + int(lease_seconds * 1_000_000),
            run_id,
            token,
        )
        return result == "UPDATE 1"

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
        if not status.terminal:
            raise InvalidTransition(f"finish_run needs a terminal status, not {status.value}")
        if last_step is not None:
            return await self._finish_with_step(
                run_id, token, status, output, error, now, schema_valid, last_step
            )
        allowed = status_list(sources_of(status) & CANCEL_AT_CHECKPOINT)
        row = await self.db.fetchrow(
            "UPDATE runs SET status = $1, output = $2, error = $3, schema_valid = $4,"
            " completed_at = $5, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL"
            f" WHERE id = $6 AND fencing_token = $7 AND status IN ({allowed})"
            f" RETURNING {FULL_COLS}",
            status.value,
            None if output is None else dumps(output),
            error,
            schema_valid,
            now,
            run_id,
            token,
        )
        if row is None:
            raise LeaseLost(f"run {run_id}: lease lost before it could finish")
        return run_from_row(tuple(row))

    async def _finish_with_step(
        self,
        run_id: str,
        token: int,
        status: RunStatus,
        output: Any,
        error: str | None,
        now: int,
        schema_valid: bool | None,
        step: StepResult,
    ) -> RunRecord:
        # one statement: the run's end and its last step's checkpoint (see the protocol)
        row = await self.db.fetchrow(
            "WITH r AS (UPDATE runs SET"
            " status = CASE WHEN cancel_requested_at IS NULL THEN $1 ELSE 'cancelled' END,"
            " output = CASE WHEN cancel_requested_at IS NULL THEN $2 END,"
            " error = CASE WHEN cancel_requested_at IS NULL THEN $3 ELSE $4 END,"
            " schema_valid = CASE WHEN cancel_requested_at IS NULL THEN $5::boolean END,"
            " next_step = $6, completed_at = $7, updated_at = $7, lease_owner = NULL,"
            " lease_expires_at = NULL, waiting_for = NULL, wait_until = NULL, decision = NULL,"
            " resume_payload = NULL"
            f" WHERE id = $8 AND fencing_token = $9 AND status IN ({_RUNNING})"
            f" RETURNING {FULL_COLS}),"
            f" s AS ({_save_step('$8', 10)})"
            " SELECT * FROM r",
            status.value,
            None if output is None else dumps(output),
            error,
            CANCELLED_BY_REQUEST,
            schema_valid,
            step.index + 1,
            now,
            run_id,
            token,
            *_step_values(step),
        )
        if row is None:
            raise LeaseLost(f"run {run_id}: lease lost before it could finish")
        return run_from_row(tuple(row))

    async def prune_runs(self, before: int, limit: int) -> int:
        async def op(c: asyncpg.Connection) -> int:
            ids = [
                r[0]
                for r in await c.fetch(
                    f"SELECT id FROM runs WHERE status IN ({status_list(TERMINAL)})"
                    " AND completed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED",
                    before,
                    limit,
                )
            ]
            if ids:
                await c.execute("DELETE FROM step_executions WHERE run_id = ANY($1::text[])", ids)
                await c.execute("DELETE FROM run_events WHERE run_id = ANY($1::text[])", ids)
                await c.execute("DELETE FROM idempotency_keys WHERE run_id = ANY($1::text[])", ids)
                await c.execute("DELETE FROM runs WHERE id = ANY($1::text[])", ids)
            return len(ids)

        return await self.db.tx(op)

    async def park_run(
        self, run_id: str, token: int, *, waiting_for: str, wake_at: int | None, now: int
    ) -> RunRecord:
        row = await self.db.fetchrow(
            "WITH r AS (UPDATE runs SET status = 'waiting', waiting_for = $1, wait_until = $2,"
            " decision = NULL, resume_payload = NULL, lease_owner = NULL,"
            " lease_expires_at = NULL, step_started_at = $3, updated_at = $3"
            " WHERE id = $4 AND fencing_token = $5 AND status = 'running'"
            f" RETURNING {FULL_COLS}), e AS ({_insert_event(6)}) SELECT * FROM r",
            waiting_for,
            wake_at,
            now,
            run_id,
            token,
            *_event_tail(waiting_event(run_id, None, waiting_for, wake_at, now)),
        )
        if row is None:
            raise LeaseLost(f"run {run_id}: lease lost before it could wait")
        return run_from_row(tuple(row))

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
        # The decided row comes back from the UPDATE itself: an approved run is pending
        # only for an instant (a worker hears of it and claims it at once), so reading
        # it again afterwards could see it `running` already.
        # The decision is recorded by the same statement (an event per decided run).
        # $5 is the step the decision is for (NULL: whichever the run waits at)
        waiting = (
            "status = 'waiting' AND waiting_for = 'approval'"
            " AND ($5::int IS NULL OR next_step = $5::int)"
            f" RETURNING {FULL_COLS}), e AS ({_insert_event(6)}) SELECT * FROM r"
        )
        event = _event_tail(decision_event(run_id, None, approve, reason, now))
        if approve:
            row = await self.db.fetchrow(
                "WITH r AS (UPDATE runs SET status = 'pending', decision = 'approved',"
                " resume_payload = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4"
                f" AND {waiting}",
                None if payload is None else dumps(payload),
                now,
                run_id,
                tenant_id,
                at_step,
                *event,
            )
        else:
            row = await self.db.fetchrow(
                "WITH r AS (UPDATE runs SET status = 'rejected', error = $1, completed_at = $2,"
                f" updated_at = $2 WHERE id = $3 AND tenant_id = $4 AND {waiting}",
                f"rejected by reviewer: {reason}" if reason else "rejected by reviewer",
                now,
                run_id,
                tenant_id,
                at_step,
                *event,
            )
        if row is not None:
            return run_from_row(tuple(row))
        return await self.get_run(tenant_id, run_id)  # not decided: say what it is

    async def add_run_event(self, event: RunEventRecord, *, token: int | None = None) -> bool:
        values = event_values(event)
        if token is None:
            await self.db.execute(
                f"INSERT INTO run_events ({EVENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                *values,
            )
            return True
        done = await self.db.execute(
            f"INSERT INTO run_events ({EVENT_COLS}) SELECT $1, $2::bigint, $3, $4::integer, $5,"
            " $6::integer, $7, $8 WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1"
            " AND fencing_token = $9)",
            *values,
            token,
        )
        return done == "INSERT 0 1"

    async def list_run_events(self, run_id: str) -> list[RunEventRecord]:
        rows = await self.db.fetch(
            f"SELECT {EVENT_COLS}, id FROM run_events WHERE run_id = $1 ORDER BY id", run_id
        )
        return [event_from_row(tuple(r)) for r in rows]

    async def _record_takeovers(self, runs: list[RunRecord], worker_id: str, now: int) -> None:
        """One `run.takeover` event per takeover: a run taken over before and claimed
        again (e.g. after a wait) already has the event for its count."""
        for run in runs:
            await self.db.execute(
                f"INSERT INTO run_events ({EVENT_COLS}) SELECT $1, $2::bigint, $3, $4::integer,"
                " $5, $6::integer, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM run_events"
                " WHERE run_id = $1 AND type = $3 AND attempt = $6)",
                *event_values(takeover_event(run, worker_id, now)),
            )

    async def save_artifacts(self, artifacts: list[ArtifactRecord]) -> None:
        if not artifacts:
            return

        async def op(c: asyncpg.Connection) -> None:
            await c.executemany(
                f"INSERT INTO run_artifacts ({_ART_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (run_id, path) DO UPDATE SET blob_id = EXCLUDED.blob_id,"
                " name = EXCLUDED.name, mime_type = EXCLUDED.mime_type, size = EXCLUDED.size,"
                " step_name = EXCLUDED.step_name, created_at = EXCLUDED.created_at",
                [
                    (
                        a.run_id,
                        a.path,
                        a.blob_id,
                        a.name,
                        a.mime_type,
                        a.size,
                        a.step_name,
                        a.created_at,
                    )
                    for a in artifacts
                ],
            )
            await c.executemany(
                "INSERT INTO run_files (run_id, blob_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [(a.run_id, a.blob_id) for a in artifacts],
            )

        await self.db.tx(op)

    async def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        rows = await self.db.fetch(
            f"SELECT {_ART_COLS} FROM run_artifacts WHERE run_id = $1 ORDER BY path", run_id
        )
        return [ArtifactRecord(*r) for r in rows]

    async def referenced_files(self, file_ids: list[str]) -> set[str]:
        rows = await self.db.fetch(
            "SELECT DISTINCT blob_id FROM run_files WHERE blob_id = ANY($1::text[])"
            f" UNION {PG_BLOB_REFS}",
            file_ids,
        )
        return {r[0] for r in rows}

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        result = await self.db.execute(
            "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
            " updated_at = $1 WHERE id = $2 AND fencing_token = $3 AND status = 'running'",
            now,
            run_id,
            token,
        )
        return result == "UPDATE 1"


def _step_values(step: StepResult) -> tuple[Any, ...]:
    """The ten values `_save_step` expects, in its order."""
    return (step.index, step.name, step.status, dumps(step.output), step.error,
            step.attempts, step.started_at, step.completed_at, step.traceback,
            None if step.usage is None else dumps(step.usage))  # fmt: skip


def _save_step(run_mark: str, first: int) -> str:
    """Upsert the step row for run `r` (a CTE); the step's ten values (`_step_values`)
    are $first…"""
    marks = ", ".join(f"${n}" for n in range(first, first + 10))
    return (
        "INSERT INTO step_executions (run_id, step_index, step_name, status, output, error,"
        f" attempts, started_at, completed_at, traceback, usage) SELECT {run_mark}, {marks}"
        " FROM r ON CONFLICT (run_id, step_index) DO UPDATE SET step_name = EXCLUDED.step_name,"
        " status = EXCLUDED.status, output = EXCLUDED.output, error = EXCLUDED.error,"
        " attempts = EXCLUDED.attempts, started_at = EXCLUDED.started_at,"
        " completed_at = EXCLUDED.completed_at, traceback = EXCLUDED.traceback,"
        " usage = EXCLUDED.usage"
    )


def _insert_event(first: int) -> str:
    """Record an event of run `r` (a CTE) at its current step; the six values of
    `_event_tail` are $first…"""
    n = first
    return (
        f"INSERT INTO run_events ({EVENT_COLS}) SELECT id, ${n}::bigint, ${n + 1}, next_step,"
        f" ${n + 2}, ${n + 3}::integer, ${n + 4}, ${n + 5} FROM r"
    )


def _event_tail(e: RunEventRecord) -> tuple[Any, ...]:
    """The values `_insert_event` expects: the event without its run and step index."""
    return (e.at, e.type, e.step_name, e.attempt, e.message, e.data_json)
