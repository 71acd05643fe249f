"""What metrics and logging add to one run, timed alone in one process (CPU µs per run).

    python -m bench.overhead

A noop3 run's share of their work, against the real classes: metrics — one `POST`
through `MetricsMiddleware`, and through `MeteredStore` over a store that does nothing
a create (API side), a claim, two checkpoints and a finish (worker side); logging — the
context fields bound (a request id, a run id, step and attempt of three steps) and three
step log captures around steps that say nothing (a run that completes logs no line). Each part
is timed against the same calls without it, 7 times 20,000 runs, and the median printed:
end-to-end A/B runs (`bench.probe --compare`) cannot see a 1 % difference on a shared
machine; this can (docs/benchmarks.md, "Metrics overhead").
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from starlette.routing import Route

from openpal import logs
from openpal.api.metrics import MetricsMiddleware
from openpal.engine.states import RunStatus
from openpal.service.metered_store import MeteredStore
from openpal.service.metrics import Metrics
from openpal.store.records import StepResult
from openpal.worker import step_logs

RUNS, REPEATS = 20_000, 7
RUN = SimpleNamespace(id="r1", workflow_slug="noop3", status=RunStatus.PENDING,
                      started_at=5, created_at=1, takeovers=0)  # fmt: skip
ENDED = SimpleNamespace(id="r1", workflow_slug="noop3", status=RunStatus.COMPLETED)
NEW = SimpleNamespace(id="r1", workflow_slug="noop3")
STEPS = [StepResult(i, name, "completed", None, None, 1, 10, 500) for i, name in enumerate("abc")]
SCOPE = {"type": "http", "method": "POST", "path": "/api/v1/run/noop3"}


class NoStore:
    """Answers a run's store calls at once."""

    async def create_run(self, new: Any, **kw: Any) -> Any:
        return RUN

    async def claim_runs(self, *args: Any) -> list[Any]:
        return [SimpleNamespace(run=RUN)]

    async def checkpoint(self, *args: Any, **kw: Any) -> None:
        return None

    async def finish_run(self, *args: Any, **kw: Any) -> Any:
        return ENDED


async def answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _sink(message: Any) -> None:
    return None


async def _nothing() -> Any:
    return {}


async def worker_side(store: Any) -> None:
    await store.claim_runs("w", 1, 30, 5)
    await store.checkpoint("r1", 1, STEPS[0], now=1)
    await store.checkpoint("r1", 1, STEPS[1], now=1)
    await store.finish_run("r1", 1, RunStatus.COMPLETED, now=1, last_step=STEPS[2])


async def api_side(store: Any, app: Any, route: Any) -> None:
    await app({**SCOPE, "route": route}, _nothing, _sink)
    await store.create_run(NEW)


async def extra(
    without: Callable[[], Awaitable[None]], with_: Callable[[], Awaitable[None]]
) -> float:
    """Median µs per run that `with_` costs over `without`."""
    found = []
    for _ in range(REPEATS):
        t = time.process_time()
        for _ in range(RUNS):
            await without()
        bare = time.process_time() - t
        t = time.process_time()
        for _ in range(RUNS):
            await with_()
        found.append((time.process_time() - t - bare) / RUNS * 1e6)
    return statistics.median(found)


def logging_per_run() -> float:
    """Median µs of a run's logging work (a run that completes emits no line)."""
    found = []
    for _ in range(REPEATS):
        t = time.process_time()
        for _ in range(RUNS):
            logs.set_fields(request_id="req_0123456789")
            logs.set_fields(run_id="exec_0123456789")
            for name in "abc":
                logs.set_fields(step=name, attempt=1)
                with step_logs.capture(()):
                    pass
        found.append((time.process_time() - t) / RUNS * 1e6)
    return statistics.median(found)


async def metrics_per_run() -> tuple[float, float]:
    route = Route("/api/v1/run/{target:path}", answer, methods=["POST"])
    metrics = Metrics(role="api+worker", process="bench")
    bare, metered = NoStore(), MeteredStore(NoStore(), metrics)  # type: ignore[arg-type]
    counted = MetricsMiddleware(answer, metrics)
    worker = await extra(lambda: worker_side(bare), lambda: worker_side(metered))
    api = await extra(
        lambda: api_side(bare, answer, route), lambda: api_side(metered, counted, route)
    )
    return api, worker


def main() -> None:
    api, worker = asyncio.run(metrics_per_run())
    said = logging_per_run()
    print(f"metrics: {api + worker:.2f} µs per run (API side {api:.2f}, worker side {worker:.2f})")
    print(f"logging: {said:.2f} µs per run")


if __name__ == "__main__":
    main()
