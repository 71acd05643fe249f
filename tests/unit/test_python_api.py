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


def price(item: dict, item_index: int, total: float) -> dict:
    return {"at": item_index, "net": item["qty"] * total}


def test_for_each_compiles_to_the_yaml_keys_and_binds_item_parameters():
    wf = Workflow("fan", inputs={"total": "number", "lines": "array"})
    wf.step(price, for_each="{{ input.lines }}", max_parallel=8, on_item_failure="collect")
    (step,) = yaml.safe_load(wf.to_yaml())["steps"]
    assert step["forEach"] == "{{ input.lines }}"
    assert (step["max_parallel"], step["on_item_failure"]) == (8, "collect")
    assert step["with"]["args"] == {
        "item": "{{ item }}",
        "item_index": "{{ item_index }}",
        "total": "{{ input.total }}",
    }
    compiled = wf.compile().steps[0]
    assert (compiled.for_each, compiled.max_parallel, compiled.on_item_failure) == (
        "{{ input.lines }}", 8, "collect")  # fmt: skip
    literal = Workflow("lit", inputs={"total": "number"})
    literal.step(price, for_each=({"qty": 1}, {"qty": 2}))  # a tuple is written as a list
    step = literal.compile().steps[0]
    assert step.for_each == [{"qty": 1}, {"qty": 2}] and step.max_parallel == 4


def test_item_parameters_are_bound_only_in_a_for_each_step():
    wf = Workflow("fan", inputs={"total": "number"})
    with pytest.raises(TypeError, match="parameter 'item' is neither an input"):
        wf.step(price)


@pytest.mark.parametrize(
    ("keys", "field", "words"),
    [
        ({"for_each": "{{ input.lines }}", "max_parallel": 0}, "steps[0].max_parallel",
         "at least 1"),
        ({"for_each": "{{ input.lines }}", "on_item_failure": "ignore"},
         "steps[0].on_item_failure", "fail_fast, collect"),
        ({"for_each": "input.lines"}, "steps[0].forEach", "a template giving a list"),
        ({"for_each": "{{ item }}"}, "steps[0].forEach", "'item' is only known in the with:"),
        ({"for_each": "{{ input.lines }}", "if_": "item_index > 1"}, "steps[0].if",
         "'item_index' is only known in the with:"),
        ({"max_parallel": 2, "args": {"item": 1, "item_index": 0}}, "steps[0].max_parallel",
         "only for a step with forEach"),
        ({"args": {"item": "{{ item }}", "item_index": 0}}, "steps[0].with.args.item",
         "'item' is only known in the with:"),
        ({"for_each": list(range(10_001))}, "steps[0].forEach", "over the limit of 10000"),
    ],
)  # fmt: skip
def test_for_each_is_checked_as_in_yaml(keys, field, words):
    wf = Workflow("fan", inputs={"total": "number", "lines": "array"})
    wf.step(price, **keys)
    with pytest.raises(WorkflowLoadError) as info:
        wf.compile()
    assert info.value.field == field and words in str(info.value), str(info.value)
