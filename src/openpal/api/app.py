"""`create_app(settings)`: the ASGI application, built in one explicit call."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpal.api import artifact_files, errors, metrics, openapi, runs, workflows
from openpal.api import seed_docs as doc
from openpal.api import v1 as current
from openpal.api.context import JSON
from openpal.api.declare import route
from openpal.api.metrics import MetricsMiddleware
from openpal.api.middleware import (
    AuthMiddleware,
    BodyGuardMiddleware,
    NulMiddleware,
    PageBodyLimitMiddleware,
    RequestIdMiddleware,
    SmallFormMiddleware,
    UploadRollbackMiddleware,
)
from openpal.api.upload_rollback import TrackingBlobStore
from openpal.errors import OpenpalError
from openpal.runtime import Runtime
from openpal.service.automations import AutomationService
from openpal.service.files import FileService
from openpal.service.keys import KeyChecker
from openpal.service.run_history import RunHistory
from openpal.service.runs import RunService
from openpal.settings import Settings
from openpal.ui.routes import routes as ui_routes

log = logging.getLogger("openpal")


async def healthz(request: Request) -> Response:
    """The process is up (liveness)."""
    return JSON({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The process can serve: its database answers (503 envelope otherwise)."""
    await request.app.state.store.count_api_keys()
    return JSON({"status": "ready"})


def create_app(settings: Settings) -> Starlette:
    """The whole server: API routes, error envelope, auth, and (optionally) workers."""
    runtime = Runtime(settings, workers=settings.run_workers)
    store, hub, catalog = runtime.store, runtime.hub, runtime.catalog
    blobs = TrackingBlobStore(runtime.blobs)  # a refused request's new files are taken back
    # keys are remembered only where their revocation is heard (PostgreSQL's events)
    checker = KeyChecker(store, ttl_seconds=60.0 if settings.database_url else 0.0)
    heard_catalog = hub.on_catalog

    def keys_or_catalog_changed() -> None:  # `api_keys` changes ride the catalog channel
        checker.forget()
        if heard_catalog is not None:
            heard_catalog()

    hub.on_catalog = keys_or_catalog_changed

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    v1 = "/api/v1"
    routes = [
        route("POST", f"{v1}/run/{{target:path}}", runs.start_run, doc.START),
        route("GET", f"{v1}/runs", runs.list_runs, doc.LIST_RUNS),
        route("GET", f"{v1}/runs/{{run_id}}", runs.get_run, doc.GET_RUN),
        route("POST", f"{v1}/runs/{{run_id}}/cancel", runs.cancel_run, doc.CANCEL),
        route("POST", f"{v1}/runs/{{run_id}}/rerun", runs.rerun_run, doc.RERUN),
        route("POST", f"{v1}/runs/{{run_id}}/resume", runs.resume_run, doc.RESUME),
        route("POST", f"{v1}/runs/{{run_id}}/reject", runs.reject_run, doc.REJECT),
        route(
            "GET", f"{v1}/runs/{{run_id}}/artifact/{{path:path}}", runs.get_artifact, doc.ARTIFACT
        ),
        *artifact_files.routes,
        route("GET", f"{v1}/workflows", workflows.list_workflows, doc.LIST_WORKFLOWS),
        route("GET", f"{v1}/workflows/{{workflow_id}}", workflows.get_workflow, doc.GET_WORKFLOW),
        route(
            "GET",
            f"{v1}/workflows/{{workflow_id}}/versions",
            workflows.list_versions,
            doc.LIST_VERSIONS,
        ),
        *current.routes(),
        route("GET", "/openapi.json", openapi.serve, doc.OPENAPI),
        route("GET", "/healthz", healthz, doc.HEALTHZ),
        route("GET", "/readyz", readyz, doc.READYZ),
        Route("/metrics", metrics.serve_metrics),  # not API: not in /openapi.json
        *ui_routes,
    ]
    # outermost: every answer is counted, the ones refused before routing included
    counted = [] if runtime.metrics is None else [Middleware(MetricsMiddleware, runtime.metrics)]
    app = Starlette(
        routes=routes,
        middleware=[
            *counted,
            Middleware(RequestIdMiddleware),
            Middleware(BodyGuardMiddleware, body_timeout=settings.body_timeout_seconds),
            Middleware(NulMiddleware),
            Middleware(SmallFormMiddleware),
            Middleware(PageBodyLimitMiddleware),
            Middleware(AuthMiddleware, checker=checker),
            Middleware(UploadRollbackMiddleware),
        ],
        exception_handlers={
            OpenpalError: errors.openpal_error,
            HTTPException: errors.http_error,
            Exception: errors.server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = runtime.metrics
    app.state.key_checker = checker
    app.state.store = store
    app.state.blobs = blobs
    app.state.hub = hub
    app.state.catalog = catalog
    app.state.runs = RunService(store, catalog, hub, hold_poll=settings.hold_poll_seconds)
    app.state.history = RunHistory(app.state.runs)
    app.state.automations = AutomationService(store, catalog)
    app.state.files = FileService(
        store,
        blobs,
        max_upload_bytes=settings.max_upload_bytes,
        max_file_bytes=settings.max_file_bytes,
    )
    return app
