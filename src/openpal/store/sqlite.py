"""The SQLite implementation of `Store`: one file, WAL, group-committed writes.

This module starts runs and stands in for the events of one process; claims are
`sqlite_claims`'s, a held run's checkpoints, end and wait `sqlite_progress`'s, the
other parts the shared `*_sql` mixins'.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpal.engine.states import RunStatus, check_transition
from openpal.errors import Conflict
from openpal.files import file_ids
from openpal.private import private_dir
from openpal.store.base import EVENT_KINDS
from openpal.store.deploys_sql import SqliteDeploys
from openpal.store.files_sql import SqliteFiles
from openpal.store.history_records import WorkerSeen
from openpal.store.items_sql import ItemsSql
from openpal.store.records import IdempotencyKey, NewRun, RunRecord
from openpal.store.rows import (
    ACTIVE,
    FULL_COLS,
    insert_sql,
    qmarks,
    record_of,
    reject,
    rejection_message,
    run_from_row,
    run_row,
)
from openpal.store.schedules_sql import SchedulesSql
from openpal.store.sql_catalog import CatalogSql
from openpal.store.sql_dialect import SqliteSql
from openpal.store.sql_leases import LeasesSql
from openpal.store.sql_runs import RunsSql
from openpal.store.sqlite_claims import SqliteClaims
from openpal.store.sqlite_engine import SqliteEngine
from openpal.store.sqlite_progress import SqliteProgress


class SqliteStore(
    SqliteClaims,
    SqliteProgress,
    SqliteFiles,
    SqliteDeploys,
    SqliteSql,
    CatalogSql[SqliteEngine],
    RunsSql[SqliteEngine],
    LeasesSql[SqliteEngine],
    SchedulesSql[SqliteEngine],
    ItemsSql[SqliteEngine],
):
    """`Store` on one SQLite file (see `sqlite_engine` for the threading model)."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        self.path = path
        self.db = SqliteEngine(path)
        self._workers: dict[str, WorkerSeen] = {}  # this process's worker pools

    async def open(self) -> None:
        """Nothing to do: the file is opened and migrated by the constructor."""

    async def close(self) -> None:
        self.db.close()

    async def listen(
        self, deliver: Callable[..., None], kinds: frozenset[str] = EVENT_KINDS
    ) -> None:
        """SQLite has no channel between processes: wait, deliver nothing, until cancelled."""
        await asyncio.Event().wait()

    async def hold_run(self, run_id: str) -> None:
        """Nothing to do: every end is heard in this process (there is no other)."""

    # One process: its hub wakes its own workers; nobody else to name or hand on to.
    # Its pools are remembered in memory, for the dashboard's overview.
    async def report_worker(self, worker_id: str, slots: int, free: int, now: int) -> None:
        known = self._workers.get(worker_id)
        started = known.started_at if known is not None else now
        self._workers[worker_id] = WorkerSeen(worker_id, slots, free, started, now)

    async def forget_worker(self, worker_id: str, now: int) -> None:
        self._workers.pop(worker_id, None)

    async def workers_seen(self, since: int) -> list[WorkerSeen]:
        return sorted((w for w in self._workers.values() if w.seen_at >= since), key=lambda w: w.id)

    async def hand_on_work(self) -> None:
        return None

    # -- runs: API side ---------------------------------------------------
    async def create_run(self, run: NewRun, *, once: IdempotencyKey | None = None) -> RunRecord:
        if run.status != RunStatus.CREATED:
            check_transition(RunStatus.CREATED, run.status)
        base = run_row(run)  # held_by stays NULL: one process hears its own ends
        inserted: dict[str, Any] = {}
        files = sorted(file_ids(run.input))

        def op(c: sqlite3.Connection) -> RunRecord | None:
            if once is not None:
                seen = c.execute(
                    "SELECT request_hash, run_id FROM idempotency_keys"
                    " WHERE tenant_id = ? AND key = ? AND created_at >= ?",
                    (run.tenant_id, once.key, once.not_before),
                ).fetchone()
                if seen is not None:
                    if seen[0] != once.request_hash:
                        raise Conflict(
                            f"Idempotency-Key {once.key!r} was used for a different request"
                            f" (run {seen[1]}); use a new key for a new request"
                        )
                    row = c.execute(
                        f"SELECT {FULL_COLS} FROM runs WHERE id = ?", (seen[1],)
                    ).fetchone()
                    if row is not None:
                        return run_from_row(row)
                c.execute(
                    "INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, ?, ?, ?)",
                    (run.tenant_id, once.key, once.request_hash, run.id, run.created_at),
                )
            row = dict(base)  # admission may reject it: a fresh row for every attempt
            if run.admission == "reject" and run.concurrency_key and run.concurrency_limit:
                # one writer: counting, then deciding, cannot race another admission
                busy = c.execute(
                    f"SELECT COUNT(*) FROM runs WHERE concurrency_key = ? AND status IN ({ACTIVE})",
                    (run.concurrency_key,),
                ).fetchone()[0]
                if busy >= run.concurrency_limit:
                    reject(row, rejection_message(run.concurrency_limit, run.concurrency_key))
            c.execute(insert_sql("runs", row, qmarks()), tuple(row.values()))
            inserted.update(row)
            if run.tags:
                c.executemany(
                    "INSERT OR IGNORE INTO run_tags (run_id, tenant_id, tag, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    [(run.id, run.tenant_id, t, run.created_at) for t in run.tags],
                )
            if files:
                c.executemany(
                    "INSERT OR IGNORE INTO run_files (run_id, blob_id) VALUES (?, ?)",
                    [(run.id, f) for f in files],
                )
            return None

        existing = await self.db.write(op)
        return existing or record_of(run, inserted)
