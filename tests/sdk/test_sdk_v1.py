"""openpal's SDK on the current generation (`/v1`) against a live server: deploying
automation versions, uploading files (one request, and in chunks), review tasks."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openpal import AsyncEigenpalClient, EigenpalClient
from openpal.client import (
    Automation,
    AutomationVersion,
    EigenpalConflictError,
    EigenpalError,
    EigenpalNotFoundError,
    EigenpalValidationError,
    File,
    ReviewTask,
)
from tests.conftest import Server, start_server

HELLO_V2 = """\
name: hello
version: 2.0.0
inputs:
  - {name: name, type: string, default: world}
steps:
  - name: greet
    type: transform.template
    with: {template: "Howdy, {{ input.name }}!"}
output:
  greeting: "{{ steps.greet.output.text }}"
  name: "{{ input.name }}"
"""
SMALL_UPLOAD_LIMIT = 1_000_000  # the own server's one-request limit: larger files go in chunks


class Recorder(httpx.HTTPTransport):
    """httpx's transport, noting each request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return super().handle_request(request)


@pytest.fixture
def client(server: Server) -> Iterator[EigenpalClient]:
    with EigenpalClient(api_key=server.api_key, base_url=server.base_url) as c:
        yield c


@pytest.fixture(scope="module")
def own(tmp_path_factory, module_db_url) -> Iterator[Server]:
    """A server of this module's own: its workflows get new versions, and files above
    1 MB are uploaded to it in chunks."""
    srv = start_server(
        tmp_path_factory.mktemp("sdk-v1"),
        database_url=module_db_url,
        env={"OPENPAL_MAX_UPLOAD_BYTES": str(SMALL_UPLOAD_LIMIT)},
    )
    yield srv
    srv.stop()


@pytest.fixture
def own_client(own: Server) -> Iterator[EigenpalClient]:
    with EigenpalClient(api_key=own.api_key, base_url=own.base_url) as c:
        yield c


def _until(client: EigenpalClient, run_id: str, statuses: set[str]) -> Any:
    deadline = time.monotonic() + 30
    while (run := client.runs.get(run_id)).status not in statuses:
        assert time.monotonic() < deadline, f"{run_id} still {run.status}"
        time.sleep(0.05)
    return run


# -- automations ------------------------------------------------------------


def test_automations_list_get_and_versions(client):
    page = client.automations.list(search="hello")
    assert "hello" in [a.slug for a in page.data] and all(
        isinstance(a, Automation) for a in page.data
    )
    assert client.automations.list(limit=1).limit == 1
    assert client.automations.list(search="hello", offset=page.total).data == ()
    hello = client.automations.get("workflows.hello")
    assert hello.id.startswith("wf_") and hello.type == "workflow" and hello.slug == "hello"
    assert client.automations.get("hello").id == client.automations.get(hello.id).id == hello.id
    assert hello.input_schema["properties"]["name"]["type"] == "string"
    versions = client.automations.versions(hello.id)
    assert versions.total >= 1 and all(isinstance(v, AutomationVersion) for v in versions.data)
    assert [v.automation_id for v in versions.data if v.is_current] == [hello.id]
    with pytest.raises(EigenpalNotFoundError):
        client.automations.get("workflows.no-such-workflow")


def test_deploy_a_version_then_promote_another(own_client, tmp_path):
    c = own_client
    deployed = c.automations.create_version("hello", HELLO_V2, version="2.0.0")
    assert isinstance(deployed, AutomationVersion) and deployed.is_current
    assert deployed.version == "2.0.0"
    run = c.run("workflows.hello", {"name": "Ada"}, wait_for_completion=30)
    assert run.output == {"greeting": "Howdy, Ada!", "name": "Ada"}

    path = tmp_path / "hello.yaml"
    path.write_text(HELLO_V2.replace("Howdy", "Ahoy").replace("2.0.0", "3.0.0"))
    candidate = c.automations.create_version("workflows.hello", path, activate=False)
    assert candidate.version == "3.0.0" and not candidate.is_current
    run = c.run("workflows.hello", {"name": "Ada"}, wait_for_completion=30)
    assert run.output["greeting"] == "Howdy, Ada!"  # not activated: runs stay on 2.0.0

    promoted = c.automations.promote_version("hello", candidate.id)
    assert promoted.id == candidate.id and promoted.is_current
    run = c.run("workflows.hello", {"name": "Ada"}, wait_for_completion=30)
    assert run.output["greeting"] == "Ahoy, Ada!"
    current = [v.id for v in c.automations.versions("hello").data if v.is_current]
    assert current == [candidate.id]
    assert c.automations.get("hello").version == "3.0.0"


