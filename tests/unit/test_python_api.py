"""The Python workflow API compiles to the YAML a person would write, checked the same way."""

from __future__ import annotations

import pytest
import yaml

from openpal.errors import WorkflowLoadError
from openpal.workflows import Retry, Workflow
from openpal.workflows.loader import load_workflow_dir
from tests.conftest import TEST_WORKFLOWS


def fetch(total: float, ctx) -> dict:
    return {"total": total}


def grade(fetch: dict, extra: int = 1) -> dict:
    return {"grade": fetch}


def orphan(nothing: str) -> None:
    return None


def test_parameters_bind_to_inputs_and_earlier_steps():
    wf = Workflow("demo", version="2", inputs={"total": "number"}, timeout_seconds=9)
    wf.step(retry=Retry(max_attempts=2, backoff_seconds=0.5), timeout_seconds=3)(fetch)
    wf.step(grade, if_="steps.fetch.output.total > 1")
    doc = yaml.safe_load(wf.to_yaml())
    assert doc["inputs"] == [{"name": "total", "type": "number"}]
    first, second = doc["steps"]
    assert first["with"] == {
        "function": f"{__name__}:fetch",
        "args": {"total": "{{ input.total }}"},
    }
    assert first["retry"]["max_attempts"] == 2 and first["timeout_seconds"] == 3
    assert second["with"]["args"] == {"fetch": "{{ steps.fetch.output }}"}  # extra: default
    assert second["if"] == "steps.fetch.output.total > 1"
    assert doc["output"] == "{{ steps.grade.output }}"  # the last step's, by default
    compiled = wf.compile()
    assert [s.name for s in compiled.steps] == ["fetch", "grade"]
    assert compiled.timeout_seconds == 9 and compiled.steps[0].retry.backoff_seconds == 0.5


def test_an_unbound_parameter_is_an_error_at_definition():
    wf = Workflow("demo", inputs={"total": "number"})
    with pytest.raises(TypeError, match="parameter 'nothing' is neither an input"):
        wf.step(orphan)
    wf.step(orphan, args={"nothing": "{{ input.total }}"})  # explicit args bind it


def test_local_functions_cannot_be_steps():
    def inner() -> None:
        return None

    with pytest.raises(TypeError, match="module-level function"):
        Workflow("demo").step(inner)


def test_bad_definitions_fail_like_yaml_ones():
    wf = Workflow("demo", inputs={"total": "number"})
    wf.step(fetch, if_="steps.grade.output")  # refers to a later/unknown step
    with pytest.raises(WorkflowLoadError, match=r"steps\[0\].if"):
        wf.compile()


def test_python_files_in_a_workflows_folder_are_loaded():
    found = {wf.slug: wf for wf in load_workflow_dir(TEST_WORKFLOWS)}
    flow = found["py-flow"]
    assert flow.source_path.endswith("py_flow.py")
    assert flow.source_text.startswith("# generated from py_flow.py (source sha256 ")
    assert [s.name for s in flow.steps] == ["fetch", "grade", "summary"]
    assert "wf-steps" not in found  # step modules are not workflows (and not imported)


def test_a_python_workflow_that_cannot_be_imported_names_its_file(tmp_path):
    (tmp_path / "broken_flow.py").write_text(
        "from openpal.workflows import Workflow\nWorkflow('x')\nraise ValueError('boom')\n"
    )
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow_dir(tmp_path)
    assert info.value.file.endswith("broken_flow.py") and "boom" in str(info.value)
