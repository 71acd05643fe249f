"""The dashboard's overview: per workflow, over the last hour and the last day, how
many runs, how many finished per minute, how many failed, and how long completed ones
took (p50, p95); the queue; the worker pools seen lately.

Bounded: one read of the tenant's newest runs of the day (at most `MAX_RUNS`, by the
tenant's newest-first index); past that the day's figures are of its newest runs, and
the page says so."""

from __future__ import annotations

from dataclasses import dataclass

from openpal.engine.states import TERMINAL, RunStatus
from openpal.store.base import Store
from openpal.store.history_records import QueueStats, RunTiming, WorkerSeen

__all__ = ["MAX_RUNS", "Overview", "WindowStats", "WorkflowStats", "overview"]

MAX_RUNS = 20_000
WINDOWS = (("last hour", 3600), ("last day", 86_400))
WORKERS_SEEN_SECONDS = 60


@dataclass(frozen=True)
class WorkflowStats:
    slug: str
    runs: int  # created in the window
    finished: int  # of those, ended (any terminal status)
    failed: int
    per_minute: float  # finished runs per minute over the window
    p50_ms: float | None  # of completed runs, start to end
    p95_ms: float | None

    @property
    def failure_rate(self) -> float | None:
        return None if not self.finished else self.failed / self.finished


@dataclass(frozen=True)
class WindowStats:
    label: str
    seconds: int
    workflows: list[WorkflowStats]
    complete: bool  # False: the window had more runs than were read


@dataclass(frozen=True)
class Overview:
    windows: list[WindowStats]
    queue: QueueStats
    workers: list[WorkerSeen]
    now: int


async def overview(store: Store, tenant_id: str, now: int) -> Overview:
    longest = max(seconds for _, seconds in WINDOWS)
    runs = await store.run_timings(tenant_id, now - longest * 1_000_000, MAX_RUNS)
    full = len(runs) < MAX_RUNS
    oldest = runs[-1].created_at if runs else now
    windows = []
    for label, seconds in WINDOWS:
        since = now - seconds * 1_000_000
        mine = [r for r in runs if r.created_at >= since]
        windows.append(
            WindowStats(label, seconds, _by_workflow(mine, seconds), full or oldest < since)
        )
    workers = await store.workers_seen(now - WORKERS_SEEN_SECONDS * 1_000_000)
    return Overview(windows, await store.queue_stats(), workers, now)


def _by_workflow(runs: list[RunTiming], seconds: int) -> list[WorkflowStats]:
    slugs = sorted({r.workflow_slug for r in runs})
    return [_stats(slug, [r for r in runs if r.workflow_slug == slug], seconds) for slug in slugs]


def _stats(slug: str, runs: list[RunTiming], seconds: int) -> WorkflowStats:
    finished = [r for r in runs if r.status in TERMINAL]
    took = sorted(
        (r.completed_at - r.started_at) / 1000
        for r in finished
        if r.status == RunStatus.COMPLETED and r.started_at and r.completed_at
    )
    return WorkflowStats(
        slug,
        len(runs),
        len(finished),
        sum(r.status == RunStatus.FAILED for r in finished),
        len(finished) / (seconds / 60),
        _percentile(took, 0.50),
        _percentile(took, 0.95),
    )


def _percentile(ordered: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value at or above the q-th share of them."""
    if not ordered:
        return None
    rank = max(1, -(-int(q * 1000 * len(ordered)) // 1000))
    return ordered[min(rank, len(ordered)) - 1]
