"""Group commit for writes from many tasks: one statement and one commit for a batch.

Many tasks of one process write at once: API requests starting runs, worker slots
checkpointing steps. Sent one by one, every write is a round trip, a statement and a
commit (an fsync) of its own. A `Batcher` queues them instead: while one flush is in
flight, every write submitted meanwhile waits, and the next flush takes all of them
at once. An idle batcher flushes at the next turn of the event loop, so a lone write
waits for nothing; under load the batches grow by themselves with the flush time.

A write's future resolves only after its flush returned, so an answered write is
as durable as its flush (the flush commits before it returns). The flush answers
item by item: one item's failure (a guarded update that lost its lease, text the
database refuses) is that item's, never its neighbours'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 (the item)
R = TypeVar("R")

# a flush answers each item, in order: its result, or the exception it raises
Flush = Callable[[list[I]], Awaitable[list[R | BaseException]]]

MAX_BATCH = 256


class Batcher(Generic[I, R]):
    """Queue items of one kind of write; flush them in batches, one flush at a time."""

    def __init__(self, flush: Flush[I, R], *, max_batch: int = MAX_BATCH) -> None:
        self._flush = flush
        self._max = max_batch
        self._queue: list[tuple[I, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.flushes = 0  # batches flushed (the benchmark reads the mean batch size)
        self.items = 0

    async def submit(self, item: I) -> R:
        """Write `item` with the next batch; its result once that batch is flushed.

        Cancelling the caller does not withdraw the item: it may already be in a
        flush (as a cancelled single statement may already have committed)."""
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, fut))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), name="openpal-batch")
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
                self.flushes += 1
                self.items += len(batch)
                try:
                    results = await self._flush([item for item, _ in batch])
                except asyncio.CancelledError:
                    _fail(batch, ConnectionAbortedError("the batch was cancelled"))
                    _fail(self._queue, ConnectionAbortedError("the batch was cancelled"))
                    self._queue = []
                    raise
                except Exception as exc:  # the whole flush failed (e.g. the database is gone)
                    _fail(batch, exc)
                    continue
                for (_, fut), result in zip(batch, results, strict=True):
                    if fut.done():
                        continue
                    if isinstance(result, BaseException):
                        fut.set_exception(result)
                    else:
                        fut.set_result(result)
        finally:
            self._drainer = None


def _fail(batch: list[tuple[I, asyncio.Future[R]]], exc: BaseException) -> None:
    for _, fut in batch:
        if not fut.done():
            fut.set_exception(exc)
