"""ASGI middleware: a request id on every exchange, and API-key authentication."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpal.api.errors import envelope_response
from openpal.errors import Issue, Unauthorized
from openpal.service.keys import KeyChecker

GUARDED = ("/api/", "/v1/")
PUBLIC_PATHS = frozenset({"/openapi.json", "/healthz", "/readyz"})


class RequestIdMiddleware:
    """Gives each request a `req_…` id, echoed in `x-request-id` (and in error bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + os.urandom(10).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class NulMiddleware:
    """No name or filter value can contain NUL (PostgreSQL cannot store one): a path with
    `%00` is a 404 (nothing is named so), a query value with one is a 400 naming it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            issue = _nul_issue(scope)
            if issue is not None:
                status, field, message, code = issue
                response = envelope_response(scope, status, [Issue(field, message, code)])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_issue(scope: Scope) -> tuple[int, str, str, str] | None:
    if "\x00" in scope["path"]:
        return 404, "<path>", "not found: the path contains a NUL character", "not_found"
    raw = scope.get("query_string", b"")
    if b"%00" in raw or b"\x00" in raw:
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return 400, name, "must not contain a NUL character", "invalid_value"
    return None


class AuthMiddleware:
    """`Authorization: Bearer <key>` on every `/api/` and `/v1/` path; 401 envelope otherwise."""

    def __init__(self, app: ASGIApp, checker: KeyChecker) -> None:
        self.app = app
        self.checker = checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED):
            await self.app(scope, receive, send)
            return
        auth = _header(scope, b"authorization")
        try:
            key = await self.checker.check(auth)
        except Unauthorized as exc:
            response = envelope_response(
                scope,
                401,
                exc.issues,
                hint="Create a key with `openpal keys create`; the first `openpal serve`"
                " wrote one to <data dir>/api-key.",
                headers={"www-authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
