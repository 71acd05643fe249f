"""The parts of one openpal process, wired once: store, files, hub, catalog, workers.

`openpal serve` wraps a `Runtime` in the HTTP app (and runs workers unless
`--no-worker`); `openpal worker` runs one with no HTTP at all. Either way the
process listens to the store for events from other processes (PostgreSQL
NOTIFY) and hands them to its hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from openpal.blobs.factory import make_blob_store
from openpal.service.catalog import Catalog
from openpal.service.folder_watch import FolderWatch
from openpal.service.metered_store import MeteredStore
from openpal.service.metrics import Metrics
from openpal.service.metrics_port import serve_port
from openpal.service.notify import Hub
from openpal.service.retention import sweep_forever
from openpal.service.runs import RunService
from openpal.service.schedules import Scheduler
from openpal.settings import Settings
from openpal.store.base import Store
from openpal.store.factory import make_store
from openpal.worker.executor import RunExecutor
from openpal.worker.pool import WorkerPool

log = logging.getLogger("openpal")


class Runtime:
    """Everything a process needs besides its HTTP routes."""

    def __init__(self, settings: Settings, *, workers: bool, api: bool = True) -> None:
        self.settings = settings
        self.workers = workers
        self.api = api
        # the events this process acts on: held requests wait for `finished`, workers
        # for `work` and for `cancel` of the runs they execute
        self.events = frozenset(
            (["finished", "catalog"] if api else []) + (["work", "cancel"] if workers else [])
        )
        store = make_store(
            settings.database_url, settings.database_path, pool_size=settings.db_pool_size
        )
        self.metrics: Metrics | None = None
        self.store: Store = store
        if settings.metrics:  # run events are counted as they pass through the store
            role = "+".join(r for r, on in (("api", api), ("worker", workers)) if on)
            self.metrics = Metrics(role=role, process=f"{socket.gethostname()}:{os.getpid()}")
            self.store = cast(Store, MeteredStore(store, self.metrics))
        self.blobs = make_blob_store(
            store,
            settings.blobs_dir,
            postgres=settings.database_url is not None,
            kind=settings.blob_store,
        )
        self.hub = Hub()
        if self.metrics is not None:
            self.metrics.watch(store, self.hub)
        self._metrics_port: asyncio.Server | None = None
        self.catalog = Catalog(self.store)
        if api:  # runs are started here: workflow records are kept while changes are heard
            self.hub.on_catalog = self.catalog.changed
        self.pool: WorkerPool | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Open the store (migrating it), load workflows, start listening and working."""
        s = self.settings
        await self.store.open()
        if self.metrics is not None and s.metrics_port:
            self._metrics_port = await serve_port(self.metrics, s.metrics_host, s.metrics_port)
        watch = None
        if self.api and s.watch_workflows and s.watch_poll_seconds > 0:
            # API processes pick up edited workflow files (workers run pinned versions)
            watch = FolderWatch(self.catalog, list(s.workflows_dirs), s.watch_poll_seconds)
            watch.start()
        loaded = await self.catalog.load(list(s.workflows_dirs), examples=s.load_examples)
        log.info("loaded %d workflows: %s", len(loaded), ", ".join(w.slug for w in loaded))
        if watch is not None:
            self._tasks.append(asyncio.create_task(watch.run_forever(), name="openpal-watch"))
        self._tasks.append(
            asyncio.create_task(
                self.store.listen(self.hub.deliver, self.events), name="openpal-listen"
            )
        )
        if self.workers:
            # blocking steps (Python functions, PDF parsing) run in the loop's default
            # thread pool, which has min(32, CPUs + 4) threads: give it one per slot, so
            # `--concurrency 40` runs 40 blocking steps at once, not 6 on a 2-core box
            asyncio.get_running_loop().set_default_executor(
                ThreadPoolExecutor(max_workers=s.concurrency + 4, thread_name_prefix="openpal-step")
            )
            executor = RunExecutor(
                self.store,
                self.catalog,
                self.blobs,
                self.hub,
                s.lease_seconds,
                s.recovery_budget,
                max_output_chars=s.max_output_chars,
                max_foreach_items=s.max_foreach_items,
                max_foreach_parallel=s.max_foreach_parallel,
            )
            self.pool = WorkerPool(
                self.store,
                executor,
                self.hub,
                concurrency=s.concurrency,
                lease_seconds=s.lease_seconds,
                poll_seconds=s.worker_poll_seconds,
            )
            self.pool.start()
        # every process fires cron ticks (the database picks one per tick), so schedules
        # keep firing while any process of any kind is up
        runs = RunService(self.store, self.catalog, self.hub, hold_poll=s.hold_poll_seconds)
        self.scheduler = Scheduler(self.store, self.catalog, runs)
        self._tasks.append(
            asyncio.create_task(self.scheduler.run_forever(), name="openpal-scheduler")
        )
        if s.retention_days > 0:  # every process: each also cleans its own file cache
            self._tasks.append(
                asyncio.create_task(
                    sweep_forever(self.store, self.blobs, s.retention_days),
                    name="openpal-retention",
                )
            )

    async def stop(self) -> None:
        """Stop background tasks, let running executions hand their runs back, close."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.pool is not None:
            await self.pool.stop()
        if self._metrics_port is not None:
            self._metrics_port.close()
        await self.store.close()
