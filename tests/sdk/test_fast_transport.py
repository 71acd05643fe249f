"""The async client's HTTP/1.1 transport against raw socket servers that misbehave on cue.

Each test starts an asyncio TCP server on 127.0.0.1 whose handler reads requests with
h11 (a parser independent of the one under test) and answers with exact bytes.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Awaitable, Callable

import h11
import httpx
import pytest

from openpal.client import _fast
from openpal.client._fast import FastTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


class Server:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.bodies: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


async def read_request(reader: asyncio.StreamReader, server: Server) -> h11.Request | None:
    """One whole request (body recorded in server.bodies), or None at end of stream."""
    conn = h11.Connection(h11.SERVER)
    request = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            if not data and request is None:
                return None
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            server.bodies.append(body)
            return request
        elif isinstance(event, h11.ConnectionClosed):
            return None


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%b\r\n%b" % (len(body), extra, body)


async def keep_alive_echo(reader, writer, server) -> None:
    while (request := await read_request(reader, server)) is not None:
        writer.write(ok(b"%b %b" % (request.method, request.target)))
        await writer.drain()


def client(url: str, **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, transport=FastTransport(**kwargs), timeout=5)


async def test_keep_alive_reuses_one_connection() -> None:
    async with Server(keep_alive_echo) as server, client(server.url) as c:
        for i in range(20):
            r = await c.get(f"/n/{i}", params={"q": "a b"})
            assert r.status_code == 200 and r.text == f"GET /n/{i}?q=a+b"
    assert server.connections == 1


async def test_concurrent_requests_use_separate_connections_up_to_the_limit() -> None:
    async def slow(reader, writer, server) -> None:
        while await read_request(reader, server) is not None:
            await asyncio.sleep(0.02)
            writer.write(ok(b"done"))

    async with Server(slow) as server, client(server.url, max_connections=4) as c:
        answers = await asyncio.gather(*(c.get("/") for _ in range(40)))
    assert [r.text for r in answers] == ["done"] * 40
    assert server.most_open <= 4 and server.connections <= 4


async def test_bodies_of_every_framing() -> None:
    big = bytes(range(256)) * 4096  # 1 MiB with a content-length

    async def framings(reader, writer, server) -> None:
        request = await read_request(reader, server)
        assert request is not None
        if request.target == b"/chunked":
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            for part in (b"hello ", b"chunked ", b"world"):
                writer.write(b"%x\r\n%b\r\n" % (len(part), part))
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(b"0\r\n\r\n")
        elif request.target == b"/big":
            writer.write(ok(big))
        else:  # no length at all: the body runs until the server closes
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
        await writer.drain()
        if request.target == b"/close":
            return  # closes the connection
        await read_request(reader, server)

    async with Server(framings) as server, client(server.url) as c:
        assert (await c.get("/chunked")).text == "hello chunked world"
        assert (await c.get("/big")).content == big
        r = await c.get("/close")
        assert r.text == "until the end"


async def test_request_bodies_arrive_whole() -> None:
    async def streamed():
        for i in range(50):
            yield b"part%03d;" % i

    async with Server(keep_alive_echo) as server, client(server.url) as c:
        await c.post("/json", json={"a": [1, 2, 3]})
        await c.post("/stream", content=streamed())  # unknown length: sent chunked
        await c.post("/upload", files={"f": ("x.bin", b"\x00\x01" * 100_000)})
        chunked = {"transfer-encoding": "chunked"}
        await c.post("/framed", content=b"known, framed by hand", headers=chunked)
    assert server.bodies[0] == b'{"a":[1,2,3]}'
    assert server.bodies[1] == b"".join(b"part%03d;" % i for i in range(50))
    assert b"\x00\x01" * 100_000 in server.bodies[2]
    assert server.bodies[3] == b"known, framed by hand"


async def test_connection_close_is_honoured() -> None:
    async def closing(reader, writer, server) -> None:
        await read_request(reader, server)
        writer.write(ok(b"bye", b"connection: close\r\n"))
        await writer.drain()

    async with Server(closing) as server, client(server.url) as c:
        for _ in range(3):
            assert (await c.get("/")).text == "bye"
    assert server.connections == 3


async def test_a_connection_the_server_dropped_is_not_reused_for_a_post() -> None:
    """The server answers once, then drops the connection when the next request arrives
    without answering it: a GET is sent again on a new connection, a POST is not (the
    server might have acted on it), and the caller gets a transport error."""

    async def drop_second(reader, writer, server) -> None:
        await read_request(reader, server)
        writer.write(ok(b"first"))
        await writer.drain()
        await read_request(reader, server)  # read it, answer nothing, close

    async with Server(drop_second) as server, client(server.url) as c:
        assert (await c.get("/")).text == "first"
        assert (await c.get("/again")).text == "first"  # retried on a fresh connection
        assert server.connections == 2
        with pytest.raises(httpx.RemoteProtocolError, match="without a response"):
            await c.post("/start", json={})
        assert server.connections == 2


async def test_idle_connections_expire(monkeypatch) -> None:
    monkeypatch.setattr(_fast, "IDLE_EXPIRY_SECONDS", 0.05)
    async with Server(keep_alive_echo) as server, client(server.url) as c:
        await c.get("/")
        await asyncio.sleep(0.1)
        await c.get("/")
    assert server.connections == 2


async def test_errors_map_to_httpx_errors() -> None:
    async def silent(reader, writer, server) -> None:
        await read_request(reader, server)
        await asyncio.sleep(5)

    async def garbage(reader, writer, server) -> None:
        await read_request(reader, server)
        writer.write(b"this is not HTTP\r\n\r\n")
        await writer.drain()

    async with Server(silent) as server, client(server.url) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.get("/", timeout=0.2)
    async with Server(garbage) as server, client(server.url) as c:
        with pytest.raises(httpx.RemoteProtocolError, match="malformed"):
            await c.get("/")
    dead = Server(keep_alive_echo)
    async with dead:
        url = dead.url
    async with client(url) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get("/")
        with pytest.raises(httpx.UnsupportedProtocol):
            await c.get("ftp://127.0.0.1/")


async def test_head_has_no_body_and_keeps_the_connection() -> None:
    async def head(reader, writer, server) -> None:
        while (request := await read_request(reader, server)) is not None:
            if request.method == b"HEAD":
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
            else:
                writer.write(ok(b"body"))
            await writer.drain()

    async with Server(head) as server, client(server.url) as c:
        r = await c.head("/")
        assert r.status_code == 200 and r.content == b""
        assert (await c.get("/")).text == "body"
    assert server.connections == 1


async def test_tls_with_the_callers_trust_and_refusal_without_it(tmp_path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    server = Server(keep_alive_echo)
    server._server = await asyncio.start_server(server._serve, "127.0.0.1", 0, ssl=server_side)
    url = server.url.replace("http://", "https://")
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        async with client(url, verify=trusting) as c:
            assert (await c.get("/secure")).text == "GET /secure"
            assert (await c.get("/again")).text == "GET /again"
        async with client(url) as c:  # the system's trust store does not know this cert
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await c.get("/")
    finally:
        await server.__aexit__()
    assert server.connections == 1  # both trusted requests on one kept-alive connection


async def test_an_early_answer_to_an_upload_is_read_not_lost() -> None:
    """The server refuses a large upload from its headers (413) and closes without
    reading the body: the caller gets the 413, not a broken pipe."""

    async def refuse(reader, writer, server) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok(b'{"error": "too large"}').replace(b"200 OK", b"413 Payload Too Large"))
        await writer.drain()
        writer.transport.abort()  # close at once: unread body bytes make it a reset

    async def big():
        for _ in range(256):
            yield b"x" * 65536  # 16 MiB

    async with Server(refuse) as server, client(server.url) as c:
        r = await c.post("/upload", content=big())
        assert r.status_code == 413 and r.json() == {"error": "too large"}
        assert (await c.post("/upload", content=big())).status_code == 413  # a new connection
    assert server.connections == 2


def test_the_same_on_uvloop() -> None:
    """uvloop's transports are not asyncio.Transport instances: keep-alive, bodies and
    an early answer work there too (openpal serve itself runs on uvloop)."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> None:
        async with Server(keep_alive_echo) as server, client(server.url) as c:
            for i in range(5):
                assert (await c.get(f"/{i}")).text == f"GET /{i}"
            await c.post("/upload", files={"f": ("x.bin", b"\x07" * 300_000)})
        assert server.connections == 1 and b"\x07" * 300_000 in server.bodies[-1]

    uvloop.run(scenario())


async def test_a_cancelled_request_gives_its_connection_slot_back() -> None:
    async def slow_then_quick(reader, writer, server) -> None:
        while (request := await read_request(reader, server)) is not None:
            if request.target == b"/slow":
                await asyncio.sleep(5)
            writer.write(ok(b"quick"))
            await writer.drain()

    async with Server(slow_then_quick) as server, client(server.url, max_connections=1) as c:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(c.get("/slow"), 0.2)
        assert (await c.get("/quick")).text == "quick"  # the only slot is free again
        assert (await c.get("/quick")).text == "quick"
    assert server.connections == 2  # the cancelled one was not reused
