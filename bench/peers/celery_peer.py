"""Celery 5 + Redis running the same workloads (a 3-task chain of no-ops), for ratios
measured in the same invocation as openpal's numbers.

Needs `pip install 'celery[redis]'` and a `redis-server` binary (Debian: apt install
redis-server). Starts its own Redis on a free port and a prefork worker with
`--concurrency` processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.procs import free_port
from bench.workloads import ms, pct


def available() -> str | None:
    """Why the Celery peer cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server not found (apt install redis-server)"
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ModuleNotFoundError as exc:
        return f"{exc.name} not installed (pip install 'celery[redis]')"
    return None


def run(sizes: dict[str, int], concurrency: int = 2) -> dict[str, Any]:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    env = {**os.environ, "BENCH_REDIS_URL": url}
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    worker = None
    try:
        time.sleep(0.5)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.peers.celery_tasks", "worker",
             "--concurrency", str(concurrency), "--pool", "prefork", "-l", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.environ["BENCH_REDIS_URL"] = url
        from celery import chain

        from bench.peers import celery_tasks

        celery_tasks.app.conf.broker_url = url
        celery_tasks.app.conf.result_backend = url

        def one(i: int) -> Any:
            flow = chain(
                celery_tasks.noop.s(i), celery_tasks.noop_next.s(), celery_tasks.noop_next.s()
            )
            return flow.apply_async().get(timeout=120)

        deadline = time.monotonic() + 60
        while True:  # wait for the worker
            try:
                one(0)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        for i in range(20):
            one(i)
        times = []
        for i in range(sizes["latency"]):
            t0 = time.perf_counter()
            assert one(i) == {"i": i}
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(one, range(sizes["throughput"])))
        elapsed = time.perf_counter() - t0
        assert results == [{"i": i} for i in range(sizes["throughput"])]
        import celery as celery_pkg

        return {
            "backend": f"celery {celery_pkg.__version__} + redis (prefork x{concurrency})",
            "latency": {
                "runs": sizes["latency"],
                "p50_ms": ms(pct(times, 50)),
                "p95_ms": ms(pct(times, 95)),
                "p99_ms": ms(pct(times, 99)),
            },
            "throughput": {
                "runs": sizes["throughput"],
                "clients": 64,
                "runs_per_s": round(sizes["throughput"] / elapsed, 1),
            },
        }
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        redis_proc.terminate()
        redis_proc.wait(10)
