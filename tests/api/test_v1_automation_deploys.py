"""Versions deployed over `/v1/automations` across processes: a restart reloading the same
folder keeps what the API decided, a worker in another process runs what an API process
deployed, and the official 0.20.93 SDK drives the automation calls."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.api.automation_flows import (
    SHOUT,
    current_version,
    deploy,
    greet,
    run_output,
    write_flows,
)
from tests.api.test_runs import assert_envelope
from tests.conftest import start_server, start_worker
from tests.v1_models import current_sdk_python


def test_a_restart_keeps_what_the_api_decided(tmp_path, db_url):
    flows = write_flows(tmp_path / "flows", "steady")
    data = tmp_path / "data"

    def serve():
        return start_server(data, workflows=flows, database_url=db_url)

    srv = serve()
    try:
        with srv.client() as api:
            v1 = current_version(api, "steady")
            v2 = deploy(api, "steady", greet("steady", 2), "2.0.0").json()
            shout = deploy(api, "workflows.shouter", SHOUT.format(slug="shouter"), "1.0.0")
            assert shout.status_code == 201, shout.text
            # a python step of a version sent over the API imports from the workflows folder
            assert run_output(api, "shouter", {"who": "ada"}) == {"text": "HI ADA!"}
    finally:
        srv.stop()
    srv = serve()  # the same folder again: known content, the API's pointer stays
    try:
        with srv.client() as api:
            assert current_version(api, "steady")["id"] == v2["id"]
            assert run_output(api, "steady", {"who": "Bo"}) == {"text": "v2 Bo"}
            assert run_output(api, "shouter", {"who": "bo"}) == {"text": "HI BO!"}
            promoted = api.post(f"/v1/automations/steady/versions/{v1['id']}/promote")
            assert promoted.status_code == 200, promoted.text
            assert api.delete("/v1/automations/shouter").status_code == 200
    finally:
        srv.stop()
    srv = serve()
    try:
        with srv.client() as api:
            assert current_version(api, "steady")["id"] == v1["id"]  # promoted: still v1
            assert_envelope(api.get("/v1/automations/shouter"), 404)  # deleted: still gone
            assert api.delete("/v1/automations/steady").status_code == 200
    finally:
        srv.stop()
    srv = serve()
    try:
        with srv.client() as api:
            assert_envelope(api.get("/v1/automations/steady"), 404)  # the file did not revive it
    finally:
        srv.stop()
    edited = greet("steady").replace("v1 ", "v1.1 ")
    (flows / "steady.yaml").write_text(edited.replace('"1.0.0"', '"1.1.0"'))  # a new label
    srv = serve()  # an edited file is content never seen: it comes back, current
    try:
        with srv.client() as api:
            assert current_version(api, "steady")["sourceRef"].endswith("steady.yaml")
            assert run_output(api, "steady", {"who": "Cy"}) == {"text": "v1.1 Cy x1"}
            assert api.get("/v1/automations/steady/versions").json()["total"] == 3
    finally:
        srv.stop()


def test_a_version_deployed_on_an_api_process_runs_on_a_worker_process(tmp_path, db_url, backend):
    if backend != "postgres":
        pytest.skip("API and worker processes share a database only on PostgreSQL")
    # the API process's folder has no python modules; the worker's folder has them
    api_flows = tmp_path / "api-flows"
    api_flows.mkdir()
    worker_flows = write_flows(tmp_path / "worker-flows")
    srv = start_server(
        tmp_path / "api", workflows=api_flows, args=("--no-worker",), database_url=db_url
    )
    worker = start_worker(tmp_path / "worker", database_url=db_url, workflows=worker_flows)
    try:
        with srv.client() as api:
            made = deploy(api, "workflows.remote", greet("remote"), "1.0.0")
            assert made.status_code == 201, made.text
            assert run_output(api, "remote", {"who": "Ada"}) == {"text": "v1 Ada x1"}
            v2 = deploy(api, "remote", greet("remote", 2), "2.0.0").json()
            assert run_output(api, "remote", {"who": "Bo"}) == {"text": "v2 Bo"}
            deploy(api, "workflows.remote-shout", SHOUT.format(slug="remote-shout"), "1.0.0")
            assert run_output(api, "remote-shout", {"who": "cy"}) == {"text": "HI CY!"}
            first = current_version(api, "remote")
            assert first["id"] == v2["id"]
        assert "deployed version" not in worker.log()  # the worker only read the store
    finally:
        worker.stop()
        srv.stop()


def test_another_api_process_starts_what_was_deployed_promoted_and_deleted(
    tmp_path, db_url, backend
):
    """API processes keep workflow records in memory on PostgreSQL; a change made through
    API B reaches API A's next starts (a trigger announces it), never a stale version."""
    if backend != "postgres":
        pytest.skip("API processes share a database only on PostgreSQL")
    flows = write_flows(tmp_path / "flows", "moving")
    a = start_server(tmp_path / "a", workflows=flows, database_url=db_url)
    b = start_server(tmp_path / "b", workflows=flows, database_url=db_url, api_key=a.api_key)

    def answers(api, expected, tries=100):  # each try is a whole held run on API A
        for _ in range(tries):
            resp = api.post("/api/v1/run/workflows.moving", json={"who": "A"},
                            params={"wait_for_completion": 30})  # fmt: skip
            got = resp.json().get("output") if resp.status_code == 200 else resp.status_code
            if got == expected:
                return
        raise AssertionError(f"API A still answers {got!r}, not {expected!r}")

    try:
        with a.client() as api_a, b.client() as api_b:
            answers(api_a, {"text": "v1 A x1"})  # API A now keeps the record
            v1 = current_version(api_b, "moving")
            made = deploy(api_b, "moving", greet("moving", 2), "2.0.0")
            assert made.status_code == 201, made.text
            answers(api_a, {"text": "v2 A"})
            promoted = api_b.post(f"/v1/automations/moving/versions/{v1['id']}/promote")
            assert promoted.status_code == 200, promoted.text
            answers(api_a, {"text": "v1 A x1"})
            assert api_b.delete("/v1/automations/moving").status_code == 200
            answers(api_a, 404)
    finally:
        b.stop()
        a.stop()


