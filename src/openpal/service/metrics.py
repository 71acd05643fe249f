"""Prometheus metrics of one process (docs/operations.md lists them all).

Each process keeps its own registry and exports it (`GET /metrics` on the API port,
or `OPENPAL_METRICS_PORT`): every API and worker process is its own scrape target,
so nothing is shared between processes. Counters and histograms are bumped where
their events already happen (`MeteredStore`, the HTTP middleware), as plain numbers
turned into metric families when scraped (`metric_series`); the gauges of
the whole database (queue depth and age) are read when scraped, by one query at
most once a second (`SCRAPE_CACHE_SECONDS`), however many scrapes arrive.
"""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import (
    CollectorRegistry,
    Gauge,
    disable_created_metrics,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from openpal import __version__
from openpal.service.metric_series import KeptCounter, KeptHistogram, KeptSeries
from openpal.service.notify import Hub
from openpal.store.base import Store

log = logging.getLogger("openpal.metrics")

SCRAPE_CACHE_SECONDS = 1.0
STEP_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)
CLAIM_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series


class Metrics:
    """The registry of this process and the few calls the hot paths make into it.

    The counters and histograms of events are plain numbers (`metric_series`): a
    hot-path call is a dict lookup and an add, without prometheus_client's label
    validation and locks; the gauges are prometheus_client's, set when scraped."""

    def __init__(self, *, role: str, process: str) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        process_collector.ProcessCollector(registry=r)
        platform_collector.PlatformCollector(registry=r)
        gc_collector.GCCollector(registry=r)
        Gauge(
            "openpal_process_info",
            "This process: its role (api, worker, api+worker) and its name (host:pid).",
            ["role", "process", "version"],
            registry=r,
        ).labels(role, process, __version__).set(1)
        self._started = KeptCounter(
            "openpal_runs_started", "Runs created by this process.", ["workflow"]
        )
        self._finished = KeptCounter(
            "openpal_runs_finished",
            "Runs this process moved to a terminal status.",
            ["workflow", "status"],
        )
        self._steps = KeptHistogram(
            "openpal_step_duration_seconds",
            "Duration of executed steps (retries included), by the worker that ran them.",
            STEP_BUCKETS,
            ["workflow", "step"],
        )
        self.claim_latency = KeptHistogram(
            "openpal_claim_latency_seconds",
            "From a run's creation to its first claim by a worker of this process.",
            CLAIM_BUCKETS,
        )
        self.takeovers = KeptCounter(
            "openpal_lease_takeovers",
            "Runs this process took over after their worker's lease expired.",
        )
        self._http = KeptCounter(
            "openpal_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
        )
        self._http_seconds = KeptHistogram(
            "openpal_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer (held requests included).",
            HTTP_BUCKETS,
            ["method", "route"],
        )
        r.register(
            KeptSeries(
                self._started,
                self._finished,
                self._steps,
                self.claim_latency,
                self.takeovers,
                self._http,
                self._http_seconds,
            )
        )
        self.held = Gauge(
            "openpal_held_requests",
            "Requests of this process waiting for a run's result now (wait_for_completion).",
            registry=r,
        )
        self.queue_depth = Gauge(
            "openpal_queue_depth", "Pending runs in the database (all processes).", registry=r
        )
        self.queue_age = Gauge(
            "openpal_queue_oldest_age_seconds",
            "Age of the oldest pending run (since its creation); 0 when none is pending.",
            registry=r,
        )
        self.runs_live = Gauge(
            "openpal_runs_in_status",
            "Runs in the database that are running (or finalizing) or waiting.",
            ["status"],
            registry=r,
        )
        self._store: Store | None = None
        self._hub: Hub | None = None
        self._read_at = -SCRAPE_CACHE_SECONDS
        self._reading = asyncio.Lock()

    # -- hot path: on the event loop only (see metric_series) -------------
    def run_started(self, workflow: str) -> None:
        self._started.inc((workflow,))

    def run_finished(self, workflow: str, status: str) -> None:
        self._finished.inc((workflow, status))

    def step_ended(self, workflow: str, step: str, seconds: float) -> None:
        self._steps.observe(seconds, (workflow, step))

    def http_answered(self, method: str, route: str, status: int, seconds: float) -> None:
        self._http.inc((method, route, str(status)))
        self._http_seconds.observe(seconds, (method, route))

    # -- scrape -----------------------------------------------------------
    def watch(self, store: Store, hub: Hub) -> None:
        """Where the scrape-time gauges come from (the process's own store, unwrapped)."""
        self._store, self._hub = store, hub
        db = getattr(store, "db", None)
        r = self.registry
        if hasattr(db, "usage"):  # PostgreSQL's pool
            self.pool_in_use = Gauge(
                "openpal_db_pool_connections_in_use",
                "PostgreSQL: pooled connections of this process in use now.",
                registry=r,
            )
            self.pool_open = Gauge(
                "openpal_db_pool_connections",
                "PostgreSQL: pooled connections this process has open now.",
                registry=r,
            )
            self.pool_max = Gauge(
                "openpal_db_pool_max_connections",
                "PostgreSQL: the most connections the pool may open (OPENPAL_DB_POOL_SIZE).",
                registry=r,
            )
            self.pool_max.set(getattr(db, "pool_size", 0))
        if hasattr(db, "queued_writes"):  # SQLite's writer thread
            self.writes_queued = Gauge(
                "openpal_db_writes_queued",
                "SQLite: write operations waiting for the writer thread now.",
                registry=r,
            )

    async def render(self) -> bytes:
        """The text exposition of this process's registry, gauges brought up to date."""
        if self._hub is not None:
            self.held.set(self._hub.held())
        await self._read_database()
        return generate_latest(self.registry)

    async def _read_database(self) -> None:
        if self._store is None:
            return
        async with self._reading:  # scrapes arriving together share one read
            if time.monotonic() - self._read_at < SCRAPE_CACHE_SECONDS:
                return
            self._read_at = time.monotonic()
            self._read_pool(self._store)
            try:
                stats = await self._store.queue_stats()
            except Exception as exc:  # the last values stay; the next scrape tries again
                log.warning("reading the queue for /metrics failed: %s", exc)
                return
        self.queue_depth.set(stats.pending)
        oldest = stats.oldest_pending_created_at
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest / 1_000_000)
        self.queue_age.set(age)
        self.runs_live.labels("running").set(stats.running)
        self.runs_live.labels("waiting").set(stats.waiting)

    def _read_pool(self, store: Store) -> None:
        db = getattr(store, "db", None)
        usage = getattr(db, "usage", None)
        if usage is not None:  # PostgreSQL
            found = usage()
            if found is not None:
                self.pool_in_use.set(found[0])
                self.pool_open.set(found[1])
        queued = getattr(db, "queued_writes", None)
        if queued is not None:  # SQLite
            self.writes_queued.set(queued())
