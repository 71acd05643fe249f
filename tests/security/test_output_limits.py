"""A step's output and a run's output are bounded in nesting and size, with an error that
names the limit: before, a 60 MB output was stored three times and served whole, and
an output nested thousands of levels deep ended its run as "internal error"."""

from __future__ import annotations

import pytest

from tests.conftest import start_server

STEPS = """\
def deep(levels):
    value = "bottom"
    for _ in range(levels):
        value = [value]
    return value


def text(chars):
    return "x" * chars
"""

FLOW = """\
name: {slug}
inputs:
  - {{name: n, type: integer}}
steps:
  - name: make
    type: python
    with: {{function: "shapes:{function}", args: {{{arg}: "{{{{ input.n }}}}"}}}}
output: {output}
"""


@pytest.fixture
def server(tmp_path, db_url):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "shapes.py").write_text(STEPS)
    (flows / "deep.yaml").write_text(
        FLOW.format(slug="deep", function="deep", arg="levels", output='"{{ steps.make.output }}"')
    )
    (flows / "text.yaml").write_text(
        FLOW.format(slug="text", function="text", arg="chars", output='"{{ steps.make.output }}"')
    )
    (flows / "twice.yaml").write_text(
        FLOW.format(slug="twice", function="text", arg="chars",
                    output='{a: "{{ steps.make.output }}", b: "{{ steps.make.output }}"}')
    )  # fmt: skip
    srv = start_server(
        tmp_path / "data",
        workflows=flows,
        database_url=db_url,
        env={"OPENPAL_MAX_OUTPUT_CHARS": "100000"},
    )
    yield srv
    srv.stop()


def _run(api, slug: str, n: int) -> dict:
    resp = api.post(f"/api/v1/run/workflows.{slug}", json={"n": n},
                    params={"wait_for_completion": 30})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_outputs_within_the_bounds_are_kept_whole(server):
    with server.client() as api:
        assert _run(api, "deep", 60)["status"] == "completed"
        ended = _run(api, "text", 90_000)
        assert ended["status"] == "completed" and len(ended["output"]) == 90_000


@pytest.mark.parametrize("levels", [65, 5_000])
def test_a_step_output_nested_too_deep_fails_the_run_naming_the_limit(server, levels):
    with server.client() as api:
        ended = _run(api, "deep", levels)
        assert ended["status"] == "failed", ended
        assert "step 'make'" in ended["error"] and "deeper than 64 levels" in ended["error"]
        detail = api.get(f"/api/v1/runs/{ended['runId']}", params={"include": "detail"})
        (step,) = detail.json()["run"]["stepExecutions"]
        assert step["status"] == "failed" and step["outputData"] is None


def test_a_step_output_too_large_fails_the_run_naming_the_setting(server):
    with server.client() as api:
        ended = _run(api, "text", 200_000)
    assert ended["status"] == "failed", ended
    assert "OPENPAL_MAX_OUTPUT_CHARS" in ended["error"] and "step 'make'" in ended["error"]


def test_a_run_output_too_large_fails_the_run_naming_it(server):
    with server.client() as api:
        ended = _run(api, "twice", 60_000)  # each step output fits; the run's does not
    assert ended["status"] == "failed", ended
    assert "the run's output" in ended["error"] and "OPENPAL_MAX_OUTPUT_CHARS" in ended["error"]
