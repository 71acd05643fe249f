"""Property-based fuzzing of every JSON API operation `/openapi.json` declares (schemathesis).

A real `openpal serve` is seeded with one of each object (a deployed workflow, runs, an
artifact, a file, an upload session, human reviews); path parameters are drawn either from
the generated values or from those real ids, so requests reach past the 404s, and run
starts also carry the generated value as a real workflow's input (`fuzz_hooks.py`). Each
operation gets schemathesis's coverage cases (boundary and invalid values, positive and
negative) and a fixed number of generated ones, derandomized: the same calls on every run
(`BUDGET`). schemathesis runs as its CLI: its pytest plugin does not support pytest 9.

Every response must be: below 500; strict RFC 8259 JSON (no NaN/Infinity) with a JSON
content type wherever the spec says the answer is JSON; and, for 4xx, the error envelope
of docs/api.md. A second tenant's key asks for each seeded run, step, file, upload and
review of the first tenant and must never see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.automation_flows import deploy, greet
from tests.conftest import Server, start_server
from tests.pg import database_for

HOOKS = Path(__file__).with_name("fuzz_hooks.py")  # run from a fresh folder: no caches kept
# The fixed budget (the file takes about 60 s on two cores): on SQLite every operation,
# 10 generated cases each on top of the coverage cases, and the stateful phase; on
# PostgreSQL only the operations that write (POST, PUT), 8 cases each.
BUDGET = {
    "sqlite": ["--max-examples", "10", "--phases", "examples,coverage,fuzzing,stateful"],
    "postgres": [
        "--max-examples", "8", "--phases", "coverage,fuzzing",
        "--include-method", "POST", "--include-method", "PUT",
    ],
}  # fmt: skip

# path parameter -> real ids of the first tenant (filled by `_seed` before the fuzzing)
REAL: dict[str, list[str]] = {}
# ids a DELETE may consume (so the other operations keep their objects)
DISPOSABLE: dict[str, list[str]] = {}


def _key(server: Server, tenant: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "openpal", "keys", "create", "--tenant", tenant,
         "--data-dir", str(server.data_dir)],
        env=server.env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def _ok(resp: httpx.Response) -> Any:
    assert resp.status_code < 300, resp.text
    return resp.json()


def _terminal(api: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run: dict[str, Any] = api.get(f"/v1/runs/{run_id}").json()
        if run["finished"]:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def _seed(api: httpx.Client) -> None:
    """One of each object the path parameters name, in tenant `default`."""
    REAL.clear()
    DISPOSABLE.clear()
    deployed = _ok(deploy(api, "fuzzed", greet("fuzzed"), "1.0.0"))
    automation = deployed.get("automationId") or _ok(api.get("/v1/automations/fuzzed"))["id"]
    versions = _ok(api.get(f"/v1/automations/{automation}/versions"))["data"]
    _ok(deploy(api, "fuzz-doomed", greet("fuzz-doomed"), "1.0.0"))
    doomed = _ok(api.get("/v1/automations/fuzz-doomed"))["id"]
    workflow = _ok(api.get("/api/v1/workflows/typed"))
    typed = _ok(api.post("/v1/runs", json={"target": "typed", "input": {"s": "x"}}))["id"]
    art = _ok(api.post("/v1/runs", json={"target": "artifacts", "input": {"title": "t"}}))["id"]
    waiting = [
        _ok(api.post("/v1/runs", json={"target": "approval", "input": {"amount": 5}}))["id"]
        for _ in range(3)  # one each for approve, reject and the seed's resume/reject
    ]
    _terminal(api, typed)
    _terminal(api, art)
    steps = _ok(api.get(f"/v1/runs/{typed}/steps"))["steps"]
    artifacts = _ok(api.get(f"/v1/runs/{art}/artifacts"))["artifacts"]
    files = [
        _ok(api.post("/v1/files", files={"file": (f"n{i}.txt", b"hello", "text/plain")}))["id"]
        for i in range(2)
    ]
    upload = {"filename": "big.bin", "contentType": "application/octet-stream", "size": 4000}
    uploads = [_ok(api.post("/v1/files/uploads", json=upload))["uploadId"] for _ in range(2)]
    deadline = time.monotonic() + 30
    while len(tasks := _ok(api.get("/v1/human-reviews"))["tasks"]) < len(waiting):
        assert time.monotonic() < deadline, "the approval run never waited"
        time.sleep(0.05)
    REAL.update(
        target=["workflows.typed", "typed", f"workflows.{workflow['id']}"],
        run_id=[typed, art, *waiting],
        path=[a["path"] for a in artifacts],
        workflow_id=[workflow["id"], "typed"],
        automation_id=[automation, "fuzzed"],
        version_id=[v["id"] for v in versions],
        step_execution_id=[s["id"] for s in steps],
        file_id=files[:1],
        upload_id=uploads[:1],
        task_id=[t["id"] for t in tasks],
        chunk_index=["0"],
    )
    DISPOSABLE.update(automation_id=[doomed], file_id=files[1:], upload_id=uploads[1:])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[tuple[Server, str]]:
    """A seeded server on `backend`, and a key of another tenant."""
    with database_for(backend) as url:
        # files over 1000 bytes go through upload sessions, so there is one to fuzz
        srv = start_server(
            tmp_path_factory.mktemp(f"fuzz-{backend}"),
            env={"OPENPAL_MAX_UPLOAD_BYTES": "1000"},
            database_url=url,
        )
        try:
            with srv.client() as api:
                _seed(api)
            yield srv, _key(srv, "intruder")
        finally:
            srv.stop()


CHECKS = (
    "not_a_server_error",
    "openpal_answer",
    "openpal_tenant_isolation",
    "response_schema_conformance",  # each answer matches the schema of its status
)


def test_fuzzed_requests_get_no_5xx_and_only_strict_json(
    fuzzed: tuple[Server, str], backend: str, tmp_path: Path
) -> None:
    srv, intruder = fuzzed
    seeded = {"real": REAL, "disposable": DISPOSABLE, "intruder": intruder}
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "OPENPAL_FUZZ_SEEDED": json.dumps(seeded),
    }
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{srv.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {srv.api_key}",
        "--checks", ",".join(CHECKS),
        "--generation-deterministic",  # and so no example database
        "--workers", "1",
        "--request-timeout", "30",
        "--continue-on-failure",
        "--warnings", "off",
        "--no-color",
        *BUDGET[backend],
    ]  # fmt: skip
    done = subprocess.run(
        cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    report = done.stdout[-20_000:] + done.stderr[-5_000:]
    assert done.returncode == 0, report
    assert "Tested: 0" not in report, report


# Defects the fuzzing found, kept as plain cases: each was a 500 or a body that was not
# what /openapi.json says.
def test_yaml_with_control_characters_is_a_400(fuzzed: tuple[Server, str]) -> None:
    srv, _ = fuzzed
    with srv.client() as api:
        for text in ("name: a\x9ab", "\x00", "name: fuzzed\nsteps: []\x07"):
            resp = deploy(api, "fuzzed", text, "9.0.0")
            assert resp.status_code == 400, resp.text
            assert resp.json()["issues"][0]["field"] == "yaml", resp.text


def test_the_artifacts_zip_is_documented(fuzzed: tuple[Server, str]) -> None:
    srv, _ = fuzzed
    with srv.client() as api:
        spec = api.get("/openapi.json").json()
        ok = spec["paths"]["/v1/runs/{run_id}/artifacts"]["get"]["responses"]["200"]
        assert set(ok["content"]) == {"application/json", "application/zip"}
        run_id = REAL["run_id"][1]  # the run of `artifacts`
        resp = api.get(f"/v1/runs/{run_id}/artifacts", params={"zip": "1"})
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"


def test_paging_bounds_are_documented(fuzzed: tuple[Server, str]) -> None:
    """`limit` and `offset` carry the bounds the server enforces, so generated valid
    requests are valid (a `limit=0` the spec allows was refused)."""
    srv, _ = fuzzed
    spec = httpx.get(f"{srv.base_url}/openapi.json").json()
    params = [
        p for ops in spec["paths"].values() for op in ops.values() for p in op.get("parameters", [])
    ]
    limits = [p["schema"] for p in params if p["name"] == "limit"]
    offsets = [p["schema"] for p in params if p["name"] == "offset"]
    assert len(limits) >= 6 and len(offsets) >= 5
    assert all(s["minimum"] == 1 and s["maximum"] >= 100 for s in limits), limits
    assert all(s["minimum"] == 0 for s in offsets), offsets
