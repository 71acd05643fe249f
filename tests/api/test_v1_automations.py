"""`/v1/automations` over HTTP against a real server on each backend: the registry (list,
get with JSON Schemas, versions, triggers) and deploying versions over the API."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests.api.automation_flows import current_version, deploy, greet, run_output, write_flows
from tests.api.test_runs import assert_envelope
from tests.conftest import start_server
from tests.v1_models import assert_models


@pytest.fixture(scope="module")
def srv(tmp_path_factory, module_db_url):
    flows = write_flows(tmp_path_factory.mktemp("flows"), "greeter")
    s = start_server(
        tmp_path_factory.mktemp("automations"), workflows=flows, database_url=module_db_url
    )
    yield s
    s.stop()


@pytest.fixture
def api(srv):
    with srv.client() as c:
        yield c


def _slugs(resp):
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"data", "total", "limit", "offset"}
    return [a["slug"] for a in body["data"]]


def test_list_search_type_and_folders(api):
    everything = api.get("/v1/automations").json()
    slugs = [a["slug"] for a in everything["data"]]
    assert {"greeter", "schema-probe", "hello"} <= set(slugs) and slugs == sorted(slugs)
    assert everything["total"] == len(slugs) and everything["limit"] == 50
    greeter = next(a for a in everything["data"] if a["slug"] == "greeter")
    assert greeter["type"] == "workflow" and greeter["id"].startswith("wf_")
    assert greeter["name"] == "Greeter greeter" and greeter["version"] == "1.0.0"
    assert (greeter["folderId"], greeter["folderPath"], greeter["status"]) == (None, None, "active")
    assert greeter["triggers"] == {"api": True, "email": False, "manual": True, "cron": False}
    assert_models(("ListAutomationsResponse", everything))

    assert _slugs(api.get("/v1/automations", params={"search": "LOUDER"})) == []
    assert "greeter" in _slugs(api.get("/v1/automations", params={"search": "the automation"}))
    assert _slugs(api.get("/v1/automations", params={"search": "probe"})) == ["schema-probe"]
    total = everything["total"]
    assert api.get("/v1/automations", params={"type": "workflow"}).json()["total"] == total
    assert api.get("/v1/automations", params={"type": "agent"}).json() == {
        "data": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert api.get("/v1/automations", params={"folderId": "null"}).json()["total"] == total
    assert api.get("/v1/automations", params={"folderId": "fld_1"}).json()["total"] == 0
    first = _slugs(api.get("/v1/automations", params={"limit": 2}))
    second = _slugs(api.get("/v1/automations", params={"limit": 2, "offset": 2}))
    assert first + second == slugs[:4]

    assert_envelope(api.get("/v1/automations", params={"type": "robot"}), 400, "query.type")
    assert_envelope(api.get("/v1/automations", params={"limit": 0}), 400, "query.limit")
    assert_envelope(api.get("/v1/automations", params={"serach": "x"}), 400, "query.serach")
    both = {"type": "agent", "folderId": "null"}
    assert_envelope(api.get("/v1/automations", params=both), 400, "query.folderId")


def test_get_by_id_alias_and_slug_with_json_schemas(api):
    probe = api.get("/v1/automations/workflows.schema-probe").json()
    assert api.get("/v1/automations/schema-probe").json() == probe
    assert api.get(f"/v1/automations/{probe['id']}").json() == probe
    assert probe["name"] == "Schema probe" and probe["version"] is None
    assert probe["yamlContent"].startswith("name: schema-probe")
    schema = probe["inputSchema"]
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert {k: v["type"] for k, v in props.items()} == {
        "text": "string",
        "ratio": "number",
        "count": "integer",
        "flag": "boolean",
        "meta": "object",
        "tags": "array",
        "doc": "object",
        "attachments": "array",
    }
    assert schema["required"] == ["text", "doc"] and schema["additionalProperties"] is False
    assert props["text"]["description"] == "Any text"
    assert props["count"]["default"] == 3 and props["flag"]["default"] is False
    assert props["tags"]["items"] == {"type": "string"}
    assert props["doc"]["format"] == "file" and props["doc"]["description"] == "The document"
    assert props["attachments"]["items"]["format"] == "file"
    valid = Draft202012Validator(schema)
    assert valid.is_valid({"text": "a", "doc": {"$fileId": "file_1"}, "tags": ["x"]})
    assert not valid.is_valid({"text": "a", "doc": {"$fileId": "file_1"}, "count": "3"})
    assert not valid.is_valid({"doc": {"$fileId": "file_1"}})  # text is required
    assert not valid.is_valid({"text": "a", "doc": {"$fileId": "file_1"}, "other": 1})
    assert probe["outputSchema"] == {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}},
    }
    greeter = api.get("/v1/automations/greeter").json()
    assert greeter["outputSchema"] is None
    assert greeter["inputSchema"]["properties"]["who"]["description"] == "Who to greet"
    assert_models(("AutomationDetail", probe), ("AutomationDetail", greeter))

    assert_envelope(api.get("/v1/automations/workflows.nope"), 404)
    assert_envelope(api.get("/v1/automations/agents.greeter"), 404)
    assert_envelope(api.get("/v1/automations/wf_00000000000000000000000000"), 404)


def test_versions_and_triggers(api):
    versions = api.get("/v1/automations/workflows.greeter/versions").json()
    assert versions["total"] == 1 and versions["limit"] == 100 and versions["offset"] == 0
    (only,) = versions["data"]
    wf = api.get("/v1/automations/greeter").json()
    assert only["isCurrent"] is True and only["automationId"] == wf["id"]
    assert only["version"] == "1.0.0" and only["sourceRef"].endswith("greeter.yaml")
    assert only["id"] == wf["currentVersionId"]
    triggers = api.get("/v1/automations/greeter/triggers").json()
    assert triggers == {
        "automationId": wf["id"],
        "type": "workflow",
        "triggers": {"api": True, "email": False, "manual": True, "cron": False},
    }
    assert_models(
        ("ListAutomationVersionsResponse", versions),
        ("AutomationVersion", only),
        ("AutomationTriggersResponse", triggers),
    )
    assert_envelope(api.get("/v1/automations/nope/versions"), 404)
    assert_envelope(api.get("/v1/automations/nope/triggers"), 404)
    assert_envelope(api.get("/v1/automations/greeter/versions", params={"limit": "x"}), 400)


def test_deploy_promote_restore_and_delete(api):
    slug = "deployed"
    made = deploy(api, f"workflows.{slug}", greet(slug), "1.0.0")  # a new automation
    assert made.status_code == 201, made.text
    v1 = made.json()
    assert v1["isCurrent"] is True and v1["version"] == "1.0.0" and v1["sourceRef"] is None
    assert run_output(api, slug, {"who": "Ada"}) == {"text": "v1 Ada x1"}
    assert deploy(api, slug, greet(slug), "1.0.0").json()["id"] == v1["id"]  # same pair: same
    own_label = api.post(f"/v1/automations/{slug}/versions", json={"yaml": greet(slug)})
    assert own_label.status_code == 201 and own_label.json()["id"] == v1["id"]  # YAML's 1.0.0

    candidate = deploy(api, slug, greet(slug, 2), "2.0.0", activate=False)
    assert candidate.status_code == 201, candidate.text
    v2 = candidate.json()
    assert v2["isCurrent"] is False and current_version(api, slug)["id"] == v1["id"]
    assert run_output(api, slug, {"who": "Ada"}) == {"text": "v1 Ada x1"}
    assert run_output(api, slug, {"who": "Bo"}, version="2.0.0") == {"text": "v2 Bo"}

    promoted = api.post(f"/v1/automations/{slug}/versions/{v2['id']}/promote")
    assert promoted.status_code == 200 and promoted.json()["isCurrent"] is True
    detail = api.get(f"/v1/automations/{slug}").json()
    assert detail["version"] == "2.0.0" and detail["description"].startswith("Greets louder")
    assert list(detail["inputSchema"]["properties"]) == ["who"]
    assert run_output(api, slug, {"who": "Cy"}) == {"text": "v2 Cy"}

    restored = api.post(f"/v1/automations/{slug}/versions/{v1['id']}/restore", json={})
    assert restored.status_code == 201, restored.text
    r = restored.json()
    assert r["version"] is None and r["isCurrent"] is True and r["id"] not in (v1["id"], v2["id"])
    assert run_output(api, slug, {"who": "Di"}) == {"text": "v1 Di x1"}
    copy = api.post(
        f"/v1/automations/{slug}/versions", json={"version": "3.0.0", "historyId": v2["id"]}
    )
    assert copy.status_code == 201 and copy.json()["version"] == "3.0.0"
    assert run_output(api, slug, {"who": "Ed"}) == {"text": "v2 Ed"}
    by_label = api.post(f"/v1/automations/{slug}/versions/1.0.0/promote")  # a label works too
    assert by_label.status_code == 200 and by_label.json()["id"] == v1["id"]
    listed = api.get(f"/v1/automations/{slug}/versions").json()
    assert [v["version"] for v in listed["data"]] == ["3.0.0", None, "2.0.0", "1.0.0"]
    assert [v["isCurrent"] for v in listed["data"]] == [False, False, False, True]
    assert_models(
        ("AutomationVersion", v1),
        ("AutomationVersion", v2),
        ("AutomationVersion", promoted.json()),
        ("AutomationVersion", r),
        ("ListAutomationVersionsResponse", listed),
    )

    old_run = api.post(f"/api/v1/run/workflows.{slug}", json={"who": "Fay"}).json()["runId"]
    gone = api.delete(f"/v1/automations/workflows.{slug}")
    assert gone.status_code == 200 and gone.json() == {"deleted": True, "id": detail["id"]}
    assert_models(("DeleteAutomationResponse", gone.json()))
    assert_envelope(api.get(f"/v1/automations/{slug}"), 404)
    assert_envelope(api.get(f"/v1/automations/{slug}/versions"), 404)
    assert_envelope(api.delete(f"/v1/automations/{slug}"), 404)
    assert_envelope(api.post(f"/api/v1/run/workflows.{slug}", json={"who": "x"}), 404)
    assert slug not in _slugs(api.get("/v1/automations", params={"search": slug}))
    assert api.get(f"/api/v1/workflows/{slug}").status_code == 404
    assert api.get(f"/api/v1/runs/{old_run}").status_code == 200  # its runs stay readable
    by_source = api.get("/api/v1/runs", params={"source": slug}).json()["runs"]
    assert old_run in [run["id"] for run in by_source]

    back = deploy(api, slug, greet(slug, 2), "4.0.0")  # a version brings it back
    assert back.status_code == 201 and back.json()["isCurrent"] is True
    assert api.get(f"/v1/automations/{slug}").json()["id"] == detail["id"]
    assert run_output(api, slug, {"who": "Gil"}) == {"text": "v2 Gil"}


def test_bad_versions_are_400_envelopes_naming_the_field(api):
    bad = "name: greeter\nsteps:\n  - name: x\n    type: no.such-step\n"
    body = assert_envelope(deploy(api, "greeter", bad, "9.0.0"), 400, "yaml.steps[0].type")
    message = body["issues"][0]["message"]
    assert message.startswith("<yaml>:4: steps[0].type: unknown step type 'no.such-step'")
    assert body["issues"][0]["code"] == "invalid_workflow"
    broken = assert_envelope(deploy(api, "greeter", "name: greeter\nsteps: [\n", "9.0.1"), 400)
    assert broken["issues"][0]["field"].startswith("yaml")
    assert "<yaml>:" in broken["issues"][0]["message"]
    renamed = assert_envelope(deploy(api, "greeter", greet("other"), "9.0.2"), 400, "yaml.name")
    assert "<yaml>:1: name: is 'other' but this automation is 'greeter'" in json.dumps(renamed)
    template = greet("greeter").replace("input.who", "input.whom")
    assert_envelope(deploy(api, "greeter", template, "9.0.3"), 400, "yaml.steps[0].with.text")

    url = "/v1/automations/greeter/versions"
    yaml = greet("greeter", 2)
    assert_envelope(api.post(url, json={"version": " ", "yaml": yaml}), 400, "version")
    assert_envelope(api.post(url, json={"version": 2, "yaml": yaml}), 400, "version")
    assert_envelope(api.post(url, json={"version": "1", "yaml": yaml, "historyId": "x"}), 400)
    assert_envelope(api.post(url, json={"version": "1"}), 400, "<body>")
    assert_envelope(api.post(url, json={"version": "1", "yaml": 3}), 400, "yaml")
    assert_envelope(api.post(url, json={"version": "1", "yaml": yaml, "activate": "no"}), 400)
    assert_envelope(api.post(url, json={"version": "1", "yaml": yaml, "tag": "x"}), 400, "tag")
    assert_envelope(api.post(url, json=[1]), 400, "<body>")
    assert_envelope(
        api.post(url, content=b"{nope", headers={"content-type": "application/json"}), 400
    )
    huge = greet("greeter", 2) + "#" * (1024 * 1024)
    assert_envelope(deploy(api, "greeter", huge, "9.1.0"), 413, "yaml")
    fresh = deploy(api, "workflows.candidate-only", greet("candidate-only"), "1", activate=False)
    assert_envelope(fresh, 400, "activate")
    assert_envelope(api.get("/v1/automations/candidate-only"), 404)
    assert_envelope(deploy(api, "wf_00000000000000000000000000", yaml, "1"), 404)
    assert_envelope(deploy(api, "workflows.Not A Slug", yaml, "1"), 404)
    assert_envelope(deploy(api, "agents.greeter", yaml, "1"), 404)
    copy = {"version": "1", "historyId": "ver_nope"}
    assert_envelope(api.post(url, json=copy), 404)

    other = current_version(api, "schema-probe")["id"]  # a version of another automation
    assert_envelope(api.post(f"/v1/automations/greeter/versions/{other}/promote"), 404)
    assert_envelope(api.post("/v1/automations/greeter/versions/ver_nope/promote"), 404)
    assert_envelope(api.post("/v1/automations/greeter/versions/ver_nope/restore"), 404)
    restore = "/v1/automations/greeter/versions/1.0.0/restore"
    assert_envelope(api.post(restore, json={"message": 5}), 400, "message")
    assert_envelope(api.post(restore, json={"note": "x"}), 400, "note")
    # nothing of this changed the automation
    assert current_version(api, "greeter")["version"] == "1.0.0"
    assert api.get("/v1/automations/greeter/versions").json()["total"] == 1
