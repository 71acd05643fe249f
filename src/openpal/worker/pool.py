"""The worker pool: one claim loop feeding up to N concurrent run executions.

One loop claims in batches (as many runs as there are free slots) instead of
N loops each claiming one: a burst of new runs costs one claim transaction,
not N, and idle workers are woken by the hub, not by polling. A claim that
took fewer runs than it asked for saw the queue empty, so the loop waits for
news of work rather than asking again (on PostgreSQL every wake-up is a round
trip to the database, and every worker process hears every `work` event). A
slow safety poll still runs, for leases that expire on other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time

from openpal import logs
from openpal.engine.ids import new_id
from openpal.service.notify import Hub
from openpal.store.base import Store
from openpal.worker.executor import RunExecutor

log = logging.getLogger("openpal.worker")

SAFETY_POLL_SECONDS = 1.0
REPORT_SECONDS = 1.0  # how often the pool tells the store it is alive, and its free slots


class WorkerPool:
    """Runs workflows inside this process."""

    def __init__(
        self,
        store: Store,
        executor: RunExecutor,
        hub: Hub,
        *,
        concurrency: int,
        lease_seconds: float,
        poll_seconds: float = SAFETY_POLL_SECONDS,
    ) -> None:
        self.store = store
        self.executor = executor
        self.hub = hub
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[-6:]}"
        self._active: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._report_task: asyncio.Task[None] | None = None
        self._handing_on: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def free(self) -> int:
        return self.concurrency - len(self._active)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._claim_loop(), name="openpal-claim-loop")
        self._report_task = asyncio.create_task(self._report_loop(), name="openpal-report")
        self.hub.on_work_here = self._named

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; running executions finish their current step, checkpoint and
        hand their run back; after `grace_seconds` the rest are cancelled (and handed back)."""
        self._stopping = True
        self.executor.draining.set()
        self.hub.work_available.set()
        self.hub.on_work_here = None
        for task in (self._loop_task, self._report_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):  # named no more (a stale name only costs time)
            await self.store.forget_worker(self.worker_id, time.time_ns() // 1000)
        if self._active:
            _, pending = await asyncio.wait(self._active, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def _claim_loop(self) -> None:
        logs.set_fields(worker_id=self.worker_id)  # the runs it starts inherit it
        while not self._stopping:
            free = self.concurrency - len(self._active)
            if free <= 0:
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            self.hub.work_available.clear()
            try:
                claims = await self.store.claim_runs(
                    self.worker_id, free, self.lease_seconds, time.time_ns() // 1000
                )
            except Exception:
                log.exception("claiming runs failed; retrying shortly")
                await asyncio.sleep(SAFETY_POLL_SECONDS)
                continue
            if claims and len(claims) == free:  # every free slot filled: more may wait
                self._hand_on()
            for claim in claims:
                task = asyncio.create_task(self.executor.execute(claim))
                self._active.add(task)
                limited = claim.run.concurrency_key is not None
                task.add_done_callback(functools.partial(self._done, limited))
            if len(claims) < free:  # the queue had no more: wait to hear of new work
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.hub.work_available.wait(), self.poll_seconds)

    async def _report_loop(self) -> None:
        while True:
            try:
                await self.store.report_worker(
                    self.worker_id, self.concurrency, max(self.free, 0), time.time_ns() // 1000
                )
            except Exception as exc:  # the next report retries; the safety poll covers us
                log.warning("reporting this worker failed: %s", exc)
            await asyncio.sleep(REPORT_SECONDS)

    def _named(self) -> None:
        """Work was named to this process: with no free slot, hand it on to all."""
        if self.free <= 0 and not self._stopping:
            self._hand_on()

    def _hand_on(self) -> None:
        if self._handing_on is None:
            self._handing_on = asyncio.create_task(self._hand_on_once(), name="openpal-hand-on")

    async def _hand_on_once(self) -> None:
        try:
            await self.store.hand_on_work()
        except Exception as exc:  # the others' safety polls find the work
            log.warning("handing work on failed: %s", exc)
        finally:
            self._handing_on = None

    def _done(self, limited: bool, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self._slot_freed.set()
        if limited:  # its group has a free slot now: a queued run of it may start
            self.hub.run_queued()
