"""Workflow YAML loading: a good file compiles; every bad one names file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpal.errors import WorkflowLoadError
from openpal.service.catalog import EXAMPLES_DIR
from openpal.workflows.loader import load_workflow_dir, load_workflow_file, load_workflow_text

GOOD = """name: demo
version: 2
description: d
inputs:
  - {name: doc, type: file}
  - {name: n, type: integer, default: 3}
  - {name: legacy, file: true, required: false}
steps:
  - name: a
    type: transform.set
    with: {x: "{{ input.n }}"}
  - name: b
    if: steps.a.output.x > 1
    type: python
    retry: {max_attempts: 3, backoff_seconds: 0.5, jitter: false}
    timeout_seconds: 10
    with: {function: "mod:fn", args: {x: "{{ steps.a.output.x }}"}}
output: {x: "{{ steps.b.output }}"}
"""


def test_a_good_workflow_compiles():
    wf = load_workflow_text(GOOD, source_path="/w/demo.yaml", base_dir="/w")
    assert wf.slug == "demo" and wf.version_label == "2"
    assert [(i.name, i.type, i.required) for i in wf.inputs] == [
        ("doc", "file", True), ("n", "integer", False), ("legacy", "file", False)]  # fmt: skip
    assert wf.inputs[1].has_default and wf.inputs[1].default == 3
    b = wf.step("b")
    assert b.if_ == "steps.a.output.x > 1" and b.timeout_seconds == 10
    assert b.retry.max_attempts == 3 and b.retry.jitter is False
    assert len(wf.content_hash) == 64 and wf.base_dir == "/w"


def test_every_bundled_example_loads():
    slugs = {wf.slug for wf in load_workflow_dir(EXAMPLES_DIR)}
    assert {"hello", "slow-count", "noop3", "extract-invoice"} <= slugs


def _error(text: str) -> WorkflowLoadError:
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow_text(text, source_path="flows/bad.yaml")
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ("name: demo", "name: Demo!", "name", 1, "lower-case"),
        ("type: transform.set", "type: transform.nope", "steps[0].type", 10, "unknown step type"),
        ("  - name: b\n", "  - name: a\n", "steps[1].name", 12, "duplicate step name"),
        ("type: integer", "type: int", "inputs[1].type", 6, "is not one of"),
        ('{x: "{{ input.n }}"}', '{x: "{{ input.n "}', "steps[0].with.x", 11, "bad template"),
        ('{x: "{{ input.n }}"}', '{x: "{{ steps.b.output }}"}', "steps[0].with.x", 11,
         "not an earlier step"),
        ("max_attempts: 3", "max_attempts: 0", "steps[1].retry.max_attempts", 15, "at least 1"),
        ("jitter: false", "jitter: sometimes", "steps[1].retry.jitter", 15, "true or false"),
        ("    timeout_seconds: 10", "    forEach: x\n    timeout_seconds: 10", "steps[1].forEach",
         16, "not supported"),
        ("description: d", "descripton: d", "descripton", 3, "unknown key"),
        ('"mod:fn"', '"modfn"', "steps[1].with.function", 17, "module:callable"),
        ("if: steps.a.output.x > 1", "if: steps.a.output.x >", "steps[1].if", 13,
         "bad condition"),
        ("output: {x:", "output: {y: '{{ steps.zz.output }}', x:", "output.y", 18,
         "not an earlier step"),
    ],
)  # fmt: skip
def test_load_errors_name_file_field_and_line(old, new, field, line, words):
    assert old in GOOD
    err = _error(GOOD.replace(old, new, 1))
    assert err.file == "flows/bad.yaml"
    assert err.field == field
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith(f"flows/bad.yaml:{line}: {field}: ")


def test_yaml_syntax_error_has_a_line():
    err = _error("name: x\nsteps:\n  - name: [unclosed\n")
    assert err.line is not None and "invalid YAML" in str(err)


def test_no_steps():
    assert _error("name: x\n").field == "steps"


def test_duplicate_slugs_across_files(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yml").write_text(GOOD)
    with pytest.raises(WorkflowLoadError, match="also the name of"):
        load_workflow_dir(tmp_path)
    (tmp_path / "b.yml").unlink()
    assert load_workflow_file(tmp_path / "a.yaml").source_path == str(tmp_path / "a.yaml")
