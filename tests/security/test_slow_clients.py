"""Clients that send slowly, or hold many connections, are cut off: a request's headers
must arrive within OPENPAL_HEADER_TIMEOUT_SECONDS, its body within
OPENPAL_BODY_TIMEOUT_SECONDS (408), headers hold at most 64 KiB (431), and one address
holds at most OPENPAL_MAX_CONNECTIONS_PER_CLIENT connections (429) — while others are
served."""

from __future__ import annotations

import select
import socket
import time

import httpx
import pytest

from tests.conftest import Server, start_server


@pytest.fixture
def slow_server(tmp_path):
    srv = start_server(
        tmp_path / "data",
        env={
            "OPENPAL_HEADER_TIMEOUT_SECONDS": "2",
            "OPENPAL_BODY_TIMEOUT_SECONDS": "2",
            "OPENPAL_MAX_CONNECTIONS_PER_CLIENT": "6",
        },
    )
    yield srv
    srv.stop()


def _connect(srv: Server) -> socket.socket:
    host, port = srv.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _trickle(sock: socket.socket, data: bytes, every: float, limit: float) -> tuple[bytes, float]:
    """Send `data` a byte at a time, `every` seconds apart, until the server answers or
    closes (or `limit` seconds pass): (what it said, seconds it took)."""
    started = time.monotonic()
    for byte in data:
        if time.monotonic() - started > limit:
            break
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            break
    answer = b""
    try:
        while got := sock.recv(65536):
            answer += got
    except OSError:
        pass
    return answer, time.monotonic() - started


def test_headers_sent_a_byte_a_second_are_cut_off_while_others_are_served(slow_server):
    srv = slow_server
    host = srv.base_url.removeprefix("http://")
    slow = _connect(srv)
    slow.sendall(b"GET /healthz HTTP/1.1\r\n")
    fast_started = time.monotonic()
    assert httpx.get(f"{srv.base_url}/healthz", timeout=2).status_code == 200
    assert time.monotonic() - fast_started < 1
    answer, took = _trickle(slow, f"Host: {host}\r\nX-Pad: {'a' * 60}\r\n\r\n".encode(), 1, 15)
    slow.close()
    assert took < 5, took
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    silent = _connect(srv)  # a connection that sends nothing at all
    started = time.monotonic()
    silent.settimeout(10)
    assert silent.recv(100) == b""
    assert time.monotonic() - started < 4
    silent.close()


def test_a_body_trickled_slowly_is_a_408(slow_server):
    srv = slow_server
    host = srv.base_url.removeprefix("http://")
    for ctype, path in (
        ("application/json", "/api/v1/run/workflows.file-info"),
        ("multipart/form-data; boundary=b0undary", "/api/v1/run/workflows.file-info"),
        ("application/json", "/v1/runs"),
    ):
        sock = _connect(srv)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {srv.api_key}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: 10000\r\n\r\n".encode()
        )
        answer, took = _trickle(sock, b"--b0undary\r\n" + b"x" * 9000, 0.2, 15)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), (path, answer[:300])
        assert b'"request_timeout"' in answer
        assert took < 5, took


def test_one_address_holds_a_bounded_number_of_connections(slow_server):
    srv = slow_server
    held = [_connect(srv) for _ in range(6)]
    try:
        time.sleep(0.2)
        extra = _connect(srv)
        extra.settimeout(5)
        answer = extra.recv(65536)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 429"), answer[:200]
        held.pop().close()
        time.sleep(0.2)
        assert httpx.get(f"{srv.base_url}/healthz", timeout=2).status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_headers_past_64_kib_are_refused_without_waiting_for_their_end(slow_server):
    srv = slow_server
    sock = _connect(srv)
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(70))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad)  # no end of the headers
    started = time.monotonic()
    answer = sock.recv(65536)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert time.monotonic() - started < 1  # not the header timeout
    assert httpx.get(f"{srv.base_url}/healthz", timeout=2).status_code == 200
