"""The HTTP protocol `openpal serve` runs uvicorn with: uvicorn's own (httptools), plus
what it lacks against slow or greedy clients.

- A request's line and headers must arrive within `header_timeout` seconds of its first
  byte (of the connection's opening, for its first request); past it the connection is
  answered 408 and closed. uvicorn's keep-alive timeout only covers idle time between
  requests, and ends at the first byte of the next one.
- The body must arrive within `body_timeout` seconds more (the app answers 408 itself at
  `body_timeout` from the request's start while it reads; this closes a connection whose
  body nobody reads).
- A request's line and headers together hold at most `MAX_HEADER_BYTES` (431 past it;
  uvicorn sets no bound).
- One client address holds at most `max_per_client` open connections (0: no cap; behind
  a reverse proxy every client has the proxy's address); past that a new one is answered
  429 and closed.
- One client address sends at most its byte budget (`api/bandwidth.py`): past it, its
  connections are not read until the budget has refilled.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openpal.api.bandwidth import ByteBudget
from openpal.settings import Settings

MAX_HEADER_BYTES = 64 * 1024


def _answer(status: str, message: str, code: str) -> bytes:
    body = json.dumps(
        {
            "issues": [
                {"field": "<connection>", "message": message, "code": code, "severity": "error"}
            ],
            "requestId": "req_unknown",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
    )
    if status.startswith("429"):
        head += "retry-after: 1\r\n"
    return head.encode() + b"\r\n" + body


class _ThrottledFlow(FlowControl):
    """uvicorn's flow control, which must not resume reading a connection whose client
    is over its byte budget (uvicorn resumes once the app has read what it buffered)."""

    def __init__(self, transport: asyncio.Transport, protocol: Any) -> None:
        super().__init__(transport)
        self._protocol = protocol

    def resume_reading(self) -> None:
        if self.read_paused:
            self.read_paused = False
            if self._protocol._throttle is None:
                self._transport.resume_reading()


def guarded_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """A protocol class for `uvicorn.run(http=...)` with this process's limits."""
    header_timeout = settings.header_timeout_seconds
    body_timeout = settings.body_timeout_seconds
    max_per_client = settings.max_connections_per_client
    open_by_client: Counter[str] = Counter()
    budget = ByteBudget(settings.client_bytes_per_second, settings.client_burst_bytes)

    class GuardedProtocol(HttpToolsProtocol):
        _guard: asyncio.TimerHandle | None = None
        _counted: str | None = None
        _phase = ""  # "headers" or "body" while a request is arriving
        _header_bytes = 0
        _refused = False  # answered and closing: the parser's further calls are ignored
        _host: str | None = None
        _throttle: asyncio.TimerHandle | None = None  # set while not read: over budget

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._guard = self.loop.call_later(seconds, self._expired, seconds)

        def _disarm(self) -> None:
            if self._guard is not None:
                self._guard.cancel()
                self._guard = None

        def _expired(self, seconds: float) -> None:
            self._guard = None
            if self.transport.is_closing():
                return
            cycle = self.cycle if self._phase == "body" else None
            if self._phase and (cycle is None or not cycle.response_started):
                what = "request body" if cycle is not None else "request's headers"
                message = f"the {what} did not arrive within {seconds:g} seconds"
                self.transport.write(_answer("408 Request Timeout", message, "request_timeout"))
            if cycle is not None:
                cycle.keep_alive = False
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.flow = _ThrottledFlow(transport, self)
            host = self._host = self.client[0] if self.client else None
            if host is not None and max_per_client:
                if open_by_client[host] >= max_per_client:
                    message = f"more than {max_per_client} open connections from {host}"
                    transport.write(_answer("429 Too Many Requests", message, "rate_limited"))
                    transport.close()
                    return
                open_by_client[host] += 1
                self._counted = host
            self._arm(header_timeout)  # a first request is timed from the opening

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._throttle is not None:
                self._throttle.cancel()
                self._throttle = None
            if self._counted is not None:
                open_by_client[self._counted] -= 1
                if open_by_client[self._counted] <= 0:
                    del open_by_client[self._counted]
                self._counted = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._host is not None and budget.rate:
                wait = budget.take(self._host, len(data))
                if wait > 0 and self._throttle is None and not self.transport.is_closing():
                    self.transport.pause_reading()
                    self._throttle = self.loop.call_later(wait, self._unthrottle)
            super().data_received(data)

        def _unthrottle(self) -> None:
            self._throttle = None
            if not self.transport.is_closing() and not self.flow.read_paused:
                self.transport.resume_reading()

        def _count(self, size: int) -> bool:
            """Whether the headers are still within bounds (else answer 431 and close)."""
            self._header_bytes += size
            if self._header_bytes > MAX_HEADER_BYTES and not self._refused:
                self._refused = True
                self._disarm()
                message = f"the request's line and headers exceed {MAX_HEADER_BYTES} bytes"
                self.transport.write(
                    _answer("431 Request Header Fields Too Large", message, "headers_too_large")
                )
                self.transport.close()
            return not self._refused

        def on_url(self, url: bytes) -> None:
            if self._count(len(url)):
                super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            if self._count(len(name) + len(value) + 4):
                super().on_header(name, value)

        def on_message_begin(self) -> None:
            if self._refused:
                return
            super().on_message_begin()
            self._phase = "headers"
            self._header_bytes = 0
            if self._guard is None:
                self._arm(header_timeout)

        def on_headers_complete(self) -> None:
            if self._refused:
                return
            super().on_headers_complete()
            self._phase = "body"
            self._arm(body_timeout + header_timeout)

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if self._refused:
                return
            super().on_message_complete()
            self._phase = ""
            self._disarm()

    return GuardedProtocol
