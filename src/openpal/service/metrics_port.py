"""`OPENPAL_METRICS_PORT`: `/metrics` on a port of its own, for any process.

A worker process (`openpal worker`) has no HTTP server; this gives it (and an API
process, if wanted) a minimal one on the process's event loop that answers
`GET /metrics` and nothing else. It asks for no key, so it listens on loopback
unless `OPENPAL_METRICS_PUBLIC` allows another address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CONTENT_TYPE_LATEST

from openpal.service.metrics import Metrics

log = logging.getLogger("openpal.metrics")

MAX_HEAD_BYTES = 8192
HEAD_SECONDS = 5.0


async def serve_port(metrics: Metrics, host: str, port: int) -> asyncio.Server:
    """Start answering `GET /metrics` on `host:port`; close the returned server to stop.
    (`Settings` refuses a non-loopback host unless metrics are public.)"""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(HEAD_SECONDS):
                head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].split()
            if len(line) >= 2 and line[0] in (b"GET", b"HEAD") and line[1] == b"/metrics":
                body = await metrics.render()
                status, ctype = b"200 OK", CONTENT_TYPE_LATEST.encode()
            else:
                body, status, ctype = b"not found: GET /metrics\n", b"404 Not Found", b"text/plain"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype
                + b"\r\nContent-Length: " + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + (b"" if line[:1] == [b"HEAD"] else body)
            )  # fmt: skip
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that sent no request in time, or too much of one
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(answer, host, port, limit=MAX_HEAD_BYTES)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server
