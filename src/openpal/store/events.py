"""The events a run records (table `run_events`, migration 0014): types, columns, builders.

A run's history is mostly derived from what it keeps anyway (its times, its step rows,
`cancel_requested_at`); only what leaves no other trace is recorded, so the normal
path of a run writes no event at all:

- `step.retry`: an attempt of a step failed and the step will be tried again (the
  error, its traceback and the delay before the next attempt);
- `run.waiting`: the run paused at a step, for a timer or for a person;
- `run.decision`: a person approved or rejected a run waiting for approval;
- `run.takeover`: a worker took the run over after its previous worker's lease expired.

Both stores build their rows here, so an event reads the same on either database.
"""

from __future__ import annotations

import json
from typing import Any

from openpal.store.history_records import RunEventRecord
from openpal.store.records import RunRecord

STEP_RETRY = "step.retry"
RUN_WAITING = "run.waiting"
RUN_DECISION = "run.decision"
RUN_TAKEOVER = "run.takeover"

EVENT_COLS = "run_id, at, type, step_index, step_name, attempt, message, data"


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def event_row(e: RunEventRecord) -> dict[str, Any]:
    """An event's `run_events` row, column → value."""
    return {"run_id": e.run_id, "at": e.at, "type": e.type, "step_index": e.step_index,
            "step_name": e.step_name, "attempt": e.attempt, "message": e.message,
            "data": e.data_json}  # fmt: skip


def event_values(e: RunEventRecord) -> tuple[Any, ...]:
    """The values of `EVENT_COLS` for an event, in order."""
    row = event_row(e)
    return tuple(row[name] for name in EVENT_COLS.split(", "))


def event_from_row(row: tuple[Any, ...]) -> RunEventRecord:
    """An event from `SELECT {EVENT_COLS}, id`."""
    return RunEventRecord(*row)


def waiting_event(
    run_id: str,
    step_index: int | None,
    waiting_for: str,
    wake_at: int | None,
    now: int,
    message: str | None = None,
) -> RunEventRecord:
    """The run paused at step `step_index` (`waiting_for`: timer | approval), `message`
    saying why when the step gave one. PostgreSQL fills a None `step_index` in from the
    row it updates."""
    what = "approval" if waiting_for == "approval" else f"a {waiting_for}"
    return RunEventRecord(
        run_id,
        now,
        RUN_WAITING,
        step_index=step_index,
        message=f"waiting for {what}: {message}" if message else f"waiting for {what}",
        data_json=_json(
            {"waitingFor": waiting_for, "until": wake_at} | ({"reason": message} if message else {})
        ),
    )


def decision_event(
    run_id: str, step_index: int | None, approve: bool, reason: str | None, now: int
) -> RunEventRecord:
    """A person decided on the run waiting for approval at step `step_index`."""
    decision = "approved" if approve else "rejected"
    data: dict[str, Any] = {"decision": decision}
    if reason:
        data["reason"] = reason
    return RunEventRecord(
        run_id,
        now,
        RUN_DECISION,
        step_index=step_index,
        message=decision if not reason else f"{decision}: {reason}",
        data_json=_json(data),
    )


def takeover_event(run: RunRecord, worker_id: str, now: int) -> RunEventRecord:
    """`worker_id` took the run over (its `takeovers`-th time) after a lease expired."""
    return RunEventRecord(
        run.id,
        now,
        RUN_TAKEOVER,
        step_index=run.next_step,
        attempt=run.takeovers,
        message=f"the previous worker's lease expired; worker {worker_id} took the run over",
        data_json=_json({"worker": worker_id, "takeovers": run.takeovers}),
    )


def retry_event(
    run_id: str,
    *,
    step_index: int,
    step_name: str,
    attempt: int,
    error: str,
    traceback: str | None,
    delay_seconds: float,
    usage: dict[str, float] | None,
    now: int,
    logs: list[dict[str, Any]] | None = None,
) -> RunEventRecord:
    """Attempt `attempt` of a step failed with `error`; the next starts in `delay_seconds`."""
    data: dict[str, Any] = {"error": error, "delaySeconds": round(delay_seconds, 6)}
    if traceback:
        data["traceback"] = traceback
    if usage:
        data["usage"] = usage
    if logs:
        data["logs"] = logs
    return RunEventRecord(
        run_id,
        now,
        STEP_RETRY,
        step_index=step_index,
        step_name=step_name,
        attempt=attempt,
        message=f"attempt {attempt} failed: {error}",
        data_json=_json(data),
    )
