"""The PostgreSQL implementation of `Store`: many API and worker processes on one database.

Same tables, same guarded updates as the SQLite store (`rows` holds what they
share). What PostgreSQL adds: claims take rows `FOR UPDATE SKIP LOCKED`, so
workers in many processes never block on or double-claim a run; NOTIFY tells other
processes of new work (the inserting statement names the workers to wake,
`pg_workers`), of finished runs (only the process holding a request for one,
migration 0017) and cancels, which `listen` hands to the process's hub; and the
hot writes of many runs go in batches (`pg_batches`).

This module starts runs and carries the events; claims are `pg_claims`'s, a held run's
checkpoints, end and wait `pg_progress`'s, the other parts the shared `*_sql` mixins'.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import asyncpg

from openpal.engine.states import RunStatus, check_transition
from openpal.errors import Conflict
from openpal.files import file_ids
from openpal.store.base import EVENT_KINDS
from openpal.store.batch import Batcher
from openpal.store.deploys_sql import PostgresDeploys
from openpal.store.files_sql import PostgresFiles
from openpal.store.items_sql import ItemsSql
from openpal.store.pg_batches import Advance, Start, advance_runs, insert_runs
from openpal.store.pg_claims import PostgresClaims
from openpal.store.pg_engine import CHANNEL_PREFIX, PgEngine
from openpal.store.pg_progress import PostgresProgress
from openpal.store.pg_workers import PostgresWorkers, work_channel
from openpal.store.records import IdempotencyKey, NewRun, RunRecord
from openpal.store.rows import (
    ACTIVE,
    FULL_COLS,
    dollar_marks,
    insert_sql,
    record_of,
    reject,
    rejection_message,
    run_from_json,
    run_from_row,
    run_row,
)
from openpal.store.schedules_sql import SchedulesSql
from openpal.store.sql_catalog import CatalogSql
from openpal.store.sql_dialect import PostgresSql
from openpal.store.sql_leases import LeasesSql
from openpal.store.sql_runs import RunsSql

WAKE = "SELECT pg_notify(c, '') FROM unnest($1::text[]) c"  # at commit, to these channels


class PostgresStore(
    PostgresClaims,
    PostgresProgress,
    PostgresFiles,
    PostgresDeploys,
    PostgresWorkers,
    PostgresSql,
    CatalogSql[PgEngine],
    RunsSql[PgEngine],
    LeasesSql[PgEngine],
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
