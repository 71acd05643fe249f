"""ASGI middleware: a request id on every exchange, and API-key authentication."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpal.api.errors import envelope_response
from openpal.errors import Unauthorized
from openpal.service.keys import KeyChecker

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


class AuthMiddleware:
    """`Authorization: Bearer <key>` on every `/api/` path; 401 envelope otherwise."""

    def __init__(self, app: ASGIApp, checker: KeyChecker) -> None:
        self.app = app
        self.checker = checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
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
