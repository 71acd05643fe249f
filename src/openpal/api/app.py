"""`create_app(settings)`: the ASGI application, built in one explicit call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpal.api import errors, openapi, runs, workflows
from openpal.api.middleware import AuthMiddleware, RequestIdMiddleware
from openpal.api.runs import JSON
from openpal.blobs.local import LocalBlobStore
from openpal.errors import OpenpalError
from openpal.service.catalog import Catalog
from openpal.service.keys import KeyChecker
from openpal.service.notify import Hub
from openpal.service.retention import sweep_forever
from openpal.service.runs import RunService
from openpal.settings import Settings
from openpal.store.sqlite import SqliteStore
from openpal.worker.executor import RunExecutor
from openpal.worker.pool import WorkerPool

log = logging.getLogger("openpal")


async def healthz(request: Request) -> Response:
    return JSON({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    """The whole server: API routes, error envelope, auth, and (optionally) workers."""
    store = SqliteStore(settings.database_path)
    blobs = LocalBlobStore(settings.blobs_dir)
    hub = Hub()
    catalog = Catalog(store)
    checker = KeyChecker(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loaded = await catalog.load(list(settings.workflows_dirs), examples=settings.load_examples)
        log.info("loaded %d workflows: %s", len(loaded), ", ".join(w.slug for w in loaded))
        pool = None
        if settings.run_workers:
            executor = RunExecutor(
                store, catalog, blobs, hub, settings.lease_seconds, settings.recovery_budget
            )
            pool = WorkerPool(
                store,
                executor,
                hub,
                concurrency=settings.concurrency,
                lease_seconds=settings.lease_seconds,
            )
            pool.start()
        sweeper = None
        if settings.run_workers and settings.retention_days > 0:
            sweeper = asyncio.create_task(sweep_forever(store, settings.retention_days))
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
            if pool is not None:
                await pool.stop()
            await store.close()

    v1 = "/api/v1"
    routes = [
        Route(f"{v1}/run/{{target:path}}", runs.start_run, methods=["POST"]),
        Route(f"{v1}/runs", runs.list_runs, methods=["GET"]),
        Route(f"{v1}/runs/{{run_id}}", runs.get_run, methods=["GET"]),
        Route(f"{v1}/runs/{{run_id}}/cancel", runs.cancel_run, methods=["POST"]),
        Route(f"{v1}/runs/{{run_id}}/rerun", runs.rerun_run, methods=["POST"]),
        Route(f"{v1}/runs/{{run_id}}/resume", runs.resume_run, methods=["POST"]),
        Route(f"{v1}/workflows", workflows.list_workflows, methods=["GET"]),
        Route(f"{v1}/workflows/{{workflow_id}}", workflows.get_workflow, methods=["GET"]),
        Route(f"{v1}/workflows/{{workflow_id}}/versions", workflows.list_versions, methods=["GET"]),
        Route("/openapi.json", openapi.serve, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", healthz, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(AuthMiddleware, checker=checker),
        ],
        exception_handlers={
            OpenpalError: errors.openpal_error,
            HTTPException: errors.http_error,
            Exception: errors.server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.blobs = blobs
    app.state.hub = hub
    app.state.catalog = catalog
    app.state.runs = RunService(store, catalog, hub)
    return app
