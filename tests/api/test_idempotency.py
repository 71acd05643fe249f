"""Idempotency-Key on run starts: same key and body → same run; other body → 409."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.api.test_runs import assert_envelope


def _key() -> str:
    return f"key-{time.time_ns()}"


def test_same_key_same_body_returns_the_same_run(api):
    key = _key()
    headers = {"Idempotency-Key": key}
    first = api.post("/api/v1/run/workflows.hello", json={"name": key}, headers=headers)
    again = api.post("/api/v1/run/workflows.hello", json={"name": key}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["runId"] == again.json()["runId"]
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    held = api.post(
        "/api/v1/run/workflows.hello",
        json={"name": key},
        headers=headers,
        params={"wait_for_completion": 20},
    )
    assert held.status_code == 200 and held.json()["runId"] == first.json()["runId"]
    assert held.json()["output"]["name"] == key


def test_same_key_other_body_is_409(api):
    key = _key()
    api.post("/api/v1/run/workflows.hello", json={"name": "a"}, headers={"Idempotency-Key": key})
    body = assert_envelope(
        api.post(
            "/api/v1/run/workflows.hello", json={"name": "b"}, headers={"Idempotency-Key": key}
        ),
        409,
    )
    assert "different request" in body["issues"][0]["message"]
    other = api.post(
        "/api/v1/run/workflows.hello", json={"name": "b"}, headers={"Idempotency-Key": key + "-2"}
    )
    assert other.status_code == 201


def test_concurrent_duplicates_create_one_run(server):
    key = _key()

    def start(_: int) -> str:
        with server.client() as c:
            resp = c.post(
                "/api/v1/run/workflows.hello", json={"name": key}, headers={"Idempotency-Key": key}
            )
            assert resp.status_code == 201, resp.text
            return str(resp.json()["runId"])

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(start, range(16)))
    assert len(ids) == 1
    with server.client() as api:
        runs = api.get("/api/v1/runs", params={"source": "hello", "limit": 100}).json()["runs"]
        details = [
            api.get(f"/api/v1/runs/{r['id']}", params={"include": "detail"}).json()["run"]
            for r in runs
        ]
        assert sum(1 for d in details if d["input"] == {"name": key}) == 1


def test_bad_key_is_400(api):
    resp = api.post("/api/v1/run/workflows.hello", json={}, headers={"Idempotency-Key": "x" * 300})
    assert_envelope(resp, 400, "header.Idempotency-Key")


def test_sdk_sends_the_key(server):
    from openpal import EigenpalClient

    key = _key()
    with EigenpalClient(api_key=server.api_key, base_url=server.base_url) as c:
        a = c.run("workflows.hello", {"name": key}, idempotency_key=key)
        b = c.run("workflows.hello", {"name": key}, idempotency_key=key)
    assert a.id == b.id
