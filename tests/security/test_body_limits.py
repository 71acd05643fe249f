"""Request bodies are bounded while they arrive, and a refused request leaves nothing
behind: no temp file, no stored blob (on both backends); the sign-in form reads no
more than a sign-in needs."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import time
from pathlib import Path

import httpx

from tests.api.test_runs import assert_envelope
from tests.conftest import Server, start_server


def _stored(data_dir: Path) -> list[Path]:
    """Every file under the server's blob folder: stored blobs and temp files."""
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


def _raw(srv: Server, request: bytes, *, wait: float = 10) -> bytes:
    """Send `request` on a fresh connection and read what comes back until it closes or
    the JSON envelope is whole."""
    host, port = srv.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        answer = b""
        while b"}" not in answer and (got := sock.recv(65536)):
            answer += got
        return answer


def test_a_start_refused_for_any_reason_keeps_no_file(tmp_path, db_url):
    srv = start_server(tmp_path / "data", database_url=db_url)
    try:
        before = _stored(srv.data_dir)
        with srv.client() as api:
            unknown = api.post(
                "/api/v1/run/workflows.no-such-flow",
                data={"_json": "{}"},
                files={"doc": ("a.bin", os.urandom(5000), "application/octet-stream")},
            )
            assert_envelope(unknown, 404)
            current = api.post(
                "/v1/runs",
                data={"target": "no-such-flow"},
                files={"files.doc": ("b.bin", os.urandom(5000), "application/octet-stream")},
            )
            assert current.status_code == 404, current.text
            inline = {"$inline": {"filename": "c.bin", "base64": base64.b64encode(os.urandom(99))}}
            inline["$inline"]["base64"] = inline["$inline"]["base64"].decode()
            via_json = api.post(
                "/v1/runs", json={"target": "no-such-flow", "input": {"doc": inline}}
            )
            assert via_json.status_code == 404, via_json.text
            clash = api.post(  # a file and a value for one input: invalid
                "/api/v1/run/workflows.file-info",
                data={"_json": json.dumps({"doc": "x"})},
                files={"doc": ("d.bin", os.urandom(5000), "application/octet-stream")},
            )
            assert_envelope(clash, 400)
        _cut_off_upload(srv)
        assert _stored(srv.data_dir) == before
        _shared_file_survives(srv)
    finally:
        srv.stop()


