"""`forEach` at load: the keys it brings, where `item` may be read, the item limit for a
literal list, and the step types it is refused on, each error naming file, field, line."""

from __future__ import annotations

import pytest

from openpal.errors import WorkflowLoadError
from openpal.workflows.loader import load_workflow_text

FLOW = """name: fan
inputs:
  - {name: urls, type: array}
steps:
  - name: split
    type: transform.set
    with: {items: "{{ input.urls }}"}
  - name: each
    type: transform.set
    forEach: "{{ steps.split.output.items }}"
    max_parallel: 8
    on_item_failure: collect
    with: {url: "{{ item }}", n: "{{ item_index }}"}
output: {all: "{{ steps.each.output }}"}
"""


def _error(text: str) -> WorkflowLoadError:
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow_text(text, source_path="flows/fan.yaml")
    return info.value


def test_a_fan_out_step_loads_with_its_keys():
    wf = load_workflow_text(FLOW)
    split, each = wf.steps
    assert split.for_each is None and (split.max_parallel, split.on_item_failure) == (
        4, "fail_fast")  # fmt: skip
    assert each.for_each == "{{ steps.split.output.items }}"
    assert (each.max_parallel, each.on_item_failure) == (8, "collect")
    defaults = load_workflow_text(FLOW.replace("    max_parallel: 8\n", "").replace(
        "    on_item_failure: collect\n", ""))  # fmt: skip
    assert (defaults.steps[1].max_parallel, defaults.steps[1].on_item_failure) == (4, "fail_fast")


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ("max_parallel: 8", "max_parallel: 0", "steps[1].max_parallel", 11, "at least 1"),
        ("max_parallel: 8", "max_parallel: many", "steps[1].max_parallel", 11, "integer"),
        ("on_item_failure: collect", "on_item_failure: ignore", "steps[1].on_item_failure", 12,
         "fail_fast, collect"),
        ('forEach: "{{ steps.split.output.items }}"', "forEach: 3", "steps[1].forEach", 10,
         "a template giving a list"),
        ('forEach: "{{ steps.split.output.items }}"', 'forEach: "{{ steps.each.output }}"',
         "steps[1].forEach", 10, "its own output"),
        ('forEach: "{{ steps.split.output.items }}"', 'forEach: "{{ item }}"',
         "steps[1].forEach", 10, "'item' is only known in the with: of a step with forEach"),
        ('{items: "{{ input.urls }}"}', '{items: "{{ item_index }}"}', "steps[0].with.items", 7,
         "'item_index' is only known in the with: of a step with forEach"),
        ("  - name: split\n    type: transform.set\n",
         "  - name: split\n    type: transform.set\n    max_parallel: 2\n",
         "steps[0].max_parallel", 7, "only for a step with forEach"),
        ("    type: transform.set\n    forEach", "    type: control.wait\n    forEach",
         "steps[1].forEach", 10, "a control.wait step cannot run once per item"),
        ("    type: transform.set\n    forEach", "    type: control.approval\n    forEach",
         "steps[1].forEach", 10, "a control.approval step cannot run once per item"),
        ("    type: transform.set\n    forEach", "    type: workflow.invoke\n    forEach",
         "steps[1].forEach", 10, "a workflow.invoke step cannot run once per item"),
        ('{url: "{{ item }}"', '{url: "{{ items }}"', "steps[1].with.url", 13,
         "unknown variable 'items'"),
    ],
)  # fmt: skip
def test_fan_out_load_errors_name_file_field_and_line(old, new, field, line, words):
    assert old in FLOW
    err = _error(FLOW.replace(old, new, 1))
    assert (err.file, err.field, err.line) == ("flows/fan.yaml", field, line), str(err)
    assert words in str(err)


def test_a_literal_list_over_the_item_limit_is_a_load_error(monkeypatch):
    literal = FLOW.replace('"{{ steps.split.output.items }}"', "[a, b, c]")
    monkeypatch.setenv("OPENPAL_MAX_FOREACH_ITEMS", "3")
    assert load_workflow_text(literal).steps[1].for_each == ["a", "b", "c"]
    monkeypatch.setenv("OPENPAL_MAX_FOREACH_ITEMS", "2")
    err = _error(literal)
    assert (err.field, err.line) == ("steps[1].forEach", 10)
    assert "3 items, over the limit of 2 (OPENPAL_MAX_FOREACH_ITEMS)" in str(err)
