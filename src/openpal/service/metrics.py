"""Prometheus metrics of one process (docs/operations.md lists them all).

Each process keeps its own registry and exports it (`GET /metrics` on the API port,
or `OPENPAL_METRICS_PORT`): every API and worker process is its own scrape target,
so nothing is shared between processes. Counters and histograms are bumped where
their events already happen (`MeteredStore`, the HTTP middleware); the gauges of
the whole database (queue depth and age) are read when scraped, by one query at
most once a second (`SCRAPE_CACHE_SECONDS`), however many scrapes arrive.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from openpal import __version__
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

    Labelled children are kept in dicts, so a hot-path call is a dict lookup and a
    locked add, not prometheus_client's label validation each time."""

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
        self._started = Counter(
            "openpal_runs_started", "Runs created by this process.", ["workflow"], registry=r
        )
        self._finished = Counter(
            "openpal_runs_finished",
            "Runs this process moved to a terminal status.",
            ["workflow", "status"],
            registry=r,
        )
        self._steps = Histogram(
            "openpal_step_duration_seconds",
            "Duration of executed steps (retries included), by the worker that ran them.",
            ["workflow", "step"],
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self.claim_latency = Histogram(
            "openpal_claim_latency_seconds",
            "From a run's creation to its first claim by a worker of this process.",
            buckets=CLAIM_BUCKETS,
            registry=r,
        )
        self.takeovers = Counter(
            "openpal_lease_takeovers",
            "Runs this process took over after their worker's lease expired.",
            registry=r,
        )
        self._http = Counter(
            "openpal_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self._http_seconds = Histogram(
            "openpal_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer (held requests included).",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=r,
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
        self._children: dict[tuple[str, ...], Any] = {}
        self._store: Store | None = None
        self._hub: Hub | None = None
        self._read_at = -SCRAPE_CACHE_SECONDS
        self._reading = asyncio.Lock()

    # -- hot path ---------------------------------------------------------
    def run_started(self, workflow: str) -> None:
        self._child(self._started, "s", workflow).inc()

    def run_finished(self, workflow: str, status: str) -> None:
        self._child(self._finished, "f", workflow, status).inc()

    def step_ended(self, workflow: str, step: str, seconds: float) -> None:
        self._child(self._steps, "d", workflow, step).observe(seconds)

    def http_answered(self, method: str, route: str, status: int, seconds: float) -> None:
        self._child(self._http, "h", method, route, str(status)).inc()
        self._child(self._http_seconds, "t", method, route).observe(seconds)

    def _child(self, metric: Any, kind: str, *labels: str) -> Any:
        key = (kind, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

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
