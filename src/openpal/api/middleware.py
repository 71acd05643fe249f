"""ASGI middleware: a request id on every exchange, API-key authentication, and the
bounds on request bodies (time, size of public forms, files of refused requests)."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpal import logs, tracing
from openpal.api import upload_rollback
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
        logs.set_fields(request_id=request_id)
        tracing.set_incoming(_header(scope, b"traceparent"))
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


class BodyTimeout(Exception):
    """The request's body did not arrive in time."""


class BodyGuardMiddleware:
    """A request's whole body must arrive within `body_timeout` seconds of its start (408
    envelope otherwise)."""

    def __init__(self, app: ASGIApp, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        complete = not _has_body(scope)
        started = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def closing_send(message: Message) -> None:
            # An answer given before the body ended (a 413) keeps the connection: closing
            # it while the client still sends makes its kernel reset the connection and
            # drop the answer unread. The rest of that body is read and discarded, bounded
            # by the body timeout (and the connection's last-resort close).
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, closing_send)
        except BodyTimeout:
            if started:
                raise
            message = f"the request body did not arrive within {self.body_timeout:g} seconds"
            response = envelope_response(scope, 408, [Issue("<body>", message, "request_timeout")])
            await response(scope, receive, closing_send)


def _has_body(scope: Scope) -> bool:
    """Whether the request's headers announce a body (a length over 0, or chunks)."""
    length = _header(scope, b"content-length")
    if length is not None:
        return length.strip() != "0"
    return _header(scope, b"transfer-encoding") is not None


SMALL_FORMS = {"/login": 4096, "/logout": 4096}
FORM_TYPE = "application/x-www-form-urlencoded"


class SmallFormMiddleware:
    """Routes anyone may call read a small URL-encoded form and no more: a body over the
    path's limit is a 413 (refused on its Content-Length before any of it is read), any
    other non-empty body a 415. The body is read here and handed on whole."""

    def __init__(self, app: ASGIApp, limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.limits = SMALL_FORMS if limits is None else limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope["path"]) if scope["type"] == "http" else None
        if limit is None or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        declared = _header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, 413, f"over the {limit}-byte limit")
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _refuse(scope, receive, send, 413, f"over the {limit}-byte limit")
                return
        if body and ctype != FORM_TYPE:
            await _refuse(scope, receive, send, 415, f"send {FORM_TYPE}")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class BodyTooLarge(Exception):
    """The request's body passed its limit."""


class PageBodyLimitMiddleware:
    """Requests outside the API (the dashboard's forms, read by Starlette's form parser)
    carry at most the app's `request_limit` bytes: refused (413) on the Content-Length, or
    as soon as the body passes it. The API's own routes bound their bodies themselves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(GUARDED) or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        limit = int(scope["app"].state.settings.request_limit)
        declared = _header(scope, b"content-length") or ""
        if declared.strip().isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, 413, f"over the {limit}-byte limit")
            return
        size = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, noting_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, 413, f"over the {limit}-byte limit")


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    code = "payload_too_large" if status == 413 else "unsupported_media_type"
    response = envelope_response(
        scope, status, [Issue("<body>", message, code)], headers={"connection": "close"}
    )
    await response(scope, receive, send)


class UploadRollbackMiddleware:
    """Files a request stored are deleted again (where new and unreferenced) when the
    request is refused or fails: see `openpal.api.upload_rollback`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        ledger, token = upload_rollback.begin()
        settled = False

        async def settle(refused: bool) -> None:
            nonlocal settled
            if not settled:
                settled = True
                if refused and ledger:
                    await upload_rollback.discard(ledger, state.store, state.blobs)

        async def settling_send(message: Message) -> None:
            if message["type"] == "http.response.start":  # before the client hears of it
                await settle(not 200 <= int(message["status"]) < 400)
            await send(message)

        try:
            await self.app(scope, receive, settling_send)
        finally:
            await settle(True)  # no answer was started: the request failed
            upload_rollback.end(token, ledger)