def _shared_file_survives(srv: Server) -> None:
    """A refused start whose file has the content of a run's file leaves that file."""
    content = os.urandom(3000)
    with srv.client() as api:
        ok = api.post(
            "/api/v1/run/workflows.file-info",
            data={"_json": "{}"},
            files={"doc": ("a.bin", content, "application/octet-stream")},
            params={"wait_for_completion": 20},
        )
        assert ok.status_code == 200, ok.text
        kept = _stored(srv.data_dir)
        refused = api.post(
            "/api/v1/run/workflows.no-such-flow",
            data={"_json": "{}"},
            files={"doc": ("same.bin", content, "application/octet-stream")},
        )
        assert_envelope(refused, 404)
        assert _stored(srv.data_dir) == kept
        again = api.post(f"/api/v1/runs/{ok.json()['runId']}/rerun")
        assert again.status_code == 201, again.text
        run_id = again.json()["runId"]
        deadline = time.monotonic() + 20
        while (run := api.get(f"/api/v1/runs/{run_id}").json()["run"])["status"] not in (
            "completed",
            "failed",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert run["status"] == "completed", run


def test_a_multipart_body_over_the_total_limit_is_413_and_keeps_nothing(tmp_path, db_url):
    srv = start_server(
        tmp_path / "data",
        env={"OPENPAL_MAX_UPLOAD_BYTES": "1000", "OPENPAL_MAX_REQUEST_BYTES": "3000"},
        database_url=db_url,
    )
    try:
        before = _stored(srv.data_dir)
        files = [
            (f"f{i}", (f"{i}.bin", os.urandom(900), "application/octet-stream")) for i in range(5)
        ]
        with srv.client() as api:
            seed = api.post("/api/v1/run/workflows.file-info", data={"_json": "{}"}, files=files)
            body = assert_envelope(seed, 413)
            assert "3000-byte limit" in body["issues"][0]["message"]
            current = api.post(
                "/v1/runs",
                data={"target": "file-info"},
                files=[(f"files.{k}", v) for k, v in files],
            )
            assert_envelope(current, 413)
            assert api.get("/api/v1/runs", params={"source": "file-info"}).json()["runs"] == []
        assert _stored(srv.data_dir) == before
    finally:
        srv.stop()


def _cut_off_upload(srv: Server) -> None:
    """A client that stops in the middle of a file part and goes away."""
    boundary = "b0undary"
    host, port = srv.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /api/v1/run/workflows.file-info HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {srv.api_key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Content-Length: 1000000\r\n\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="doc"; filename="a.bin"\r\n\r\n'.encode()
            + b"x" * 300_000
        )
        time.sleep(0.5)
    time.sleep(1)


def test_the_sign_in_form_reads_no_more_than_a_sign_in_needs(tmp_path):
    srv = start_server(tmp_path / "data")
    try:
        host = srv.base_url.removeprefix("http://")
        started = time.monotonic()
        answer = _raw(  # declares 1 MB, sends 100 bytes: answered without waiting for the rest
            srv,
            f"POST /login HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000000\r\n\r\n".encode()
            + b"api_key="
            + b"a" * 92,
        )
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        assert time.monotonic() - started < 5
        chunked = _raw(  # no length given: refused once 4 KiB have come
            srv,
            f"POST /login HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
            + b"1000\r\n"
            + b"a" * 4096
            + b"\r\n"
            + b"10\r\n"
            + b"a" * 16
            + b"\r\n",
        )
        assert chunked.startswith(b"HTTP/1.1 413"), chunked[:300]
        with srv.client(follow_redirects=False) as web:
            multipart = web.post("/login", files={"api_key": ("k", b"x" * 10)})
            assert_envelope(multipart, 415)
            small = web.post("/login", data={"api_key": "nope", "next": "/runs"})
            assert small.status_code in (401, 403), small.text  # the sign-in route answers
    finally:
        srv.stop()


def test_a_dashboard_form_over_the_request_limit_is_413(tmp_path):
    srv = start_server(tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": "1000"})
    limit = 1000 + 1024 * 1024  # OPENPAL_MAX_REQUEST_BYTES unset: the file limit + 1 MiB
    try:
        host = srv.base_url.removeprefix("http://")
        started = time.monotonic()
        declared = _raw(  # refused on its Content-Length: nothing of it is read
            srv,
            f"POST /workflows/file-info/run HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: multipart/form-data; boundary=b0undary\r\n"
            "Content-Length: 100000000\r\n\r\n--b0undary\r\n".encode(),
        )
        assert declared.startswith(b"HTTP/1.1 413"), declared[:300]
        assert time.monotonic() - started < 5
        with httpx.Client(base_url=srv.base_url) as web:  # signed in, sending chunks
            token = re.search(r'name="token" value="([^"]+)"', web.get("/login").text)
            web.post("/login", data={"api_key": srv.api_key, "token": token[1] if token else ""})

            def body():  # text parts, each within its own limit: the body's limit trips
                for i in range(40):
                    yield b"--b0undary\r\nContent-Disposition: form-data; "
                    yield f'name="f{i}"\r\n\r\n'.encode()
                    yield b"x" * 65536 + b"\r\n"
                yield b"--b0undary--\r\n"

            streamed = web.post(
                "/workflows/file-info/run",
                content=body(),
                headers={"content-type": "multipart/form-data; boundary=b0undary"},
            )
            body_json = assert_envelope(streamed, 413)
            assert f"{limit}-byte limit" in body_json["issues"][0]["message"]
        assert _stored(srv.data_dir) == []
    finally:
        srv.stop()
