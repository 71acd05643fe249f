"""The SQLite implementation of `Store`: one file, WAL, group-committed writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpal.engine.states import (
    CANCEL_AT_CHECKPOINT,
    CANCELLED_BY_REQUEST,
    RunStatus,
    check_transition,
    sources_of,
)
from openpal.errors import Conflict, InvalidTransition, LeaseLost
from openpal.files import file_ids
from openpal.private import private_dir
from openpal.store.base import EVENT_KINDS
from openpal.store.deploys_sql import SqliteDeploys
from openpal.store.events import (
    EVENT_COLS,
    event_values,
    takeover_event,
    waiting_event,
)
from openpal.store.files_sql import SqliteFiles
from openpal.store.items_sql import ItemsSql
from openpal.store.records import (
    Checkpointed,
    Claim,
    IdempotencyKey,
    NewRun,
    RunEventRecord,
    RunRecord,
    StepResult,
    WorkerSeen,
    dumps,
    loads,
)
from openpal.store.rows import (
    ACTIVE,
    EXECUTING,
    FULL_COLS,
    HAS_LIMITED_PENDING,
    admissible_query,
    insert_sql,
    qmarks,
    record_of,
    reject,
    rejection_message,
    run_from_row,
    run_row,
    status_list,
)
from openpal.store.schedules_sql import SchedulesSql
from openpal.store.sql_catalog import CatalogSql
from openpal.store.sql_dialect import SqliteSql
from openpal.store.sql_runs import RunsSql
from openpal.store.sqlite_engine import SqliteEngine


class SqliteStore(
    SqliteFiles,
    SqliteDeploys,
    SqliteSql,
    CatalogSql[SqliteEngine],
    RunsSql[SqliteEngine],
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

    # -- runs: worker side ------------------------------------------------
    async def claim_runs(
        self, worker_id: str, limit: int, lease_seconds: float, now: int
    ) -> list[Claim]:
        expires = now + int(lease_seconds * 1_000_000)

        start = (
            "UPDATE runs SET status = 'running', lease_owner = ?, lease_expires_at = ?,"
            " fencing_token = fencing_token + 1, attempt = attempt + 1,"
            " started_at = COALESCE(started_at, ?), step_started_at = ?, updated_at = ?"
        )

        def op(c: sqlite3.Connection) -> list[Claim]:
            # waiting runs whose timer fired or whose approval deadline passed
            rows: list[Any] = c.execute(
                f"{start} WHERE id IN (SELECT id FROM runs WHERE status = 'waiting'"
                f" AND wait_until <= ? ORDER BY wait_until LIMIT ?) RETURNING {FULL_COLS}",
                (worker_id, expires, now, now, now, now, limit),
            ).fetchall()
            if (
                len(rows) < limit and c.execute(HAS_LIMITED_PENDING).fetchone()[0]
            ):  # admission-controlled first
                rows += c.execute(
                    f"{start} WHERE id IN ({admissible_query('?')}) RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
            if len(rows) < limit:
                rows += c.execute(
                    f"{start} WHERE id IN (SELECT id FROM runs WHERE status = 'pending'"
                    f" AND concurrency_key IS NULL ORDER BY created_at LIMIT ?)"
                    f" RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
            if len(rows) < limit:  # take over runs whose worker stopped renewing its lease
                taken = c.execute(
                    f"UPDATE runs SET lease_owner = ?, lease_expires_at = ?,"
                    f" fencing_token = fencing_token + 1, attempt = attempt + 1,"
                    f" takeovers = takeovers + 1, step_started_at = ?, updated_at = ?"
                    f" WHERE id IN (SELECT id FROM runs WHERE status IN ('running', 'finalizing')"
                    f" AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?)"
                    f" RETURNING {FULL_COLS}",
                    (worker_id, expires, now, now, now, limit - len(rows)),
                ).fetchall()
                if taken:  # rare: a worker died or stalled
                    _record_takeovers(c, [run_from_row(r) for r in taken], worker_id, now)
                rows += taken
            claims = []
            for row in rows:
                run = run_from_row(row)
                done: dict[str, Any] = {}
                if run.next_step > 0:
                    for name, output in c.execute(
                        "SELECT step_name, output FROM step_executions WHERE run_id = ?"
                        " AND step_index < ? ORDER BY step_index",
                        (run.id, run.next_step),
                    ):
                        done[name] = output
                claims.append(Claim(run=run, done=done))
            return claims

        claims = await self.db.write(op)
        # decode outside the writer thread: it is the bottleneck
        return [Claim(run=cl.run, done={k: loads(v) for k, v in cl.done.items()}) for cl in claims]

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
        output = dumps(step.output)
        # SQLite rewrites every index holding a column the SET names, changed or not:
        # name only what a checkpoint changes (status only when finalizing)
        status = ", status = 'finalizing'" if finalizing else ""

        def op(c: sqlite3.Connection) -> Checkpointed:
            row = c.execute(
                f"UPDATE runs SET next_step = ?, step_started_at = ?, updated_at = ?{status}"
                f" WHERE id = ? AND fencing_token = ? AND status IN ({EXECUTING})"
                " RETURNING cancel_requested_at, waiting_for",
                (next_step, now, now, run_id, token),
            ).fetchone()
            if row is None:
                raise LeaseLost(f"run {run_id}: lease lost (token {token})")
            if row[1] is not None:  # the step a waiting run was resumed at is done
                c.execute(
                    "UPDATE runs SET waiting_for = NULL, wait_until = NULL, decision = NULL,"
                    " resume_payload = NULL WHERE id = ?",
                    (run_id,),
                )
            _save_step(c, run_id, step, output)
            return Checkpointed(cancel_requested=row[0] is not None)

        return await self.db.write(op)

    async def renew_lease(self, run_id: str, token: int, lease_seconds: float, now: int) -> bool:
        expires = now + int(lease_seconds * 1_000_000)

        def op(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND fencing_token = ?"
                " AND status IN ('running', 'finalizing')",
                (expires, run_id, token),
            )
            return cur.rowcount == 1

        return await self.db.write(op)

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
        out = None if output is None else dumps(output)
        if last_step is not None:
            return await self._finish_with_step(run_id, token, status, out, error, now,
                                                schema_valid, last_step)  # fmt: skip
        allowed = status_list(sources_of(status) & CANCEL_AT_CHECKPOINT)

        def op(c: sqlite3.Connection) -> RunRecord:
            row = c.execute(
                f"UPDATE runs SET status = ?, output = ?, error = ?, schema_valid = ?,"
                f" completed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL"
                f" WHERE id = ? AND fencing_token = ? AND status IN ({allowed})"
                f" RETURNING {FULL_COLS}",
                (status.value, out, error, schema_valid, now, now, run_id, token),
            ).fetchone()
            if row is None:
                raise LeaseLost(f"run {run_id}: lease lost before it could finish")
            return run_from_row(row)

        return await self.db.write(op)

    async def _finish_with_step(
        self,
        run_id: str,
        token: int,
        status: RunStatus,
        out: str | None,
        error: str | None,
        now: int,
        schema_valid: bool | None,
        step: StepResult,
    ) -> RunRecord:
        step_output = dumps(step.output)

        def op(c: sqlite3.Connection) -> RunRecord:
            row = c.execute(
                "UPDATE runs SET"
                " status = CASE WHEN cancel_requested_at IS NULL THEN ? ELSE 'cancelled' END,"
                " output = CASE WHEN cancel_requested_at IS NULL THEN ? END,"
                " error = CASE WHEN cancel_requested_at IS NULL THEN ? ELSE ? END,"
                " schema_valid = CASE WHEN cancel_requested_at IS NULL THEN ? END,"
                " next_step = ?, completed_at = ?, updated_at = ?, lease_owner = NULL,"
                " lease_expires_at = NULL, waiting_for = NULL, wait_until = NULL,"
                " decision = NULL, resume_payload = NULL"
                f" WHERE id = ? AND fencing_token = ? AND status IN ({EXECUTING})"
                f" RETURNING {FULL_COLS}",
                (status.value, out, error, CANCELLED_BY_REQUEST, schema_valid, step.index + 1,
                 now, now, run_id, token),
            ).fetchone()  # fmt: skip
            if row is None:
                raise LeaseLost(f"run {run_id}: lease lost before it could finish")
            _save_step(c, run_id, step, step_output)
            return run_from_row(row)

        return await self.db.write(op)

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
        def op(c: sqlite3.Connection) -> RunRecord:
            row = c.execute(
                "UPDATE runs SET status = 'waiting', waiting_for = ?, wait_until = ?,"
                " decision = NULL, resume_payload = NULL, lease_owner = NULL,"
                " lease_expires_at = NULL, step_started_at = ?, updated_at = ?"
                " WHERE id = ? AND fencing_token = ? AND status = 'running'"
                f" RETURNING {FULL_COLS}",
                (waiting_for, wake_at, now, now, run_id, token),
            ).fetchone()
            if row is None:
                raise LeaseLost(f"run {run_id}: lease lost before it could wait")
            run = run_from_row(row)
            _insert_event(
                c, waiting_event(run.id, run.next_step, waiting_for, wake_at, now, message)
            )
            return run

        return await self.db.write(op)

    async def release_run(self, run_id: str, token: int, now: int) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                " updated_at = ? WHERE id = ? AND fencing_token = ? AND status = 'running'",
                (now, run_id, token),
            )
            return cur.rowcount == 1

        return await self.db.write(op)


def _save_step(c: sqlite3.Connection, run_id: str, step: StepResult, output: str) -> None:
    c.execute(
        "INSERT OR REPLACE INTO step_executions (run_id, step_index, step_name, status,"
        " output, error, attempts, started_at, completed_at, traceback, usage, logs)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (run_id, step.index, step.name, step.status, output, step.error, step.attempts,
         step.started_at, step.completed_at, step.traceback,
         None if step.usage is None else dumps(step.usage),
         None if step.logs is None else dumps(step.logs)),
    )  # fmt: skip


def _insert_event(c: sqlite3.Connection, event: RunEventRecord) -> None:
    c.execute(
        f"INSERT INTO run_events ({EVENT_COLS}) VALUES (?,?,?,?,?,?,?,?)", event_values(event)
    )


def _record_takeovers(
    c: sqlite3.Connection, runs: list[RunRecord], worker_id: str, now: int
) -> None:
    for run in runs:
        _insert_event(c, takeover_event(run, worker_id, now))
