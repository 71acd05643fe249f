"""PostgreSQL's hot writes in batches: run starts, step checkpoints, run ends.

Each is one statement over arrays (`unnest`) for a whole batch of runs, in one
commit (see `batch.py` for how batches form). Per run, the statement does what the
single-run statement in `postgres.py` does, guard included: a checkpoint or end
applies only where the run's fencing token still matches, and the rows it
returns say which runs it applied to; the others lost their lease.

When a batch statement fails for what is in it (text PostgreSQL refuses, say),
its items are written one by one with the single-run statements, so each gets
its own answer. A database that cannot be reached fails the whole batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from openpal.engine.states import CANCEL_AT_CHECKPOINT, CANCELLED_BY_REQUEST
from openpal.errors import LeaseLost, Unavailable
from openpal.store.pg_engine import PgEngine
from openpal.store.records import Checkpointed, StepResult, dumps
from openpal.store.rows import FULL_COLS, run_from_row, status_list

T = TypeVar("T")

_RUNNING = status_list(CANCEL_AT_CHECKPOINT)

# the type of each `runs` column a start writes (text unless named)
RUN_INSERT_TYPES = {
    "retry_number": "int4",
    "created_at": "int8",
    "updated_at": "int8",
    "concurrency_limit": "int4",
    "deadline_seconds": "float8",
    "parent_step": "int4",
}
# a step row's columns after run_id, and their types (`_step_values` order)
STEP_COLS = (
    ("step_index", "int4"), ("step_name", "text"), ("status", "text"), ("output", "text"),
    ("error", "text"), ("attempts", "int4"), ("started_at", "int8"),
    ("completed_at", "int8"), ("traceback", "text"), ("usage", "text"), ("logs", "text"),
)  # fmt: skip


@dataclass(frozen=True)
class Start:
    """One run to insert: its `runs` row (column → value), its tags and file rows."""

    row: dict[str, Any]
    tags: list[tuple[str, str, str, int]]
    files: list[tuple[str, str]]


@dataclass(frozen=True)
class Advance:
    """A checkpoint (`end` None) or a run's end with its last step."""

    run_id: str
    token: int
    step: StepResult
    now: int
    next_step: int = 0
    finalizing: bool = False
    end: tuple[str, str | None, str | None, bool | None] | None = (
        None  # status, output, error, valid
    )


def step_values(step: StepResult) -> tuple[Any, ...]:
    """A step's eleven values, in `STEP_COLS` order."""
    return (step.index, step.name, step.status, dumps(step.output), step.error,
            step.attempts, step.started_at, step.completed_at, step.traceback,
            None if step.usage is None else dumps(step.usage),
            None if step.logs is None else dumps(step.logs))  # fmt: skip


def _arrays(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> tuple[str, list[list[Any]]]:
    """`unnest($1::t1[], $2::t2[], …)` over `rows` transposed into one array per column."""
    columns = [list(c) for c in zip(*rows, strict=True)]
    marks = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, 1))
    return f"unnest({marks})", columns


async def insert_runs(
    db: PgEngine, batch: list[Start], wake: list[str]
) -> list[BaseException | None]:
    """Insert a batch of pending runs (and their tags and file references), and at its
    commit NOTIFY the channels of `wake` (the workers named to claim them)."""
    names = list(batch[0].row)
    if any(list(s.row) != names for s in batch):
        return await _one_by_one(batch, lambda s: insert_runs(db, [s], wake))
    types = [RUN_INSERT_TYPES.get(n, "text") for n in names]
    source, columns = _arrays([list(s.row.values()) for s in batch], types)
    insert = f"INSERT INTO runs ({', '.join(names)}) SELECT * FROM {source}"
    notify = f"SELECT pg_notify(c, '') FROM unnest(${len(columns) + 1}::text[]) c"
    tags = [t for s in batch for t in s.tags]
    files = [f for s in batch for f in s.files]

    async def write(c: Any) -> None:
        await c.execute(insert, *columns)
        await c.execute("SELECT pg_notify(c, '') FROM unnest($1::text[]) c", wake)
        if tags:
            src, cols = _arrays(tags, ("text", "text", "text", "int8"))
            await c.execute(
                "INSERT INTO run_tags (run_id, tenant_id, tag, created_at)"
                f" SELECT * FROM {src} ON CONFLICT DO NOTHING",
                *cols,
            )
        if files:
            src, cols = _arrays(files, ("text", "text"))
            await c.execute(
                f"INSERT INTO run_files (run_id, blob_id) SELECT * FROM {src}"
                " ON CONFLICT DO NOTHING",
                *cols,
            )

    try:
        if tags or files:
            await db.tx(write)
        else:  # one statement: the rows, then the notices (sent when it commits)
            await db.execute(f"WITH i AS ({insert}) {notify}", *columns, wake)
    except Unavailable:
        raise
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
        return await _one_by_one(batch, lambda s: insert_runs(db, [s], wake))
    return [None] * len(batch)


