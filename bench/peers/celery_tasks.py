"""The Celery side of the peer benchmark: the same no-op step, chained three times."""

from __future__ import annotations

import os

from celery import Celery

BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("bench", broker=BROKER, backend=BROKER)
app.conf.update(task_acks_late=False, worker_prefetch_multiplier=4, result_expires=600)


@app.task
def noop(i: int) -> dict[str, int]:
    return {"i": i}


@app.task
def noop_next(prev: dict[str, int]) -> dict[str, int]:
    return {"i": prev["i"]}
