"""`workflow.invoke` is checked when a workflow loads: file, line and field of each problem."""

from __future__ import annotations

import pytest

from openpal.errors import WorkflowLoadError
from openpal.steps.invoke import child_target
from openpal.workflows.loader import load_workflow_text

FLOW = """name: parent
steps:
  - name: call
    type: workflow.invoke
    with: {with_here}
"""


def _problem(with_: str) -> str:
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow_text(FLOW.replace("{with_here}", with_), source_path="flows/parent.yaml")
    return str(info.value)


def test_a_good_invoke_step_loads():
    wf = load_workflow_text(FLOW.replace("{with_here}", "{workflow: child, input: {a: 1}}"))
    assert wf.steps[0].type == "workflow.invoke"


@pytest.mark.parametrize(
    ("with_", "field", "words"),
    [
        ("{input: {a: 1}}", "steps[0].with.workflow", "required"),
        ("{workflow: 3}", "steps[0].with.workflow", "workflow slug"),
        ("{workflow: child, input: [1]}", "steps[0].with.input", "mapping"),
        ("{workflow: child, inputs: {}}", "steps[0].with.inputs", "unknown key"),
    ],
)
def test_a_bad_invoke_step_is_a_load_error(with_, field, words):
    message = _problem(with_)
    assert message.startswith(f"flows/parent.yaml:5: {field}: ") and words in message


def test_targets():
    assert child_target("enrich") == "workflows.enrich"
    assert child_target("workflows.enrich") == "workflows.enrich"
    with pytest.raises(ValueError):
        child_target("  ")
