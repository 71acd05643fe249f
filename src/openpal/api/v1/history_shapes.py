"""A run's history → the /v1 shapes of `RunEvent`, `RunUsage`, `RunTraceEvent` and the full
step of `GET /v1/runs/{id}/steps/{stepExecutionId}` (0.20.93's generated models).

Slim step rows and artifacts share `shapes.step_row` / `shapes.artifact` with the
`Run` object, so a step or a file reads the same wherever it appears.
"""

from __future__ import annotations

from typing import Any

from openpal.api.v1.shapes import step_row
from openpal.engine.dates import iso
from openpal.service.review_ids import step_execution_id
from openpal.service.run_history import HistoryEvent, StepInFull, Usage
from openpal.service.run_views import StepView
from openpal.store.records import RunRecord, to_plain


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def tokens(found: dict[str, float] | None) -> dict[str, float | int]:
    """`RunUsageTokens` (zeros for what was not reported)."""
    found = found or {}
    return {
        "input": _number(found.get("input", 0)),
        "output": _number(found.get("output", 0)),
        "cacheRead": _number(found.get("cacheRead", 0)),
        "cacheWrite": _number(found.get("cacheWrite", 0)),
    }


def _calls(found: dict[str, float]) -> float | int:
    return _number(found.get("llmCalls", 0))


def _ocr_pages(found: dict[str, float]) -> float | int:
    return _number(found.get("ocrPages", 0))


def _reported(found: dict[str, float]) -> dict[str, float | int]:
    """What one step (or one of its attempts) reported: tokens, model calls, OCR pages."""
    return tokens(found) | {"llmCallCount": _calls(found), "ocrPagesProcessed": _ocr_pages(found)}


def event(run_id: str, e: HistoryEvent) -> dict[str, Any]:
    """A `RunEvent`: type, timestamp, status, message, and the details as metadata."""
    meta: dict[str, Any] = {}
    if e.step_index is not None:
        meta["stepIndex"] = e.step_index
        meta["stepName"] = e.step_name
        meta["stepExecutionId"] = step_execution_id(run_id, e.step_index)
    for key, value in e.data.items():
        if key == "until":  # a waiting run's wake-up time, stored in µs
            meta[key] = iso(value) if isinstance(value, int) else None
        elif key == "usage" and isinstance(value, dict):
            meta[key] = _reported(value)
        else:
            meta[key] = value
    return {
        "type": e.type,
        "timestamp": iso(e.at),
        "status": e.status,
        "message": e.message,
        "metadata": meta,
    }


def step_in_full(step: StepInFull) -> dict[str, Any]:
    """The whole step: its slim row plus input, configuration, output, traceback, tokens
    and every failed attempt that was tried again."""
    run, view = step.run, step.view
    body = step_row(run.id, view)
    body.update(
        {
            "runId": run.id,
            "order": view.index,
            "input": step.input,
            "inputSource": step.input_note,
            "config": to_plain(dict(step.config)),
            "output": view.output,
            "error": view.error,
            "traceback": view.traceback,
            "logs": view.logs or [],
            "usage": None if view.usage is None else _reported(view.usage),
            "retries": [
                {
                    "attempt": r.data.get("attempt"),
                    "failedAt": iso(r.at),
                    "error": r.data.get("error"),
                    "traceback": r.data.get("traceback"),
                    "logs": r.data.get("logs") or [],
                    "delaySeconds": r.data.get("delaySeconds"),
                }
                for r in step.retries
            ],
        }
    )
    return body


def usage(run_id: str, found: Usage) -> dict[str, Any]:
    """`RunUsage`: the run's duration, token sums and OCR'd pages (zeros when no step
    reported any; openpal charges no credits), plus each step's duration and tokens."""
    return {
        "tokens": tokens(found.tokens),
        "creditsCharged": 0,
        "durationMs": found.duration_ms,
        "llmCallCount": _calls(found.tokens),
        "ocrPagesProcessed": _ocr_pages(found.tokens),
        "steps": [
            {
                "id": step_execution_id(run_id, view.index),
                "name": view.name,
                "status": view.status,
                "durationMs": view.duration_ms,
                "tokens": tokens(spent),
                "llmCallCount": _calls(spent),
                "ocrPagesProcessed": _ocr_pages(spent),
            }
            for view, spent in found.steps
        ],
    }


def trace(
    run: RunRecord, steps: list[StepView], events: list[HistoryEvent]
) -> list[dict[str, Any]]:
    """`RunTraceEvent`s of a workflow run: its phases (queued, waiting, the run as a
    whole) and one record per step that ran, by start time."""
    out: list[tuple[int, dict[str, Any]]] = []

    def phase(name: str, start: int, end: int | None, status: str, **extra: Any) -> None:
        entry = {"type": "phase", "phase": name, "status": status, "startedAt": iso(start)}
        entry["completedAt"] = iso(end)
        out.append((start, entry | extra))

    phase("queued", run.created_at, run.started_at or run.completed_at,
          "completed" if run.started_at or run.completed_at else "pending")  # fmt: skip
    waits = [e for e in events if e.type == "run.waiting"]
    for wait in waits:
        ended = next((e.at for e in events if e.at >= wait.at and e.type in _WAIT_ENDS), None)
        phase("waiting", wait.at, ended, "completed" if ended else "waiting",
              stepName=wait.step_name, message=wait.message)  # fmt: skip
    for view in steps:
        if view.started_at is None:
            continue
        out.append(
            (
                view.started_at,
                {
                    "type": "step",
                    "phase": "step",
                    "stepName": view.name,
                    "stepIndex": view.index,
                    "stepExecutionId": step_execution_id(run.id, view.index),
                    "stepType": view.type,
                    "status": view.status,
                    "startedAt": iso(view.started_at),
                    "completedAt": iso(view.completed_at),
                    "durationMs": view.duration_ms,
                    "attempts": view.attempts,
                    "message": view.error,
                },
            )
        )
    if run.started_at is not None:
        phase("run", run.started_at, run.completed_at, run.status.value, message=run.error)
    return [entry for _, entry in sorted(out, key=lambda pair: pair[0])]


_WAIT_ENDS = {"run.resumed", "run.decision", "run.cancelled", "run.rejected", "run.failed"}
