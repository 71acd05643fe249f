"""A request that fails on a bug is answered with the 500 envelope and its connection
stays open for the next request (uvicorn closed it: Starlette raises the exception again
after answering, and the client's next request on that connection met a reset)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from openpal.api import errors
from openpal.api.answered import KeepAlive
from tests.conftest import free_port


async def broken(request):
    raise RuntimeError("a bug")


async def fine(request):
    return JSONResponse({"ok": True})


def _serve(app, port):
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread


def _answer(sock: socket.socket) -> bytes:
    """One whole response (its head and a Content-Length body), or what came before EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            return data
        data += got
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    length = int(lengths[0].split(b":")[1])
    while len(body) < length:
        got = sock.recv(65536)
        if not got:
            break
        body += got
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize("wrapped", [True, False], ids=["KeepAlive", "bare"])
def test_a_500_keeps_the_connection(wrapped: bool) -> None:
    app = Starlette(
        routes=[Route("/broken", broken), Route("/fine", fine)],
        exception_handlers={Exception: errors.server_error},
    )
    port = free_port()
    server, thread = _serve(KeepAlive(app) if wrapped else app, port)
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        first = _answer(sock)
        assert first.startswith(b"HTTP/1.1 500"), first[:200]
        assert b'"code": "internal_error"' in first
        try:
            sock.sendall(b"GET /fine HTTP/1.1\r\nHost: x\r\n\r\n")
            second = _answer(sock)
        except OSError:
            second = b""
        sock.close()
        if wrapped:
            assert second.startswith(b"HTTP/1.1 200"), second[:200]
        else:  # what uvicorn does on its own: the connection is gone
            assert not second.startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)
