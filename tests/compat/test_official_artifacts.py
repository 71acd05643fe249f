"""Artifacts with the official, unmodified `eigenpal==0.6.15` SDK: `runs.artifacts.download`
(which refuses any response that is neither JSON nor octet-stream) and
`runs.artifacts.download_zip` (`GET /api/v1/runs/{id}/files-zip`), on both backends."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from eigenpal import EigenpalClient, EigenpalNotFoundError, EigenpalValidationError

from tests.conftest import start_server

ARTIFACTS = {
    "report.txt": b"Report: SDK\n",
    "data/raw.bin": bytes(range(256)) * 4,
    "table.csv": b"a,b\n1,2\n",
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, module_db_url):
    s = start_server(tmp_path_factory.mktemp("compat-artifacts"), database_url=module_db_url)
    yield s
    s.stop()


@pytest.fixture
def client(srv):
    with EigenpalClient(api_key=srv.api_key, base_url=srv.base_url) as c:
        yield c


@pytest.fixture(scope="module")
def run_id(srv):
    with EigenpalClient(api_key=srv.api_key, base_url=srv.base_url) as c:
        done = c.run("workflows.artifacts", {"title": "SDK"}, wait_for_completion=30)
    assert getattr(done.status, "value", done.status) == "completed"
    return done.run_id


def test_download_each_artifact(client, run_id):
    for path, content in ARTIFACTS.items():
        assert client.runs.artifacts.download(run_id, path) == content


def test_the_sdk_gets_octet_stream_and_everyone_else_the_real_type(srv, run_id):
    headers = {"Authorization": f"Bearer {srv.api_key}"}
    url = f"{srv.base_url}/api/v1/runs/{run_id}/artifact/report.txt"
    plain = httpx.get(url, headers=headers)
    assert plain.headers["content-type"].startswith("text/plain")
    as_sdk = httpx.get(url, headers={**headers, "X-Eigenpal-Sdk": "python"})
    assert as_sdk.headers["content-type"] == "application/octet-stream"
    assert as_sdk.headers["x-artifact-content-type"].startswith("text/plain")
    assert 'filename="report.txt"' in as_sdk.headers["content-disposition"]
    assert as_sdk.content == ARTIFACTS["report.txt"]


def test_download_zip_of_all_or_some(client, run_id):
    everything = zipfile.ZipFile(io.BytesIO(client.runs.artifacts.download_zip(run_id)))
    assert sorted(everything.namelist()) == sorted(ARTIFACTS)
    for path, content in ARTIFACTS.items():
        assert everything.read(path) == content
    some = client.runs.artifacts.download_zip(run_id, files="table.csv,data/raw.bin")
    assert sorted(zipfile.ZipFile(io.BytesIO(some)).namelist()) == ["data/raw.bin", "table.csv"]


def test_missing_artifacts_and_runs_raise_the_sdk_errors(client, run_id):
    with pytest.raises(EigenpalNotFoundError):
        client.runs.artifacts.download(run_id, "nope.txt")
    with pytest.raises(EigenpalNotFoundError):
        client.runs.artifacts.download_zip("exec_nope")
    with pytest.raises(EigenpalNotFoundError):
        client.runs.artifacts.download_zip(run_id, files="report.txt,nope.txt")
    with pytest.raises(EigenpalValidationError):
        client.runs.artifacts.download_zip(run_id, token="signed")