SDK_SCRIPT = """
import json, os, sys
from eigenpal import EigenpalClient
from eigenpal._generated import models as m

yaml_v2 = sys.argv[1]
c = EigenpalClient(api_key=os.environ["KEY"], base_url=os.environ["BASE"])
out = {}
page = c.automations.list(search="greeter", type="workflow", folder_id=None, limit=10, offset=0)
m.ListAutomationsResponse.from_dict(page)
out["listed"] = [a["slug"] for a in page["data"]]
detail = c.automations.get("workflows.sdk-greeter")
m.AutomationDetail.from_dict(detail)
out["input"] = sorted(detail["inputSchema"]["properties"])
versions = c.automations.versions("sdk-greeter")
m.ListAutomationVersionsResponse.from_dict(versions)
triggers = c.automations.triggers(detail["id"])
m.AutomationTriggersResponse.from_dict(triggers)
new = c.automations.create_version(
    "workflows.sdk-greeter", version="2.0.0", yaml=yaml_v2, activate=False
)
m.AutomationVersion.from_dict(new)
out["created"] = [new["version"], new["isCurrent"]]
promoted = c.automations.promote_version("workflows.sdk-greeter", new["id"])
m.AutomationVersion.from_dict(promoted)
out["promoted"] = promoted["isCurrent"]
run = c.run("workflows.sdk-greeter", {"who": "SDK"}, wait_for_completion=30)
out["output"] = run["output"]
out["version"] = run["source"]["version"]
print(json.dumps(out))
"""


def test_the_official_sdk_lists_reads_and_deploys(tmp_path, db_url):
    python = current_sdk_python()
    flows = write_flows(tmp_path / "flows", "sdk-greeter")
    srv = start_server(tmp_path / "data", workflows=flows, database_url=db_url)
    try:
        env = {**srv.env(), "KEY": srv.api_key, "BASE": srv.base_url}
        done = subprocess.run(
            [python, "-c", SDK_SCRIPT, greet("sdk-greeter", 2)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["listed"] == ["sdk-greeter"]
        assert out["input"] == ["times", "who"]
        assert out["created"] == ["2.0.0", False] and out["promoted"] is True
        assert out["output"] == {"text": "v2 SDK"} and out["version"] == "2.0.0"
    finally:
        srv.stop()
