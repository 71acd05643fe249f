"""What a SQLite worker writes of a run it holds: checkpoints, the run's end (with its
last step or without), and a wait, each one write of the group-committed writer.

Every write is fenced: when the worker's token is no longer the run's, it changes
nothing and raises `LeaseLost`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from openpal.engine.states import CANCEL_AT_CHECKPOINT, CANCELLED_BY_REQUEST, RunStatus, sources_of
from openpal.errors import InvalidTransition, LeaseLost
from openpal.store.events import EVENT_COLS, event_values, waiting_event
from openpal.store.history_records import RunEventRecord
from openpal.store.records import Checkpointed, RunRecord, StepResult, dumps
from openpal.store.rows import EXECUTING, FULL_COLS, run_from_row, status_list
from openpal.store.sqlite_engine import SqliteEngine


class SqliteProgress:
    """`checkpoint`, `finish_run` and `park_run` of `SqliteStore`."""

    db: SqliteEngine

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
            insert_event(
                c, waiting_event(run.id, run.next_step, waiting_for, wake_at, now, message)
            )
            return run

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


def insert_event(c: sqlite3.Connection, event: RunEventRecord) -> None:
    """Record `event` in the transaction of `c`."""
    c.execute(
        f"INSERT INTO run_events ({EVENT_COLS}) VALUES (?,?,?,?,?,?,?,?)", event_values(event)
    )
