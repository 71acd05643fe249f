"""The PostgreSQL implementation of `Store`: many API and worker processes on one database.

Same tables, same guarded updates as the SQLite store (`rows` holds what they
share). What PostgreSQL adds: claims take rows `FOR UPDATE SKIP LOCKED`, so
workers in many processes never block on or double-claim a run; NOTIFY tells other
processes of new work (the inserting statement names the workers to wake,
`pg_workers`), of finished runs (only the process holding a request for one,
migration 0017) and cancels, which `listen` hands to the process's hub; and the
hot writes of many runs go in batches (`pg_batches`).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from openpal.engine.states import (
    CANCEL_AT_CHECKPOINT,
    RunStatus,
    check_transition,
    sources_of,
)
from openpal.errors import Conflict, InvalidTransition, LeaseLost
from openpal.files import file_ids
from openpal.store.base import EVENT_KINDS
from openpal.store.batch import Batcher
from openpal.store.deploys_sql import PostgresDeploys
from openpal.store.events import (
    EVENT_COLS,
    event_values,
    takeover_event,
    waiting_event,
)
from openpal.store.files_sql import PostgresFiles
from openpal.store.items_sql import ItemsSql
from openpal.store.pg_batches import Advance, Start, advance_runs, insert_runs
from openpal.store.pg_engine import CHANNEL_PREFIX, PgEngine
from openpal.store.pg_workers import PostgresWorkers, work_channel
from openpal.store.records import (
    Checkpointed,
    Claim,
    IdempotencyKey,
    NewRun,
    RunEventRecord,
    RunRecord,
    StepResult,
    dumps,
    loads,
)
from openpal.store.rows import (
    ACTIVE,
    FULL_COLS,
    HAS_LIMITED_PENDING,
    admissible_query,
    dollar_marks,
    insert_sql,
    record_of,
    reject,
    rejection_message,
    run_from_json,
    run_from_row,
    run_row,
    status_list,
)
from openpal.store.schedules_sql import SchedulesSql
from openpal.store.sql_catalog import CatalogSql
from openpal.store.sql_dialect import PostgresSql
from openpal.store.sql_runs import RunsSql

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
_ADMISSION_LOCK = 0x6F70656E61646D  # pg_advisory_xact_lock key serialising limited claims
WAKE = "SELECT pg_notify(c, '') FROM unnest($1::text[]) c"  # at commit, to these channels


class PostgresStore(
    PostgresFiles,
    PostgresDeploys,
    PostgresWorkers,
    PostgresSql,
    CatalogSql[PgEngine],
    RunsSql[PgEngine],
    SchedulesSql[PgEngine],
    ItemsSql[PgEngine],
):
    """`Store` on a PostgreSQL database (see `pg_engine` for pool and migrations)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.db = PgEngine(url, pool_size=pool_size)
        # whether the last claim saw pending runs under a concurrency limit: then the
        # next claim takes the admission path first (a transaction with a lock)
        self._limited_seen = True
        # this process's name in `runs.held_by`: the ends of the runs it holds requests
        # for are announced on its own channel (migration 0017)
        self.listener_id = "p" + secrets.token_hex(6)
        # the hot writes go in batches, one statement and one commit each (`pg_batches`)
        self._starts: Batcher[Start, None] = Batcher(
            lambda b: insert_runs(self.db, b, self.wake_channels(len(b)))
        )
        self._advances: Batcher[Advance, Any] = Batcher(lambda b: advance_runs(self.db, b))
        self._init_workers()

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self._stop_workers()
        await self.db.close()

    async def listen(
        self, deliver: Callable[..., None], kinds: frozenset[str] = EVENT_KINDS
    ) -> None:
        channels = {CHANNEL_PREFIX + k: k for k in kinds if k != "finished"}
        if "work" in kinds:  # work named to this process's workers
            channels[work_channel(self.listener_id)] = "work_here"
        if "finished" in kinds:  # only the ends of runs held here, or in several processes
            for who in (self.listener_id, "all"):
                channels[f"{CHANNEL_PREFIX}finished_{who}"] = "finished"

        def hear(kind: str, payload: str) -> None:
            if kind == "finished" and payload.startswith("{"):  # the finished row itself
                run = run_from_json(payload)
                deliver(kind, run.id, run)
            else:
                deliver(kind, payload)

        await self.db.listen(hear, channels)

    async def hold_run(self, run_id: str) -> None:
        # held here, or by another process too: then every API process hears of it
        await self.db.execute(
            "UPDATE runs SET held_by = CASE WHEN held_by IS NULL THEN $2 ELSE 'all' END"
            " WHERE id = $1 AND (held_by IS NULL OR held_by NOT IN ($2, 'all'))",
            run_id,
            self.listener_id,
        )

    # -- runs: API side ---------------------------------------------------
    async def create_run(self, run: NewRun, *, once: IdempotencyKey | None = None) -> RunRecord:
        if run.status != RunStatus.CREATED:
            check_transition(RunStatus.CREATED, run.status)
        row = run_row(run, held_by=self.listener_id if run.held else None)
        admit = run.admission == "reject" and run.concurrency_key and run.concurrency_limit
        files = sorted(file_ids(run.input))
        if once is None and not admit:  # the common case: with the next batch of starts
            tags = [(run.id, run.tenant_id, t, run.created_at) for t in run.tags]
            await self._starts.submit(Start(row, tags, [(run.id, f) for f in files]))
            return record_of(run, row)

        async def insert_run(c: asyncpg.Connection) -> None:
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
                    reject(row, rejection_message(run.concurrency_limit, run.concurrency_key))
            await c.execute(insert_sql("runs", row, dollar_marks()), *row.values())
            if row["status"] == RunStatus.PENDING.value:
                await c.execute(WAKE, self.wake_channels(1))
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
            return record_of(run, row)

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
        return existing or record_of(run, row)

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
        # with the next batch: the guarded run update and the step row, written together
        # or not at all, for every run of the batch in one statement and one commit. No
        # indexed column changes (status only when finalizing): a HOT update, no index
        # touched (fillfactor leaves room).
        done = await self._advances.submit(
            Advance(run_id, token, step, now, next_step=next_step, finalizing=finalizing)
        )
        assert isinstance(done, Checkpointed)
        return done

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
        # the run's end and its last step's checkpoint, with the next batch (see the protocol)
        end = (status.value, None if output is None else dumps(output), error, schema_valid)
        done = await self._advances.submit(Advance(run_id, token, step, now, end=end))
        assert isinstance(done, RunRecord)
        return done

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
            *_event_tail(waiting_event(run_id, None, waiting_for, wake_at, now, message)),
        )
        if row is None:
            raise LeaseLost(f"run {run_id}: lease lost before it could wait")
        return run_from_row(tuple(row))

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

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        result = await self.db.execute(
            "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
            " updated_at = $1 WHERE id = $2 AND fencing_token = $3 AND status = 'running'",
            now,
            run_id,
            token,
        )
        return result == "UPDATE 1"


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
