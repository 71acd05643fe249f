"""The JSON error envelope of the wire contract, and the one table mapping errors to HTTP."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from openpal import jsontext
from openpal.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    Issue,
    NotFound,
    OpenpalError,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger("openpal.api")

STATUS_BY_ERROR: dict[type[OpenpalError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
    InvalidTransition: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def request_id_of(scope: Any) -> str:
    state = scope.get("state") or {}
    return str(state.get("request_id") or "req_unknown")


def envelope_response(
    scope: Any,
    status: int,
    issues: list[Issue],
    *,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Every non-2xx answer: `{"issues": [...], "requestId": ...}` as application/json."""
    request_id = request_id_of(scope)
    body: dict[str, Any] = {
        "issues": [
            {"field": i.field, "message": i.message, "code": i.code, "severity": "error"}
            for i in issues
        ],
        "requestId": request_id,
    }
    if hint:
        body["hint"] = hint
    return Response(
        jsontext.dumps(body, separators=None),  # RFC 8259 whatever a message holds
        status_code=status,
        media_type="application/json",
        headers={"x-request-id": request_id, **(headers or {})},
    )


def status_for(exc: OpenpalError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def openpal_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenpalError)
    status = status_for(exc)
    if status == 500:
        log.error("unexpected %s: %s", type(exc).__name__, exc)
    if status == 503:
        log.warning("%s", exc)
    if status in (429, 503):  # try again: in a second
        return envelope_response(request.scope, status, exc.issues, headers={"retry-after": "1"})
    return envelope_response(request.scope, status, exc.issues)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404:
        message = f"No route for {request.method} {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        headers["allow"] = _allowed(request.scope)
    return envelope_response(
        request.scope, exc.status_code, [Issue("<root>", message, code)], headers=headers
    )


def _allowed(scope: Any) -> str:
    """Every method some route serves on this path (Starlette names only the first
    route's: `GET` and `POST` on one path are two routes here)."""
    methods: set[str] = set()
    for route in scope["app"].routes:
        if route.matches(scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope_response(
        request.scope, 500, [Issue("<root>", "Internal server error", "internal_error")]
    )
