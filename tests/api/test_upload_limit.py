"""An upload over the size limit answers 413 with the envelope and leaves nothing behind."""

from __future__ import annotations

import socket

from tests.api.test_runs import assert_envelope
from tests.conftest import start_server


def test_oversized_file_is_413_and_nothing_is_kept(tmp_path, db_url):
    srv = start_server(
        tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": "1000"}, database_url=db_url
    )
    try:
        with srv.client() as api:
            resp = api.post(
                "/api/v1/run/workflows.file-info",
                data={"_json": "{}"},
                files={"doc": ("big.bin", b"x" * 5000, "application/octet-stream")},
            )
            body = assert_envelope(resp, 413)
            assert "1000-byte limit" in body["issues"][0]["message"]
            assert api.get("/api/v1/runs", params={"source": "file-info"}).json()["runs"] == []
            ok = api.post(
                "/api/v1/run/workflows.file-info",
                data={"_json": "{}"},
                files={"doc": ("small.bin", b"x" * 999, "application/octet-stream")},
                params={"wait_for_completion": 20},
            )
            assert ok.status_code == 200 and ok.json()["output"]["info"]["size"] == 999
        blobs = tmp_path / "data" / "blobs"
        assert list((blobs / "tmp").iterdir()) == []
        assert [p.stat().st_size for p in (blobs / "sha256").rglob("*") if p.is_file()] == [999]
    finally:
        srv.stop()


def _answer_to_a_partly_sent_upload(srv, path: str, field: str, head: bytes) -> bytes:
    """Send the first 64 KiB of a multipart body that declares 100 MB, then wait for the
    answer: a server that enforces the limit while reading answers before the rest."""
    boundary = "b0undary"
    start = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    host, port = srv.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {srv.api_key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {100_000_000}\r\n\r\n".encode()
            + head
            + start
            + b"x" * 65536
        )
        answer = b""
        while b"}" not in answer and (got := sock.recv(65536)):  # the envelope, whole
            answer += got
        return answer


def test_a_file_part_over_the_limit_is_refused_while_it_arrives(tmp_path, db_url):
    srv = start_server(
        tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": "1000"}, database_url=db_url
    )
    try:
        seed = _answer_to_a_partly_sent_upload(srv, "/api/v1/run/workflows.file-info", "doc", b"")
        assert seed.startswith(b"HTTP/1.1 413"), seed[:200]
        target = b'--b0undary\r\nContent-Disposition: form-data; name="target"\r\n\r\nfile-info\r\n'
        current = _answer_to_a_partly_sent_upload(srv, "/v1/runs", "files.doc", target)
        assert current.startswith(b"HTTP/1.1 413"), current[:200]
        assert b"1000-byte limit" in current
    finally:
        srv.stop()
