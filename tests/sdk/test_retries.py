"""Retries against a small local HTTP server that fails the first N requests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openpal.client import EigenpalClient, EigenpalRateLimitError, EigenpalServerError


class Flaky:
    def __init__(self, failures: int, status: int, retry_after: str | None = None) -> None:
        self.failures, self.status, self.retry_after = failures, status, retry_after
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                outer.requests.append((self.command, self.path, dict(self.headers)))
                if len(outer.requests) <= outer.failures:
                    body = json.dumps(
                        {
                            "issues": [
                                {
                                    "field": "<root>",
                                    "message": "down",
                                    "code": "x",
                                    "severity": "error",
                                }
                            ],
                            "requestId": "req_1",
                        }
                    ).encode()
                    self.send_response(outer.status)
                    if outer.retry_after:
                        self.send_header("Retry-After", outer.retry_after)
                else:
                    body = json.dumps(
                        {
                            "runs": [],
                            "nextCursor": None,
                            "id": "exec_1",
                            "status": "cancelled",
                            "runId": "exec_1",
                            "type": "workflow",
                        }
                    ).encode()
                    self.send_response(200 if self.command == "GET" else 201)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def flaky():
    servers: list[Flaky] = []

    def make(*args: object, **kw: object) -> Flaky:
        servers.append(Flaky(*args, **kw))  # type: ignore[arg-type]
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gets_and_cancels_are_retried(flaky, status):
    srv = flaky(2, status)
    with EigenpalClient(api_key="k", base_url=srv.url, max_retries=2) as c:
        assert c.runs.list().runs == ()
        assert len(srv.requests) == 3
        srv.requests.clear()
        assert c.runs.cancel("exec_1")["status"] == "cancelled"
        assert len(srv.requests) == 3


def test_retries_give_up(flaky):
    srv = flaky(5, 503)
    with EigenpalClient(api_key="k", base_url=srv.url, max_retries=2) as c:
        with pytest.raises(EigenpalServerError) as info:
            c.runs.list()
        assert info.value.status == 503 and info.value.request_id == "req_1"
    assert len(srv.requests) == 3


def test_429_honours_retry_after(flaky):
    srv = flaky(1, 429, retry_after="0")
    with EigenpalClient(api_key="k", base_url=srv.url) as c:
        assert c.runs.list().runs == ()
    srv2 = flaky(9, 429, retry_after="7")
    with EigenpalClient(api_key="k", base_url=srv2.url, max_retries=0) as c:
        with pytest.raises(EigenpalRateLimitError) as info:
            c.runs.list()
        assert info.value.retry_after == 7


def test_run_starts_are_retried_only_with_an_idempotency_key(flaky):
    srv = flaky(1, 503)
    with EigenpalClient(api_key="k", base_url=srv.url) as c:
        with pytest.raises(EigenpalServerError):
            c.run("workflows.x", {"a": 1})
        assert len(srv.requests) == 1
        srv.requests.clear()
        srv.failures = 1
        run = c.run("workflows.x", {"a": 1}, idempotency_key="abc")
        assert run.id == "exec_1"
        assert [r[2].get("Idempotency-Key") for r in srv.requests] == ["abc", "abc"]


def test_connection_errors_are_retried_for_gets():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from openpal.client import EigenpalError

    url = f"http://127.0.0.1:{port}"
    with (
        EigenpalClient(api_key="k", base_url=url, max_retries=1) as c,
        pytest.raises(EigenpalError, match="could not reach"),
    ):
        c.runs.list()