def test_a_version_that_does_not_load_is_refused_naming_the_line(own_client):
    broken = HELLO_V2.replace("type: transform.template", "type: no.such-step")
    with pytest.raises(EigenpalValidationError) as bad:
        own_client.automations.create_version("hello", broken, version="9.9.9")
    assert bad.value.status == 400 and bad.value.issues
    assert "<yaml>:7:" in bad.value.message and "no.such-step" in bad.value.message
    with pytest.raises(EigenpalError, match="yaml"):
        own_client.automations.create_version("hello", "   ")  # refused before sending
    with pytest.raises(EigenpalNotFoundError):
        own_client.automations.promote_version("hello", "ver_doesnotexist")


# -- files ------------------------------------------------------------------


def test_upload_then_run_on_it_download_and_delete(client, tmp_path):
    path = tmp_path / "contract.pdf"
    path.write_bytes(b"%PDF-1.4 not really" * 500)
    up = client.files.upload(path)
    assert isinstance(up, File) and up.id.startswith("file_")
    assert (up.filename, up.size, up.content_type) == ("contract.pdf", 9500, "application/pdf")
    assert up.purpose == "run-input" and up.ref == {"$fileId": up.id}
    assert client.files.get(up.id) == up
    assert client.files.download(up.id) == path.read_bytes()

    run = client.run("workflows.file-info", {"doc": {"$fileId": up.id}}, wait_for_completion=30)
    assert run.status == "completed", run.error
    assert run.output["info"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.output["name"] == "contract.pdf"

    assert client.files.delete(up.id) is True
    with pytest.raises(EigenpalNotFoundError):
        client.files.get(up.id)
    with pytest.raises(EigenpalNotFoundError):
        client.files.download(up.id)


def test_upload_bytes_and_file_handles(client):
    up = client.files.upload(b"a,b\n1,2\n", filename="t.csv", content_type="text/csv", purpose=None)
    assert (up.filename, up.size, up.content_type, up.purpose) == ("t.csv", 8, "text/csv", None)
    assert client.files.download(up.id) == b"a,b\n1,2\n"
    handle = io.BytesIO(b"HEADER|payload bytes")
    handle.seek(7)  # the upload starts where the handle stands
    up = client.files.upload(handle, filename="p.bin")
    assert up.size == 13 and client.files.download(up.id) == b"payload bytes"
    with pytest.raises(EigenpalError, match="filename"):
        client.files.upload(b"no name")
    with pytest.raises(EigenpalNotFoundError):
        client.run("workflows.file-info", {"doc": {"$fileId": "file_doesnotexist"}})


def test_a_file_above_one_requests_limit_goes_in_chunks(own, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 14_000)  # 3.58 MB: four 1 MB chunks
    recorder = Recorder()
    with EigenpalClient(api_key=own.api_key, base_url=own.base_url, transport=recorder) as c:
        up = c.files.upload(big)
        assert up.size == big.stat().st_size
        puts = [p for m, p in recorder.sent if m == "PUT"]
        assert len(puts) == 4 and puts[0].endswith("/chunks/0") and puts[3].endswith("/3")
        assert recorder.sent[0] == ("POST", "/v1/files/uploads")
        assert c.files.download(up.id) == big.read_bytes()
        run = c.run("workflows.file-info", {"doc": up.ref}, wait_for_completion=30)
        assert run.output["info"]["size"] == big.stat().st_size


# -- human reviews ----------------------------------------------------------


def _waiting_task(client: EigenpalClient, amount: int) -> tuple[str, ReviewTask]:
    run = client.run("workflows.approval", {"amount": amount})
    _until(client, run.run_id, {"waiting"})
    page = client.human_reviews.list(automation_id="approval", limit=100)
    (task,) = [t for t in page.tasks if t.run_id == run.run_id]
    return run.run_id, task


def test_approve_a_review_task(client):
    run_id, task = _waiting_task(client, 7)
    assert (task.status, task.step_name, task.automation_id[:3]) == ("pending", "review", "wf_")
    detail = client.human_reviews.get(task.id)
    assert detail.id == task.id and detail.input is not None
    approved = client.human_reviews.approve(
        task.id, expected_version=task.version, output={"by": "sdk"}
    )
    assert approved.status == "approved" and approved.run_id == run_id
    run = _until(client, run_id, {"completed", "failed", "cancelled", "rejected"})
    assert run.output == {"approved_by": "sdk", "amount": 7}
    with pytest.raises(EigenpalConflictError):
        client.human_reviews.approve(task.id)


def test_reject_a_review_task_and_page_through_tasks(client):
    first, a = _waiting_task(client, 1)
    _, b = _waiting_task(client, 2)
    seen, cursor = [], None
    while True:
        page = client.human_reviews.list(automation_id="approval", limit=1, cursor=cursor)
        assert len(page) <= 1
        seen += [t.id for t in page]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert {a.id, b.id} <= set(seen) and len(seen) == len(set(seen))
    with pytest.raises(EigenpalConflictError):
        client.human_reviews.reject(a.id, "stale", expected_version=a.version + 5)
    rejected = client.human_reviews.reject(a.id, "no budget")
    assert rejected.status == "rejected" and rejected.outcome_reason
    assert client.runs.get(first).error == "rejected by reviewer: no budget"
    assert client.human_reviews.approve(b.id).status == "approved"
    with pytest.raises(EigenpalNotFoundError):
        client.human_reviews.get("hrt_doesnotexist")


# -- the async client -------------------------------------------------------


@pytest.fixture(params=["own", "httpx"])
def transport(request) -> httpx.AsyncBaseTransport | None:
    """The async client's own HTTP/1.1 transport (None: the default) or httpx's."""
    return httpx.AsyncHTTPTransport() if request.param == "httpx" else None


def test_async_client_v1_resources(server, tmp_path, transport):
    path = tmp_path / "note.txt"
    path.write_text("async upload")

    async def main() -> None:
        async with AsyncEigenpalClient(
            api_key=server.api_key, base_url=server.base_url, transport=transport
        ) as c:
            up = await c.files.upload(path)
            assert (await c.files.get(up.id)).size == 12
            assert await c.files.download(up.id) == b"async upload"
            run = await c.run("workflows.file-info", {"doc": up.ref}, wait_for_completion=30)
            assert run.output["info"]["size"] == 12
            assert await c.files.delete(up.id) is True
            hello = await c.automations.get("workflows.hello")
            assert hello.slug == "hello"
            assert hello.id in [a.id for a in (await c.automations.list(search="hello")).data]
            assert any(v.is_current for v in (await c.automations.versions(hello.id)).data)
            waiting = await c.run("workflows.approval", {"amount": 3})
            for _ in range(600):
                page = await c.human_reviews.list(automation_id="approval", limit=100)
                tasks = [t for t in page if t.run_id == waiting.run_id]
                if tasks:
                    break
                await asyncio.sleep(0.05)
            task = await c.human_reviews.get(tasks[0].id)
            assert (await c.human_reviews.reject(task.id, "async no")).status == "rejected"
            with pytest.raises(EigenpalNotFoundError):
                await c.files.get(up.id)

    asyncio.run(main())


def test_the_sdk_sends_what_the_official_sdk_sends():
    """Bodies of create_version and the upload negotiation, as 0.20.93 sends them."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if request.url.path == "/base/v1/files/uploads":
            return httpx.Response(200, json={"transport": "multipart", "url": "/v1/files"})
        if request.url.path == "/base/v1/files":
            body = {"id": "file_1", "filename": "a.txt", "contentType": "text/plain", "size": 1}
            return httpx.Response(201, json={**body, "createdAt": "2026-01-01T00:00:00Z"})
        return httpx.Response(201, json={"id": "ver_1", "automationId": "wf_1", "version": "1"})

    with EigenpalClient(
        api_key="opk_x", base_url="http://openpal.test/base", transport=httpx.MockTransport(handler)
    ) as c:
        c.automations.create_version("workflows.x", "name: x\n", version="1.2.0")
        c.files.upload(b"a", filename="a.txt")
    body = json.loads(seen[0].content)
    assert seen[0].url.path == "/base/v1/automations/workflows.x/versions"
    assert body == {"version": "1.2.0", "yaml": "name: x\n", "activate": True}
    negotiation = json.loads(seen[1].content)
    assert {k: negotiation[k] for k in ("filename", "contentType", "size", "purpose")} == {
        "filename": "a.txt",
        "contentType": "text/plain",
        "size": 1,
        "purpose": "run-input",
    }
    assert len(negotiation["idempotencyKey"]) == 36
    assert seen[2].url.path == "/base/v1/files"  # the relative url joins the base
    assert b'name="file"; filename="a.txt"' in seen[2].content
    assert b'name="purpose"' in seen[2].content