_V_STEP = ", ".join(f"v_s{i}" for i in range(len(STEP_COLS)))
_STEP_SET = ", ".join(f"{n} = EXCLUDED.{n}" for n, _ in STEP_COLS[1:])


def _save_steps(returned: str) -> str:
    """Upsert the step rows of the runs the update returned (a CTE named `returned`)."""
    return (
        f"INSERT INTO step_executions (run_id, {', '.join(n for n, _ in STEP_COLS)})"
        f" SELECT v_id, {_V_STEP} FROM v JOIN {returned} ON {returned}.id = v.v_id"
        f" ON CONFLICT (run_id, step_index) DO UPDATE SET {_STEP_SET}"
    )


async def advance_runs(db: PgEngine, batch: list[Advance]) -> list[Any]:
    """Checkpoint steps and end runs: `Checkpointed` or the ended `RunRecord` per item,
    `LeaseLost` where the run's token no longer matches. Checkpoints and ends are two
    statements (sent at once, on two connections: their commits share a flush)."""
    if len({a.run_id for a in batch}) < len(batch):  # one run twice: a stale executor
        return await _one_by_one(batch, lambda a: _advance(db, [a]))
    kinds = [[a for a in batch if a.end is None], [a for a in batch if a.end is not None]]
    kinds = [k for k in kinds if k]
    answers = await asyncio.gather(*(_advance(db, k) for k in kinds))
    by_item = {
        id(a): r for k, rs in zip(kinds, answers, strict=True) for a, r in zip(k, rs, strict=True)
    }
    return [by_item[id(a)] for a in batch]


async def _advance(db: PgEngine, batch: list[Advance]) -> list[Any]:
    """`advance_runs` for a batch of one kind (all checkpoints, or all ends)."""
    ending = batch[0].end is not None
    head = [("id", "text"), ("token", "int8"), ("now", "int8"), ("next", "int4")]
    head += [("status", "text"), ("output", "text"), ("error", "text"), ("valid", "bool")]
    rows = []
    for a in batch:
        status, output, error, valid = a.end or (
            "finalizing" if a.finalizing else "running",
            None,
            None,
            None,
        )
        nxt = a.step.index + 1 if ending else a.next_step
        rows.append((a.run_id, a.token, a.now, nxt, status, output, error, valid,
                     *step_values(a.step)))  # fmt: skip
    types = [t for _, t in head] + [t for _, t in STEP_COLS]
    source, columns = _arrays(rows, types)
    names = [f"v_{n}" for n, _ in head] + [f"v_s{i}" for i in range(len(STEP_COLS))]
    guard = f"runs.id = v.v_id AND runs.fencing_token = v.v_token AND runs.status IN ({_RUNNING})"
    if ending:  # see `pg_progress._finish_with_step`: a cancel stamped meanwhile wins
        update = (
            "UPDATE runs SET"
            " status = CASE WHEN cancel_requested_at IS NULL THEN v_status ELSE 'cancelled' END,"
            " output = CASE WHEN cancel_requested_at IS NULL THEN v_output END,"
            " error = CASE WHEN cancel_requested_at IS NULL THEN v_error"
            f" ELSE ${len(types) + 1} END,"
            " schema_valid = CASE WHEN cancel_requested_at IS NULL THEN v_valid END,"
            " next_step = v_next, completed_at = v_now, updated_at = v_now, lease_owner = NULL,"
            " lease_expires_at = NULL, waiting_for = NULL, wait_until = NULL, decision = NULL,"
            f" resume_payload = NULL FROM v WHERE {guard} RETURNING {FULL_COLS}"
        )
    else:
        update = (
            "UPDATE runs SET next_step = v_next, step_started_at = v_now, updated_at = v_now,"
            " status = v_status, waiting_for = NULL, wait_until = NULL, decision = NULL,"
            f" resume_payload = NULL FROM v WHERE {guard} RETURNING id, cancel_requested_at"
        )
    sql = (
        f"WITH v AS (SELECT * FROM {source} AS v({', '.join(names)})),"
        f" r AS ({update}), s AS ({_save_steps('r')}) SELECT * FROM r"
    )
    if ending:
        columns.append(CANCELLED_BY_REQUEST)  # type: ignore[arg-type]
    try:
        returned = await db.fetch(sql, *columns)
    except Unavailable:
        raise
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
        return await _one_by_one(batch, lambda a: _advance(db, [a]))
    by_id = {r[0]: r for r in returned}
    out: list[Any] = []
    for a in batch:
        row = by_id.get(a.run_id)
        if row is None:
            what = "finish" if ending else "checkpoint"
            out.append(LeaseLost(f"run {a.run_id}: lease lost before it could {what}"))
        elif ending:
            out.append(run_from_row(tuple(row)))
        else:
            out.append(Checkpointed(cancel_requested=row[1] is not None))
    return out


async def _one_by_one(batch: list[T], write: Callable[[T], Any]) -> list[Any]:
    """Each item on its own (its own statement and commit), each with its own answer."""
    out: list[Any] = []
    for item in batch:
        out += await write(item)
    return out
