"""The S3 blob store against a real S3-compatible HTTP server (moto's, on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import os

import pytest

from openpal.blobs.local import LocalBlobStore
from openpal.blobs.s3 import S3BlobStore, s3_from_env
from tests.conftest import free_port, start_server

CREDS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    import boto3

    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = "b" + os.urandom(6).hex()
    client.create_bucket(Bucket=name)
    return client, name


async def _chunks(data: bytes):
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


async def test_put_resolve_from_another_cache_and_collect(bucket, tmp_path):
    client, name = bucket
    writer = S3BlobStore(client, name, LocalBlobStore(tmp_path / "a"), prefix="t/")
    data = os.urandom(300_000)
    ref = await writer.put_stream(_chunks(data), name="x.bin", mime_type="b/x", max_bytes=10**6)
    key = f"t/sha256/{ref.file_id[7:9]}/{ref.file_id[7:]}"
    assert client.head_object(Bucket=name, Key=key)["ContentLength"] == len(data)
    reader = S3BlobStore(client, name, LocalBlobStore(tmp_path / "b"), prefix="t/")
    got = await reader.resolve({"fileId": ref.file_id, "name": "x.bin", "mimeType": "b/x"})
    assert got.path is not None and got.read() == data  # fetched into b's cache, hash checked
    missing = await reader.resolve({"fileId": "sha256:" + "0" * 64, "name": "m"})
    assert missing.path is None
    # garbage collection: old enough → listed and deleted; written since → kept
    assert ref.file_id in await reader.candidates(older_than=2**62)
    assert await reader.delete([ref.file_id], older_than=0) == 0  # too young: kept
    assert await reader.delete([ref.file_id], older_than=2**62) == 1
    assert "Contents" not in client.list_objects_v2(Bucket=name, Prefix="t/")


def test_configuration_errors_are_clear(tmp_path):
    cache = LocalBlobStore(tmp_path)
    with pytest.raises(ValueError, match="needs OPENPAL_S3_BUCKET"):
        s3_from_env(cache, {})


def test_a_server_on_s3_runs_a_file_workflow(bucket, s3_endpoint, tmp_path, db_url):
    client, name = bucket
    env = {
        **CREDS,
        "OPENPAL_BLOB_STORE": "s3",
        "OPENPAL_S3_BUCKET": name,
        "OPENPAL_S3_ENDPOINT_URL": s3_endpoint,
    }
    srv = start_server(tmp_path / "data", env=env, database_url=db_url)
    try:
        data = b"stored in the bucket" * 100
        with srv.client() as api:
            resp = api.post(
                "/api/v1/run/workflows.file-info",
                params={"wait_for_completion": 20},
                files={"doc": ("d.txt", data, "text/plain")},
            )
        assert resp.json()["status"] == "completed", resp.text
        assert resp.json()["output"]["info"]["sha256"] == hashlib.sha256(data).hexdigest()
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]]
        assert keys == [f"sha256/{hashlib.sha256(data).hexdigest()[:2]}/"
                        f"{hashlib.sha256(data).hexdigest()}"]  # fmt: skip
    finally:
        srv.stop()
