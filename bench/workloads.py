"""The benchmark workloads, driven over HTTP with openpal's own async SDK."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.peers.peer_summary import pct
from openpal import AsyncEigenpalClient

TERMINAL = {"completed", "failed", "cancelled", "rejected"}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def client(base_url: str, key: str) -> AsyncEigenpalClient:
    return AsyncEigenpalClient(api_key=key, base_url=base_url, timeout_seconds=120)


async def w_latency(base: str, key: str, *, n: int, warmup: int = 20) -> dict[str, Any]:
    """noop3, one run at a time, held with wait_for_completion: trigger → output."""
    async with client(base, key) as c:
        for _ in range(warmup):
            await c.run("workflows.noop3", {}, wait_for_completion=30)
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            run = await c.run("workflows.noop3", {"i": i}, wait_for_completion=30)
            times.append(time.perf_counter() - t0)
            assert run.status == "completed" and run.output == {"i": i}, run
    return {
        "runs": n,
        "p50_ms": ms(pct(times, 50)),
        "p95_ms": ms(pct(times, 95)),
        "p99_ms": ms(pct(times, 99)),
    }


async def _wait_drained(c: AsyncEigenpalClient, source: str) -> None:
    while True:
        page = await c.runs.list(source=source, status=["created", "pending", "running",
                                                         "finalizing"], limit=1)  # fmt: skip
        if not page.runs:
            return
        await asyncio.sleep(0.02)


async def w_throughput(
    base: str,
    key: str,
    *,
    n: int,
    clients: int = 64,
    on_drained: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """`n` noop3 runs started by `clients` concurrent clients; first trigger → last done.

    Each client is its own SDK instance (its own connection), as 64 programs starting
    runs would be; one instance shared by 64 tasks measures httpx's connection pool
    instead (its per-request scan of every pooled connection costs more than the run)."""
    ids: list[str] = []
    counter = iter(range(n))

    async def starter() -> None:
        async with client(base, key) as own:
            for i in counter:
                ids.append((await own.run("workflows.noop3", {"i": i})).run_id)

    async with client(base, key) as c:
        t0 = time.perf_counter()
        await asyncio.gather(*(starter() for _ in range(clients)))
        accepted = time.perf_counter() - t0
        await _wait_drained(c, "noop3")
        elapsed = time.perf_counter() - t0
        if on_drained is not None:  # e.g. read CPU counters before the verifying GETs
            on_drained()
        sem = asyncio.Semaphore(32)

        async def status(run_id: str) -> str:
            async with sem:
                return str((await c.runs.get(run_id)).status)

        statuses = await asyncio.gather(*(status(r) for r in ids))
    done = sum(s == "completed" for s in statuses)
    return {
        "runs": n,
        "clients": clients,
        "starts_per_s": round(n / accepted, 1),
        "runs_per_s": round(n / elapsed, 1),
        "seconds": round(elapsed, 2),
        "verified_completed": done,
    }


async def w_steps(base: str, key: str, *, n: int) -> dict[str, Any]:
    """A 40-step sequential no-op workflow: the marginal cost of one more step."""
    async with client(base, key) as c:
        for _ in range(3):
            await c.run("workflows.noop40", {}, wait_for_completion=30)
            await c.run("workflows.noop3", {}, wait_for_completion=30)
        long_runs, short_runs = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            run = await c.run("workflows.noop40", {}, wait_for_completion=30)
            long_runs.append(time.perf_counter() - t0)
            assert run.status == "completed", run
            t0 = time.perf_counter()
            await c.run("workflows.noop3", {}, wait_for_completion=30)
            short_runs.append(time.perf_counter() - t0)
    p40, p3 = statistics.median(long_runs), statistics.median(short_runs)
    return {
        "runs": n,
        "p50_40_steps_ms": ms(p40),
        "per_step_ms": ms((p40 - p3) / 37),
    }


async def w_list(base: str, key: str, *, n: int, source: str) -> dict[str, Any]:
    """The seed's `runs.list` filter call, and the first and 100th page of all runs."""
    async with client(base, key) as c:
        seed_call, first, hundredth = [], [], []
        for _ in range(n):
            t0 = time.perf_counter()
            await c.runs.list(type="workflow", source=source, status=["failed", "cancelled"],
                              from_date="now()-7d", to_date="now()", limit=50)  # fmt: skip
            seed_call.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await c.runs.list(limit=50)
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await c.runs.list(limit=50, offset=99 * 50)
            hundredth.append(time.perf_counter() - t0)
    return {
        "calls": n,
        "seed_filter_p50_ms": ms(pct(seed_call, 50)),
        "seed_filter_p95_ms": ms(pct(seed_call, 95)),
        "first_page_p95_ms": ms(pct(first, 95)),
        "page_100_p95_ms": ms(pct(hundredth, 95)),
    }


async def w_cancel(base: str, key: str, *, n: int, slots: int) -> dict[str, Any]:
    """Cancel → terminal: a pending run (all worker slots busy) and a running one."""
    async with client(base, key) as c:
        blockers = [
            (await c.run("workflows.slow-count", {"seconds": 30})).run_id for _ in range(slots)
        ]
        while True:  # every slot busy: new runs stay pending
            page = await c.runs.list(source="slow-count", status="running", limit=100)
            if len(page.runs) >= slots:
                break
            await asyncio.sleep(0.05)
        pending = []
        for _ in range(n):
            run_id = (await c.run("workflows.noop3", {})).run_id
            t0 = time.perf_counter()
            answer = await c.runs.cancel(run_id)
            pending.append(time.perf_counter() - t0)
            assert answer["status"] == "cancelled", answer
        running = []
        for run_id in blockers[: min(n, len(blockers))]:
            t0 = time.perf_counter()
            await c.runs.cancel(run_id)
            while (await c.runs.get(run_id)).status not in TERMINAL:
                await asyncio.sleep(0.005)
            running.append(time.perf_counter() - t0)
        for run_id in blockers:
            await c.runs.cancel(run_id)
    return {
        "pending_p50_ms": ms(pct(pending, 50)),
        "pending_p95_ms": ms(pct(pending, 95)),
        "running_p50_ms": ms(pct(running, 50)),
    }
