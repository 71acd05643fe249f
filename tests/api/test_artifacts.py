"""Artifacts: files steps write, listed in the run detail, downloadable, on both backends."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import httpx
import pytest

from tests.api.test_runs import assert_envelope


@pytest.fixture
def report_run(api):
    body = api.post(
        "/api/v1/run/workflows.artifacts",
        params={"wait_for_completion": 20},
        json={"title": "Q3"},
    ).json()
    assert body["status"] == "completed", body
    return body["runId"]


def test_artifacts_are_listed_and_downloadable(api, report_run):
    detail = api.get(f"/api/v1/runs/{report_run}", params={"include": "detail"}).json()["run"]
    listed = {a["path"]: a for a in detail["artifacts"]}
    assert sorted(listed) == ["data/raw.bin", "report.txt", "table.csv"]
    assert listed["report.txt"]["mimeType"] == "text/plain"
    assert listed["table.csv"]["mimeType"] == "text/csv" and listed["table.csv"]["size"] == 8
    assert listed["data/raw.bin"]["stepName"] == "write"
    text = api.get(listed["report.txt"]["url"])
    assert text.status_code == 200 and text.text == "Report: Q3\n"
    assert text.headers["content-type"].startswith("text/plain")
    assert 'filename="report.txt"' in text.headers["content-disposition"]
    raw = api.get(f"/api/v1/runs/{report_run}/artifact/data/raw.bin")
    assert raw.content == bytes(range(256)) * 4
    assert api.get(f"/api/v1/runs/{report_run}/artifact/table.csv").content == b"a,b\n1,2\n"


@pytest.mark.parametrize(
    "path",
    [
        "../../../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e/report.txt",
        "data/../report.txt",
        "data//raw.bin",
        "./report.txt",
    ],
)
def test_path_traversal_is_refused(server, report_run, path):
    # http.client sends the path exactly as written (httpx would normalise the dots away)
    host, port = server.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(
            "GET",
            f"/api/v1/runs/{report_run}/artifact/{path}",
            headers={"Authorization": f"Bearer {server.api_key}"},
        )
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 400, body
    assert body["issues"][0]["field"] == "path"


def test_unknown_artifacts_and_runs_are_404(api, report_run):
    assert_envelope(api.get(f"/api/v1/runs/{report_run}/artifact/nope.txt"), 404)
    assert_envelope(api.get("/api/v1/runs/exec_nope/artifact/report.txt"), 404)


def test_another_tenants_artifacts_are_404(server, report_run):
    made = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", "other",
         "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        env=server.env(),
        check=True,
    )  # fmt: skip
    other = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {made.stdout.strip()}"}
    )
    with other:
        assert_envelope(other.get(f"/api/v1/runs/{report_run}/artifact/report.txt"), 404)
        assert_envelope(other.get(f"/api/v1/runs/{report_run}"), 404)


def test_a_bad_artifact_path_fails_the_step(api):
    body = api.post(
        "/api/v1/run/workflows.bad-artifact", params={"wait_for_completion": 20}, json={}
    ).json()
    assert body["status"] == "failed"
    assert "artifact path '../escape.txt'" in body["error"]
