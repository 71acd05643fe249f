"""What a PostgreSQL worker writes of a run it holds: checkpoints, the run's end (with
its last step or without), and a wait.

Checkpoints and ends go with the next batch (`pg_batches`): one statement and one commit
for many runs. Every write is fenced: when the worker's token is no longer the run's,
it changes nothing and raises `LeaseLost`.
"""

from __future__ import annotations

from typing import Any

from openpal.engine.states import CANCEL_AT_CHECKPOINT, RunStatus, sources_of
from openpal.errors import InvalidTransition, LeaseLost
from openpal.store.batch import Batcher
from openpal.store.events import EVENT_COLS, waiting_event
from openpal.store.history_records import RunEventRecord
from openpal.store.pg_batches import Advance
from openpal.store.pg_engine import PgEngine
from openpal.store.records import Checkpointed, RunRecord, StepResult, dumps
from openpal.store.rows import FULL_COLS, run_from_row, status_list


class PostgresProgress:
    """`checkpoint`, `finish_run` and `park_run` of `PostgresStore`."""

    db: PgEngine
    _advances: Batcher[Advance, Any]  # the batches of checkpoints and ends

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
