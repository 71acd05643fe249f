"""A run's steps placed in time for the dashboard: each step a lane, each attempt a bar
from where it started to where it ended (failed attempts apart from the one that
counted, the back-off between them left blank), a wait drawn as a wait. Positions are
percentages of the run's span, from its start to its end (or to now while it runs).

Built from what the run keeps anyway: the steps' start and end, and the recorded
`step.retry` (when an attempt failed, how long the back-off was) and `run.waiting`
events; nothing is read twice."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from openpal.engine.dates import iso
from openpal.service.run_views import StepView
from openpal.store.events import RUN_WAITING, STEP_RETRY
from openpal.store.history_records import RunEventRecord
from openpal.store.records import RunRecord
from openpal.ui.render import elapsed

__all__ = ["Lane", "Segment", "lanes"]


@dataclass(frozen=True)
class Segment:
    kind: str  # "attempt" | "wait"
    status: str  # the attempt's outcome (failed, completed, running, …) or "waiting"
    left: float  # % of the run's span
    width: float  # % of the run's span (at least a sliver, so an instant shows)
    title: str  # what a pointer over it says


@dataclass(frozen=True)
class Retry:
    """A failed attempt that was tried again, as the step's details list it."""

    attempt: int | None
    failed_at: int
    error: str | None
    traceback: str | None
    logs: list[dict[str, Any]]
    delay_seconds: float | None


@dataclass(frozen=True)
class Lane:
    view: StepView
    segments: list[Segment] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)


def lanes(run: RunRecord, views: list[StepView], recorded: list[RunEventRecord]) -> list[Lane]:
    """One lane per step of the run."""
    origin = run.started_at or run.created_at
    end = run.completed_at or time.time_ns() // 1000
    span = max(end - origin, 1)

    def segment(kind: str, status: str, start: int, stop: int, title: str) -> Segment:
        left = min(max(0.0, 100 * (start - origin) / span), 100.0)
        width = max(min(100 * (stop - start) / span, 100.0 - left), 0.4)
        return Segment(kind, status, round(left, 2), round(width, 2), title)

    out = []
    for view in views:
        mine = sorted((e for e in recorded if e.step_index == view.index), key=lambda e: e.at)
        retries = [_retry(e) for e in mine if e.type == STEP_RETRY]
        segments: list[Segment] = []
        waited = [e for e in mine if e.type == RUN_WAITING]
        for e in waited:
            resumed = view.started_at if view.started_at and view.started_at >= e.at else None
            stop = resumed or (end if view.status == "waiting" else e.at)
            segments.append(segment("wait", "waiting", e.at, stop, _wait_title(e, stop)))
        start = view.started_at
        if start is not None and view.status != "waiting":
            for r in retries:
                if r.failed_at < start:
                    continue  # before a wait the step resumed from
                title = f"attempt {r.attempt} failed: {r.error or ''}"
                segments.append(segment("attempt", "failed", start, r.failed_at, title))
                start = r.failed_at + int((r.delay_seconds or 0) * 1_000_000)
            stop = view.completed_at or end
            title = _final_title(view, start, stop)
            segments.append(segment("attempt", view.status, start, stop, title))
        out.append(Lane(view, segments, retries))
    return out


def _retry(e: RunEventRecord) -> Retry:
    data = e.data
    logs = data.get("logs")
    delay = data.get("delaySeconds")
    return Retry(
        e.attempt,
        e.at,
        data.get("error"),
        data.get("traceback"),
        logs if isinstance(logs, list) else [],
        float(delay) if isinstance(delay, int | float) else None,
    )


def _wait_title(e: RunEventRecord, stop: int) -> str:
    what = e.data.get("waitingFor") or "a decision"
    return f"waited for {what} from {iso(e.at)} ({elapsed(stop - e.at)})"


def _final_title(view: StepView, start: int, stop: int) -> str:
    attempt = f"attempt {view.attempts}: " if view.attempts > 1 else ""
    return f"{attempt}{view.status}, {elapsed(stop - start)}"
