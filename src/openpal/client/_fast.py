"""A lean HTTP/1.1 transport for the async client: an asyncio protocol, httptools parsing.

httpx's default transport (httpcore on anyio, h11 in pure Python) spends 0.4-1 ms
of CPU per request, and with many connections in one pool it re-checks every pooled
socket on each request. A program starting hundreds of runs a second then spends
more CPU in its HTTP client than openpal spends running the runs. This transport
keeps httpx's whole client API (it plugs in under `httpx.AsyncClient`) and does the
wire work itself: one keep-alive connection per concurrent request, reused LIFO,
responses parsed by `httptools` (the C parser uvicorn uses).

It speaks HTTP/1.1 only, over TCP or TLS. Proxies configured in the environment
still go through httpx's own proxy transports (httpx mounts them around this one).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools
import httpx

IDLE_EXPIRY_SECONDS = 4.0  # below uvicorn's 5 s keep-alive: we close before it does
MAX_IDLE_PER_ORIGIN = 32
MAX_CONNECTIONS = 100
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_READ_SIZE = 65536

Origin = tuple[str, str, int]


class _Parse:
    """httptools callbacks for one response."""

    __slots__ = ("body", "complete", "head_done", "headers", "keep_alive", "parser")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.keep_alive = False
        self.body: deque[bytes] = deque()
        self.complete = False

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise httpx.RemoteProtocolError(f"malformed HTTP response: {exc}") from None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True
        # read here: llhttp resets the message's flags once it is complete
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Wire(asyncio.Protocol):
    """The bytes of one connection. What arrived stays readable after the peer reset
    the connection (asyncio's StreamReader raises first and loses it): a server that
    answers an upload early (413) and closes must not lose its answer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._eof = False
        self._error: Exception | None = None
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None  # set while writing is paused
        self._reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport, though not an asyncio.Transport instance on every loop
        # (uvloop's are not): no isinstance check here
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > _READ_SIZE * 4 and not self._reading_paused:
            assert self.transport is not None
            self.transport.pause_reading()  # the caller is not reading: stop the socket
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def _wake(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)

    @property
    def closed(self) -> bool:
        return self._eof or self.transport is None or self.transport.is_closing()

    async def read(self) -> bytes:
        """What arrived (at least one byte), or b"" at the end; raises once a reset
        connection has nothing left to give."""
        while not self._buffer and not self._eof:
            self._readable = self._loop.create_future()
            await self._readable
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            if self._reading_paused and self.transport is not None:
                self.transport.resume_reading()
                self._reading_paused = False
            return data
        if self._error is not None:
            raise self._error
        return b""

    def write(self, data: bytes) -> None:
        if self._error is not None or self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection was closed by the server")
        self.transport.write(data)

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable
        if self._error is not None:
            raise ConnectionResetError(f"the connection was closed by the server: {self._error}")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Connection:
    """One TCP/TLS connection; carries one request at a time."""

    def __init__(self, origin: Origin, wire: _Wire) -> None:
        self.origin = origin
        self.wire = wire
        self.idle_since = time.monotonic()
        self.reused = False
        self.answered = False  # any byte of the current response arrived
        self.keep_alive = True  # False once a request could not be sent whole

    def usable(self) -> bool:
        return not self.wire.closed and time.monotonic() - self.idle_since < IDLE_EXPIRY_SECONDS

    def close(self) -> None:
        self.wire.close()

    async def send(self, request: httpx.Request, timeout: float | None) -> None:
        target = request.url.raw_path
        head = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
        chunked = False
        for name, value in request.headers.raw:
            head += [name, b": ", value, b"\r\n"]
            if name.lower() == b"transfer-encoding" and value.lower() == b"chunked":
                chunked = True
        head.append(b"\r\n")
        stream = request.stream
        if isinstance(stream, httpx.ByteStream):  # a known body: head and body in one write
            body = b"".join([part async for part in stream])
            if body:
                head.append(_frame(body) if chunked else body)
            self.wire.write(b"".join(head))
        else:
            self.wire.write(b"".join(head))
            async for part in stream:  # type: ignore[union-attr]
                if part:
                    self.wire.write(_frame(part) if chunked else part)
                    await _within(self.wire.drain(), timeout, httpx.WriteTimeout)
        if chunked:
            self.wire.write(b"0\r\n\r\n")
        await _within(self.wire.drain(), timeout, httpx.WriteTimeout)

    async def receive_head(self, method: str, timeout: float | None) -> _Parse:
        parse = _Parse()
        self.answered = False
        while not parse.head_done:
            data = await _within(self.wire.read(), timeout, httpx.ReadTimeout)
            if not data:
                raise httpx.RemoteProtocolError("server closed the connection without a response")
            self.answered = True
            parse.feed(data)
        if method == "HEAD":  # no body follows, whatever the headers say
            parse.complete = True
            parse.body.clear()
        return parse


def _frame(part: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(part), part)


async def _within(
    awaitable: Any, timeout: float | None, error: type[httpx.TimeoutException]
) -> Any:
    if timeout is None:
        return await awaitable
    try:
        async with asyncio.timeout(timeout):  # no extra task, unlike wait_for
            return await awaitable
    except TimeoutError:
        raise error(f"no progress within {timeout:g} s") from None


class _Body(httpx.AsyncByteStream):
    """The response body, read from the connection as the caller consumes it."""

    def __init__(
        self,
        transport: FastTransport,
        conn: _Connection,
        parse: _Parse,
        timeout: float | None,
        until_close: bool,
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._parse = parse
        self._timeout = timeout
        self._until_close = until_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parse = self._parse
        conn = self._conn
        while True:
            while parse.body:
                yield parse.body.popleft()
            if parse.complete or conn is None:
                return
            try:
                data = await _within(conn.wire.read(), self._timeout, httpx.ReadTimeout)
            except OSError as exc:
                raise httpx.ReadError(str(exc)) from exc
            if not data:
                if self._until_close:  # the body was "everything until the server closes"
                    parse.complete = True
                    continue
                raise httpx.RemoteProtocolError("server closed the connection mid-response")
            parse.feed(data)

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        keep = (
            self._parse.complete
            and self._parse.keep_alive
            and conn.keep_alive
            and not self._until_close
        )
        self._transport._release(conn, keep)


class FastTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive for `httpx.AsyncClient(transport=FastTransport())`."""

    def __init__(
        self, *, verify: bool | ssl.SSLContext = True, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        if isinstance(verify, ssl.SSLContext):
            self._ssl: ssl.SSLContext | None = verify
        else:
            self._ssl = None
            self._verify = verify
        self._idle: dict[Origin, list[_Connection]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context(verify=self._verify)
        return self._ssl

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.TransportError("the transport is closed")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        await _within(self._slots.acquire(), timeouts.get("pool"), httpx.PoolTimeout)
        try:
            return await self._exchange(request, origin, timeouts)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self, request: httpx.Request, origin: Origin, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        while True:
            conn = self._checkout(origin) or await self._connect(origin, timeouts.get("connect"))
            write_error: OSError | None = None
            try:
                try:
                    await conn.send(request, timeouts.get("write"))
                except OSError as exc:
                    # the server stopped reading the body: it may have answered already
                    # (a 413 for an upload over its limit), so read before giving up
                    write_error, conn.keep_alive = exc, False
                parse = await conn.receive_head(request.method, timeouts.get("read"))
            except (httpx.RemoteProtocolError, OSError) as exc:
                conn.close()
                # a reused connection the server closed as we picked it up: the server
                # saw nothing of this request, so an idempotent one may go again
                if conn.reused and request.method in _IDEMPOTENT and not conn.answered:
                    continue
                if write_error is not None:
                    raise httpx.WriteError(str(write_error)) from write_error
                if isinstance(exc, OSError):
                    raise httpx.ReadError(str(exc)) from exc
                raise
            except BaseException:
                conn.close()
                raise
            break
        names = {name.lower() for name, _ in parse.headers}
        until_close = (
            not parse.complete
            and b"content-length" not in names
            and b"transfer-encoding" not in names
            and request.method != "HEAD"
        )
        return httpx.Response(
            parse.parser.get_status_code(),
            headers=parse.headers,
            stream=_Body(self, conn, parse, timeouts.get("read"), until_close),
            extensions={"http_version": b"HTTP/1.1"},
        )

    def _checkout(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        ctx = self._ssl_context() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            _, wire = await _within(
                loop.create_connection(lambda: _Wire(loop), host, port, ssl=ctx),
                timeout,
                httpx.ConnectTimeout,
            )
        except OSError as exc:
            raise httpx.ConnectError(f"could not connect to {host}:{port}: {exc}") from exc
        return _Connection(origin, wire)

    def _release(self, conn: _Connection, keep: bool) -> None:
        self._slots.release()
        idle = self._idle.setdefault(conn.origin, [])
        if keep and not self._closed and len(idle) < MAX_IDLE_PER_ORIGIN:
            conn.idle_since = time.monotonic()
            idle.append(conn)
        else:
            conn.close()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
