"""A changed workflow file is a new immutable version; a run pins the version it started on."""

from __future__ import annotations

from tests.api.test_runs import wait_terminal
from tests.conftest import start_server

V1 = """name: versioned
version: "1.0"
inputs: [{name: x, type: integer, default: 1}]
steps:
  - name: slow
    type: python
    with: {function: "wf_steps_v:slow", args: {x: "{{ input.x }}"}}
output: {version: one, x: "{{ steps.slow.output }}"}
"""
V2 = V1.replace('version: "1.0"', 'version: "2.0"').replace("version: one", "version: two")
STEPS = "import time\n\ndef slow(x):\n    time.sleep(0.5)\n    return x\n"


def test_versions_and_pinning(tmp_path, db_url):
    wfdir = tmp_path / "wf"
    wfdir.mkdir()
    (wfdir / "versioned.yaml").write_text(V1)
    (wfdir / "wf_steps_v.py").write_text(STEPS)
    data = tmp_path / "data"
    srv = start_server(data, workflows=wfdir, database_url=db_url)
    try:
        with srv.client() as api:
            wf_id = api.get("/api/v1/workflows/versioned").json()["id"]
            old = api.post("/api/v1/run/workflows.versioned", json={"x": 5}).json()["runId"]
            assert wait_terminal(api, old)["output"] == {"version": "one", "x": 5}
    finally:
        srv.stop()
    (wfdir / "versioned.yaml").write_text(V2)
    srv = start_server(data, workflows=wfdir, database_url=db_url)
    try:
        with srv.client() as api:
            wf = api.get("/api/v1/workflows/versioned").json()
            assert wf["id"] == wf_id and wf["version"] == "2.0"
            versions = api.get("/api/v1/workflows/versioned/versions").json()
            assert [v["version"] for v in versions["data"]] == ["2.0", "1.0"]
            assert [v["isCurrent"] for v in versions["data"]] == [True, False]
            new = api.post(
                "/api/v1/run/workflows.versioned", json={}, params={"wait_for_completion": 20}
            ).json()
            assert new["output"] == {"version": "two", "x": 1}
            pinned = api.post(
                "/api/v1/run/workflows.versioned",
                json={},
                params={"version": "1.0", "wait_for_completion": 20},
            ).json()
            assert pinned["output"] == {"version": "one", "x": 1}
            old_run = api.get(f"/api/v1/runs/{old}").json()["run"]
            assert old_run["version"] == "1.0"
    finally:
        srv.stop()
    # the same content again is not a new version
    srv = start_server(data, workflows=wfdir, database_url=db_url)
    try:
        with srv.client() as api:
            assert api.get("/api/v1/workflows/versioned/versions").json()["total"] == 2
    finally:
        srv.stop()
