"""Authentication and the error envelope on every error path."""

from __future__ import annotations

import os
import stat

import httpx

from tests.api.test_runs import assert_envelope


def test_missing_wrong_and_malformed_keys_are_401(server):
    url = f"{server.base_url}/api/v1/runs"
    assert_envelope(httpx.get(url), 401)
    assert_envelope(httpx.get(url, headers={"Authorization": "Bearer opk_wrong"}), 401)
    assert_envelope(httpx.get(url, headers={"Authorization": f"Basic {server.api_key}"}), 401)
    ok = httpx.get(url, headers={"Authorization": f"Bearer {server.api_key}"})
    assert ok.status_code == 200


def test_first_start_wrote_a_private_key_file(server):
    path = server.data_dir / "api-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "Created an API key" in server.log() and server.api_key in server.log()


def test_unknown_route_and_method_are_enveloped(api):
    assert_envelope(api.get("/api/v1/nothing-here"), 404)
    assert_envelope(api.get("/not-an-api-path"), 404)
    body = assert_envelope(api.delete("/api/v1/runs"), 405)
    assert body["issues"][0]["code"] == "method_not_allowed"
    # one path served by two routes (list and start): Allow names both
    resp = api.delete("/v1/runs")
    assert_envelope(resp, 405)
    assert {m.strip() for m in resp.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}


def test_unknown_run_is_404(api):
    body = assert_envelope(api.get("/api/v1/runs/exec_doesnotexist"), 404)
    assert "exec_doesnotexist" in body["issues"][0]["message"]


def test_request_id_on_success_too(api):
    resp = api.get("/api/v1/runs")
    assert resp.headers["x-request-id"].startswith("req_")


def test_openapi_is_served(server):
    spec = httpx.get(f"{server.base_url}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/run/{target}",
        "/api/v1/runs",
        "/api/v1/runs/{run_id}",
        "/api/v1/runs/{run_id}/cancel",
        "/api/v1/runs/{run_id}/rerun",
        "/api/v1/workflows/{workflow_id}/versions",
    ):
        assert path in spec["paths"]


def test_workflows_list_get_versions(api):
    page = api.get("/api/v1/workflows").json()
    assert set(page) >= {"data", "total", "limit", "offset"}
    slugs = {w["slug"] for w in page["data"]}
    assert {"hello", "slow-count", "extract-invoice", "typed", "fails"} <= slugs
    assert page["total"] == len(page["data"])
    one = api.get("/api/v1/workflows", params={"name": "hello"}).json()
    assert [w["slug"] for w in one["data"]] == ["hello"]
    search = api.get("/api/v1/workflows", params={"search": "invoice"}).json()
    assert [w["slug"] for w in search["data"]] == ["extract-invoice"]
    by_slug = api.get("/api/v1/workflows/hello").json()
    assert by_slug["id"].startswith("wf_") and "name: hello" in by_slug["yamlContent"]
    by_id = api.get(f"/api/v1/workflows/{by_slug['id']}").json()
    assert by_id == by_slug
    versions = api.get(f"/api/v1/workflows/{by_slug['id']}/versions").json()
    assert versions["total"] >= 1 and versions["data"][0]["isCurrent"] is True
    assert versions["data"][0]["workflowId"] == by_slug["id"]
    assert_envelope(api.get("/api/v1/workflows/nope"), 404)
    assert_envelope(api.get("/api/v1/workflows", params={"limit": 1000}), 400, "query.limit")


def test_nul_characters_are_bad_input_on_every_backend(api):
    """PostgreSQL cannot store NUL: a name with one matches nothing, a filter with one is 400."""
    body = assert_envelope(api.get("/api/v1/runs/exec_%00x"), 404)
    assert body["issues"][0]["field"] == "<path>"
    body = assert_envelope(api.get("/api/v1/runs", params={"batchId": "a\x00b"}), 400)
    assert body["issues"][0]["field"] == "batchId"
    assert_envelope(api.post("/api/v1/run/workflows.hel%00lo", json={}), 404)
    ok = api.post("/api/v1/run/workflows.hello?wait_for_completion=30", json={"name": "a\x00b"})
    assert ok.status_code == 200, ok.text  # inside JSON input a NUL is just data
    assert ok.json()["output"]["greeting"].endswith("a\x00b!")
