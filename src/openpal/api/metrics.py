"""`GET /metrics` on the API's port, and the middleware that counts HTTP requests.

Requests are labelled with their route's template (`/v1/runs/{run_id}`), never the
raw path, so the number of series stays bounded whatever clients send. `/metrics`
answers anyone only when the server listens on loopback or `OPENPAL_METRICS_PUBLIC`
is set; otherwise it needs an API key, as the API does. It is not part of the API
(not in `/openapi.json`).
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpal.errors import NotFound
from openpal.service.metrics import Metrics
from openpal.settings import Settings, is_loopback

UNMATCHED = "(unmatched)"  # a path no route serves (404s, scanners)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metrics_open(settings: Settings) -> bool:
    """The rule: `/metrics` without a key only on loopback, or when made public."""
    return settings.metrics_public or is_loopback(settings.host)


async def serve_metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's registry."""
    state = request.app.state
    metrics: Metrics | None = state.metrics
    if metrics is None:
        raise NotFound("metrics are off in this process (OPENPAL_METRICS=0)")
    if not metrics_open(state.settings):
        await state.key_checker.check(request.headers.get("authorization"))
    return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)


def route_template(scope: Scope) -> str:
    """The template of the route that served (or would have served) this request.

    Starlette's router records the route it chose in `scope["route"]` (and itself in
    `scope["router"]`), so a routed request costs a dict read; only an answer given
    before routing (401, 408, 413) matches the routes again to find its template."""
    route = scope.get("route")
    if route is not None:
        return _path_of(route)
    if "router" in scope:  # routed, and no route matched (404)
        return UNMATCHED
    for candidate in scope["app"].routes:  # answered before routing
        if candidate.matches(scope)[0] == Match.FULL:
            return _path_of(candidate)
    return UNMATCHED


def _path_of(route: BaseRoute) -> str:
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Counts every HTTP request by method, route template and status, with its time."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # no answer was started: the app failed

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            took = time.perf_counter() - started
            self.metrics.http_answered(method, route_template(scope), status, took)
