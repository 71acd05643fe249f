"""`/v1/files` over a real socket against a live `openpal serve`, on both backends: upload
negotiation, one-request and http-chunked uploads, reads, tenants, limits, bad bodies,
and the official 0.20.93 SDK's `files.upload`. Bodies are checked with its models."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.api.test_runs import assert_envelope
from tests.conftest import Server, start_server
from tests.v1_models import assert_models, current_sdk_python

LIMIT = 1000  # OPENPAL_MAX_UPLOAD_BYTES of the small-limit server
FILE_LIMIT = 20_000  # its OPENPAL_MAX_FILE_BYTES


def _upload(api: httpx.Client, content: bytes, name="note.txt", ctype="text/plain", **data):
    return api.post("/v1/files", files={"file": (name, content, ctype)}, data=data or None)


def _negotiate(api: httpx.Client, size: int, **extra) -> httpx.Response:
    body = {"filename": "big.bin", "contentType": "application/octet-stream", "size": size}
    return api.post("/v1/files/uploads", json={**body, **extra})


def _second_key(server: Server, tenant: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", tenant,
         "--data-dir", str(server.data_dir)],
        env=server.env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return out.stdout.strip()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None):
    """A server whose one-request limit is 1000 bytes (files up to 20,000 go chunked)."""
    srv = start_server(
        tmp_path_factory.mktemp("files-small"),
        env={"OPENPAL_MAX_UPLOAD_BYTES": str(LIMIT), "OPENPAL_MAX_FILE_BYTES": str(FILE_LIMIT)},
        database_url=module_db_url,
    )
    yield srv
    srv.stop()


def test_upload_read_download_delete(api):
    negotiated = _negotiate(api, 11, idempotencyKey=str(uuid.uuid4()), purpose="run-input")
    assert negotiated.status_code == 200, negotiated.text
    fallback = negotiated.json()
    assert fallback["transport"] == "multipart" and fallback["url"] == "/v1/files"
    assert fallback["maxFileSizeBytes"] == 50 * 1024 * 1024
    made = _upload(api, b"hello files", purpose="run-input")
    assert made.status_code == 200, made.text
    file = made.json()
    assert file["id"].startswith("file_") and file["filename"] == "note.txt"
    assert (file["contentType"], file["size"], file["purpose"]) == ("text/plain", 11, "run-input")
    got = api.get(f"/v1/files/{file['id']}").json()
    assert got == file
    content = api.get(f"/v1/files/{file['id']}/content")
    assert content.status_code == 200 and content.content == b"hello files"
    assert content.headers["content-type"].startswith("text/plain")
    durable = _upload(api, b"\x00\x01binary", name="data.bin", ctype="application/x-thing").json()
    assert "purpose" not in durable and durable["contentType"] == "application/x-thing"
    deleted = api.delete(f"/v1/files/{file['id']}")
    assert deleted.json() == {"deleted": True}
    assert_envelope(api.get(f"/v1/files/{file['id']}"), 404, "id")
    assert_envelope(api.get(f"/v1/files/{file['id']}/content"), 404, "id")
    assert_envelope(api.delete(f"/v1/files/{file['id']}"), 404, "id")
    assert_models(
        ("MultipartFileUploadFallback", fallback),
        ("File", file),
        ("File", durable),
        ("DeleteFileResponse", deleted.json()),
    )


def test_file_ids_in_run_inputs_and_tenants(api, server):
    file = _upload(api, b"an invoice", name="inv.txt").json()
    ran = api.post(
        "/v1/runs",
        params={"wait_for_completion": 30},
        json={"target": "workflows.file-info", "input": {"doc": {"$fileId": file["id"]}}},
    )
    assert ran.status_code == 200, ran.text
    output = ran.json()["output"]
    assert output["name"] == "inv.txt"
    assert output["info"]["sha256"] == hashlib.sha256(b"an invoice").hexdigest()
    # another tenant sees none of it: not the file, not its content, not as a run input
    other = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {_second_key(server, 'b')}"}
    )
    with other:
        assert_envelope(other.get(f"/v1/files/{file['id']}"), 404, "id")
        content = other.get(f"/v1/files/{file['id']}/content")
        assert b"an invoice" not in content.content
        assert_envelope(content, 404, "id")
        assert_envelope(other.delete(f"/v1/files/{file['id']}"), 404, "id")
        stolen = other.post(
            "/v1/runs",
            json={"target": "workflows.file-info", "input": {"doc": {"$fileId": file["id"]}}},
        )
        body = assert_envelope(stolen, 404, "input.doc")
        assert "an invoice" not in stolen.text and body["issues"][0]["code"] == "not_found"
    unknown = api.post(
        "/v1/runs",
        json={"target": "workflows.file-info", "input": {"doc": {"$fileId": "file_nope"}}},
    )
    assert_envelope(unknown, 404, "input.doc")
    not_a_string = api.post(
        "/v1/runs", json={"target": "workflows.file-info", "input": {"doc": {"$fileId": 7}}}
    )
    assert_envelope(not_a_string, 400, "input.doc")
    assert api.get(f"/v1/files/{file['id']}").status_code == 200  # still the owner's


def test_bad_bodies_name_their_fields(api):
    missing = assert_envelope(api.post("/v1/files/uploads", json={}), 400)
    assert {i["field"] for i in missing["issues"]} == {"filename", "contentType", "size"}
    for extra, field in (
        ({"size": -1}, "size"),
        ({"size": True}, "size"),
        ({"size": "12"}, "size"),
        ({"purpose": "forever"}, "purpose"),
        ({"idempotencyKey": ""}, "idempotencyKey"),
        ({"filename": "a\x00b"}, "filename"),
        ({"contentType": ""}, "contentType"),
    ):
        body = {"filename": "a.txt", "contentType": "text/plain", "size": 5, **extra}
        assert_envelope(api.post("/v1/files/uploads", json=body), 400, field)
    assert_envelope(api.post("/v1/files/uploads", content=b"{nope"), 400, "<body>")
    assert_envelope(api.post("/v1/files/uploads", json=[1]), 400, "<body>")
    assert_envelope(api.post("/v1/files", json={"file": "x"}), 400, "<body>")
    no_file = api.post("/v1/files", files={"purpose": (None, "run-input")})
    assert_envelope(no_file, 400, "file")
    assert_envelope(_upload(api, b"x", purpose="forever"), 400, "purpose")
    long_purpose = assert_envelope(_upload(api, b"x", purpose="r" * 1025), 413, "purpose")
    assert "1024-byte limit" in long_purpose["issues"][0]["message"]
    not_utf8 = api.post("/v1/files", files={"file": ("a.txt", b"x"), "purpose": (None, b"\xff")})
    assert_envelope(not_utf8, 400, "purpose")
    extra_part = api.post("/v1/files", files={"file": ("a.txt", b"x"), "other": ("b.txt", b"y")})
    assert_envelope(extra_part, 400, "other")
    not_a_file = api.post("/v1/files", files={"file": (None, b"just text")})
    assert_envelope(not_a_file, 400, "file")
    broken = api.post(
        "/v1/files",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert_envelope(broken, 400, "<body>")
    no_boundary = api.post(
        "/v1/files", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert_envelope(no_boundary, 400, "<body>")
    assert_envelope(api.get("/v1/files/uploads/upl_nope"), 404, "uploadId")
    assert_envelope(api.delete("/v1/files/uploads/upl_nope"), 404, "uploadId")
    assert_envelope(api.post("/v1/files/uploads/upl_nope/complete"), 404, "uploadId")
    assert_envelope(api.put("/v1/files/uploads/upl_nope/chunks/0", content=b"x"), 404, "uploadId")


def test_chunked_upload_past_one_request(small):
    content = os.urandom(4 * LIMIT + 500)
    with small.client() as api:
        too_big = _upload(api, b"x" * (LIMIT + 1), name="big.bin")
        body = assert_envelope(too_big, 413, "file")
        assert f"{LIMIT}-byte limit" in body["issues"][0]["message"]
        assert _upload(api, b"x" * LIMIT).status_code == 200  # exactly the limit fits
        assert_envelope(_negotiate(api, FILE_LIMIT + 1), 413, "size")
        fits = _negotiate(api, LIMIT).json()
        assert fits["transport"] == "multipart" and fits["maxFileSizeBytes"] == LIMIT
        key = str(uuid.uuid4())
        session = _negotiate(api, len(content), idempotencyKey=key).json()
        assert session["transport"] == "http-chunked"
        assert (session["chunkSizeBytes"], session["chunkCount"]) == (LIMIT, 5)
        assert session["maxFileSizeBytes"] == FILE_LIMIT
        assert _negotiate(api, len(content), idempotencyKey=key).json() == session
        assert_envelope(
            _negotiate(api, len(content) + 1, idempotencyKey=key), 409, "idempotencyKey"
        )
        upload_id, chunks_url = session["uploadId"], session["chunksUrl"]
        pending = api.get(f"/v1/files/uploads/{upload_id}").json()
        assert pending["status"] == "pending" and pending["fileId"] == session["fileId"]
        headers = {"Authorization": f"Bearer {_second_key(small, 'b')}"}
        with httpx.Client(base_url=small.base_url, headers=headers) as other:
            for method, url in (
                ("GET", f"/v1/files/uploads/{upload_id}"),
                ("PUT", f"{chunks_url}/0"),
                ("POST", session["completeUrl"]),
                ("DELETE", f"/v1/files/uploads/{upload_id}"),
            ):  # another tenant's session is not there for it
                assert_envelope(other.request(method, url, content=b"x"), 404, "uploadId")

        def put(i: int, data: bytes, url: str = chunks_url) -> httpx.Response:
            return api.put(
                f"{url}/{i}",
                content=data,
                headers={"content-type": "application/octet-stream"},
            )

        accepted = []
        for i in (4, 0, 2):
            resp = put(i, content[i * LIMIT : (i + 1) * LIMIT])
            assert resp.status_code == 200, resp.text
            accepted.append(resp.json())
        assert accepted[0] == {"accepted": True, "chunkIndex": 4, "size": 500}
        assert_envelope(put(1, b"x" * (LIMIT + 1)), 413, "<body>")
        assert_envelope(put(1, b"x" * 10), 400, "<body>")
        assert_envelope(put(5, b"x"), 400, "chunkIndex")
        assert_envelope(put(-1, b"x"), 400, "chunkIndex")
        missing = assert_envelope(api.post(session["completeUrl"], json={}), 409, "chunks")
        assert "1, 3" in missing["issues"][0]["message"]
        assert put(1, b"y" * LIMIT).status_code == 200
        for i in (1, 3):  # chunk 1 sent again replaces the wrong one
            assert put(i, content[i * LIMIT : (i + 1) * LIMIT]).status_code == 200
        done = api.post(session["completeUrl"], json={})
        assert done.status_code == 200, done.text
        file = done.json()
        assert file["id"] == session["fileId"] and file["size"] == len(content)
        assert api.post(session["completeUrl"]).json() == file  # completing again: same file
        assert api.get(f"/v1/files/{file['id']}/content").content == content
        completed = api.get(f"/v1/files/uploads/{upload_id}").json()
        assert completed["status"] == "completed"
        assert_envelope(put(0, content[:LIMIT]), 409, "uploadId")
        assert api.delete(f"/v1/files/uploads/{upload_id}").json() == {"aborted": False}
        # a new key after completion starts a new session; aborting it drops its chunks
        second = _negotiate(api, len(content), idempotencyKey=key).json()
        assert second["uploadId"] != upload_id
        assert put(0, content[:LIMIT], second["chunksUrl"]).status_code == 200
        aborted = api.delete(f"/v1/files/uploads/{second['uploadId']}").json()
        assert aborted == {"aborted": True}
        assert api.get(f"/v1/files/uploads/{second['uploadId']}").json()["status"] == "aborted"
        assert_envelope(put(0, content[:LIMIT], second["chunksUrl"]), 409, "uploadId")
        assert_envelope(api.post(second["completeUrl"]), 409, "uploadId")
    assert_models(
        ("HttpChunkedFileUploadSession", session),
        ("MultipartFileUploadFallback", fits),
        ("FileUploadSession", pending),
        ("FileUploadSession", completed),
        *[("AcceptHttpChunkedUploadChunkResponse", a) for a in accepted],
        ("File", file),
        ("AbortFileUploadResponse", aborted),
    )


_SDK_UPLOAD = """
import json, sys
from pathlib import Path
from eigenpal import EigenpalClient
from eigenpal._generated.models import DeleteFileResponse, File
base, key, small, big = sys.argv[1:5]
out = {}
with EigenpalClient(api_key=key, base_url=base) as client:
    for name, path in (("small", small), ("big", big)):
        uploaded = client.files.upload(Path(path), purpose="run-input")
        File.from_dict(dict(uploaded))
        got = client.files.get(uploaded["id"])
        File.from_dict(dict(got))
        data = client.files.download(uploaded["id"])
        out[name] = {"file": dict(uploaded), "same": data == Path(path).read_bytes()}
    DeleteFileResponse.from_dict(dict(client.files.delete(out["small"]["file"]["id"])))
print(json.dumps(out))
"""


def test_the_official_sdk_uploads_in_one_request_and_in_chunks(small, tmp_path):
    python = current_sdk_python()
    little, big = tmp_path / "little.txt", tmp_path / "big.bin"
    little.write_bytes(b"small enough")
    big.write_bytes(os.urandom(3 * LIMIT + 7))  # past one request: http-chunked
    done = subprocess.run(
        [python, "-c", _SDK_UPLOAD, small.base_url, small.api_key, str(little), str(big)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + small.log()[-3000:]
    out = json.loads(done.stdout)
    assert out["small"]["same"] and out["big"]["same"]
    assert out["small"]["file"]["filename"] == "little.txt"
    assert out["big"]["file"]["size"] == 3 * LIMIT + 7
    assert out["big"]["file"]["purpose"] == "run-input"
    with small.client() as api:
        assert api.get(f"/v1/files/{out['small']['file']['id']}").status_code == 404
        assert api.get(f"/v1/files/{out['big']['file']['id']}").status_code == 200
