"""A version sent over the API cannot run code the operator did not put in the workflows
folder: an API key is not a shell on the server.

Before, `POST /v1/automations/{id}/versions` accepted a `python` step calling
`os:system` (or `subprocess:run`, or `my_module:os.system` through a module that
imports `os`), and every run of it executed that on the server.
"""

from __future__ import annotations

from tests.api.automation_flows import deploy, write_flows
from tests.api.test_runs import assert_envelope
from tests.conftest import start_server

CALL = """\
name: {slug}
steps:
  - name: call
    type: python
    with: {{function: "{function}", args: {{command: "touch {marker}"}}}}
output: "{{{{ steps.call.output }}}}"
"""


def _run(api, slug: str) -> dict:
    resp = api.post(f"/api/v1/run/workflows.{slug}", json={},
                    params={"wait_for_completion": 30})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_api_versions_may_call_only_code_of_the_workflows_folder(tmp_path, db_url):
    flows = write_flows(tmp_path / "flows")
    (flows / "imports_os.py").write_text("import os\n\n\ndef ok(command):\n    return command\n")
    marker = tmp_path / "owned"
    srv = start_server(tmp_path / "data", workflows=flows, database_url=db_url)
    try:
        with srv.client() as api:
            for n, function in enumerate(("os:system", "subprocess:run", "posix:system")):
                yaml = CALL.format(slug=f"shell-{n}", function=function, marker=marker)
                resp = deploy(api, f"workflows.shell-{n}", yaml, "1.0.0")
                body = assert_envelope(resp, 400)
                assert body["issues"][0]["field"] == "steps.call.with.function", body
                assert "workflows folder" in body["issues"][0]["message"]
            # reached through a module of the folder, but defined elsewhere: refused at run
            yaml = CALL.format(slug="via", function="imports_os:os.system", marker=marker)
            assert deploy(api, "workflows.via", yaml, "1.0.0").status_code == 201
            ended = _run(api, "via")
            assert ended["status"] == "failed" and "workflows folder" in ended["error"], ended
            # code of the folder itself still runs
            yaml = CALL.format(slug="fine", function="imports_os:ok", marker=marker)
            assert deploy(api, "workflows.fine", yaml, "1.0.0").status_code == 201
            assert _run(api, "fine")["output"] == f"touch {marker}"
        assert not marker.exists()  # nothing ran a shell command
    finally:
        srv.stop()


def test_workflow_files_of_the_operator_may_call_installed_code(tmp_path, db_url):
    flows = tmp_path / "flows"
    flows.mkdir()
    marker = tmp_path / "made-by-operator"
    (flows / "ops.yaml").write_text(CALL.format(slug="ops", function="os:system", marker=marker))
    srv = start_server(tmp_path / "data", workflows=flows, database_url=db_url)
    try:
        with srv.client() as api:
            assert _run(api, "ops")["status"] == "completed"
        assert marker.exists()  # the operator's own file: trusted as before
    finally:
        srv.stop()


def test_a_file_version_restored_over_the_api_keeps_running(tmp_path, db_url):
    flows = write_flows(tmp_path / "flows", "steady")
    (flows / "shouty.yaml").write_text(
        "name: shouty\nsteps:\n  - name: loud\n    type: python\n"
        '    with: {function: "deploy_steps:shout", args: {text: "a"}}\n'
        'output: "{{ steps.loud.output }}"\n'
    )
    srv = start_server(tmp_path / "data", workflows=flows, database_url=db_url)
    try:
        with srv.client() as api:
            (v1,) = api.get("/v1/automations/shouty/versions").json()["data"]
            restored = api.post(f"/v1/automations/shouty/versions/{v1['id']}/restore", json={})
            assert restored.status_code == 201, restored.text
            assert _run(api, "shouty")["output"] == "A!"
    finally:
        srv.stop()


def test_a_deployed_call_into_the_folder_is_checked_like_a_file(tmp_path, db_url):
    """Code of the workflows folder named by a deployed version must exist and take the
    step's arguments (400 naming the step); code found nowhere here is not imported."""
    flows = write_flows(tmp_path / "flows")
    srv = start_server(tmp_path / "data", workflows=flows, database_url=db_url)
    shout = 'with: {{function: "deploy_steps:{fn}", args: {{{arg}: "a"}}}}'
    flow = "name: {slug}\nsteps:\n  - name: loud\n    type: python\n    " + shout + "\n"
    try:
        with srv.client() as api:
            for slug, fn, arg, field, words in (
                ("gone", "missing", "text", "steps.loud.with.function", "no attribute"),
                ("typo", "shout", "txt", "steps.loud.with.args.txt", "no parameter 'txt'"),
            ):
                yaml = flow.format(slug=slug, fn=fn, arg=arg)
                body = assert_envelope(deploy(api, f"workflows.{slug}", yaml, "1.0.0"), 400)
                assert body["issues"][0]["field"] == field, body
                assert words in body["issues"][0]["message"], body
            yaml = flow.format(slug="fine", fn="shout", arg="text")
            assert deploy(api, "workflows.fine", yaml, "1.0.0").status_code == 201
            # another process's module: not here, not imported, refused only at run time
            yaml = flow.replace("deploy_steps", "elsewhere_steps").format(
                slug="far", fn="f", arg="x"
            )
            assert deploy(api, "workflows.far", yaml, "1.0.0").status_code == 201
    finally:
        srv.stop()
