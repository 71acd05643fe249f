"""Workflow YAML loading: a good file compiles; every bad one names file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

import openpal
from openpal.errors import WorkflowLoadError
from openpal.workflows.loader import load_workflow_dir, load_workflow_file, load_workflow_text

EXAMPLES_DIR = Path(openpal.__file__).resolve().parent / "examples"

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
output: {x: "{{ steps.b.output }}", run: "{{ run.id }}"}
"""


def test_a_good_workflow_compiles():
    wf = load_workflow_text(GOOD, source_path="/w/demo.yaml", base_dir="/w")
    assert wf.slug == "demo" and wf.version_label == "2" and wf.description == "d"
    assert [(i.name, i.type, i.required) for i in wf.inputs] == [
        ("doc", "file", True), ("n", "integer", False), ("legacy", "file", False)]  # fmt: skip
    assert wf.inputs[1].has_default and wf.inputs[1].default == 3
    assert not wf.inputs[2].has_default and wf.inputs[2].default is None
    a, b = wf.steps
    assert a.with_ == {"x": "{{ input.n }}"} and a.line == 9 and a.retry.max_attempts == 1
    assert b.if_ == "steps.a.output.x > 1" and b.timeout_seconds == 10 and b.line == 12
    assert b.retry.max_attempts == 3 and b.retry.backoff_seconds == 0.5
    assert b.retry.jitter is False and b.retry.backoff_factor == 2.0
    assert wf.output == {"x": "{{ steps.b.output }}", "run": "{{ run.id }}"}
    assert wf.source_text == GOOD and wf.source_path == "/w/demo.yaml" and wf.base_dir == "/w"
    assert len(wf.content_hash) == 64 and wf.title is None and wf.timeout_seconds is None


def test_content_hash_follows_the_text():
    one = load_workflow_text(GOOD).content_hash
    assert load_workflow_text(GOOD).content_hash == one
    assert load_workflow_text(GOOD + "# comment\n").content_hash != one


def test_version_label_is_kept_as_written():
    text = GOOD.replace("version: 2", "version: 1.10")
    assert load_workflow_text(text).version_label == "1.10"
    assert load_workflow_text(GOOD.replace("version: 2\n", "")).version_label is None


def test_every_bundled_example_loads():
    workflows = {wf.slug: wf for wf in load_workflow_dir(EXAMPLES_DIR)}
    assert set(workflows) == {"hello", "slow-count", "noop3", "extract-invoice"}
    for wf in workflows.values():
        assert wf.base_dir == str(EXAMPLES_DIR) and wf.source_path
    assert workflows["extract-invoice"].inputs[0].type == "file"


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
        ("  - name: b\n", "  - name: 'b c'\n", "steps[1].name", 12, "letters, digits"),
        ("type: integer", "type: int", "inputs[1].type", 6, "is not one of"),
        ("default: 3", "default: three", "inputs[1].default", 6, "does not match"),
        ("{name: n,", "{name: doc,", "inputs[1].name", 6, "duplicate input"),
        ('{x: "{{ input.n }}"}', '{x: "{{ input.n "}', "steps[0].with.x", 11, "bad template"),
        ('{x: "{{ input.n }}"}', '{x: "{{ input.n | nope }}"}', "steps[0].with.x", 11,
         "unknown filter 'nope'"),
        ('{x: "{{ input.n }}"}', '{x: "{{ steps.b.output }}"}', "steps[0].with.x", 11,
         "runs later"),
        ('{x: "{{ input.n }}"}', '{x: "{{ steps.a.output }}"}', "steps[0].with.x", 11,
         "its own output"),
        ('{x: "{{ input.n }}"}', '{x: ["{{ input.nn }}"]}', "steps[0].with.x[0]", 11,
         "unknown input 'nn'"),
        ('{x: "{{ input.n }}"}', '{x: "{{ inputs.n }}"}', "steps[0].with.x", 11,
         "unknown variable 'inputs'"),
        ("{{ run.id }}", "{{ run.started }}", "output.run", 18, "unknown run field"),
        ("max_attempts: 3", "max_attempts: 0", "steps[1].retry.max_attempts", 15, "at least 1"),
        ("max_attempts: 3", "max_attempts: 2.5", "steps[1].retry.max_attempts", 15, "integer"),
        ("backoff_seconds: 0.5", "backoff_seconds: -1", "steps[1].retry.backoff_seconds", 15,
         "≥ 0"),
        ("jitter: false", "jitter: sometimes", "steps[1].retry.jitter", 15, "true or false"),
        ("jitter: false", "jiter: false", "steps[1].retry.jiter", 15, "unknown key"),
        ("timeout_seconds: 10", "timeout_seconds: 0", "steps[1].timeout_seconds", 16, "positive"),
        ("    timeout_seconds: 10", "    forEach: x\n    timeout_seconds: 10", "steps[1].forEach",
         16, "must be a template giving a list"),
        ("description: d", "descripton: d", "descripton", 3, "unknown key"),
        ("    timeout_seconds: 10", "    timeout: 10", "steps[1].timeout", 16, "unknown key"),
        ('"mod:fn"', '"modfn"', "steps[1].with.function", 17, "module:callable"),
        ('function: "mod:fn", ', "", "steps[1].with.function", 17, "required"),
        ("if: steps.a.output.x > 1", "if: steps.a.output.x >", "steps[1].if", 13,
         "bad condition"),
        ("if: steps.a.output.x > 1", "if: steps.b.output.x > 1", "steps[1].if", 13,
         "its own output"),
        ("output: {x:", "output: {y: '{{ steps.zz.output }}', x:", "output.y", 18,
         "unknown step 'zz'"),
        ("  - name: b\n", "  - name: b\n    name: c\n", "steps[1].name", 13, "duplicate key"),
    ],
)  # fmt: skip
def test_load_errors_name_file_field_and_line(old, new, field, line, words):
    assert old in GOOD
    err = _error(GOOD.replace(old, new, 1))
    assert (err.file, err.field, err.line) == ("flows/bad.yaml", field, line), str(err)
    assert words in str(err)
    assert str(err).startswith(f"flows/bad.yaml:{line}: {field}: ")


def test_yaml_syntax_error_names_the_line():
    err = _error("name: x\nsteps:\n  - name: [unclosed\n")
    assert err.field == "<root>" and err.line is not None and "invalid YAML" in str(err)
    assert str(err).startswith(f"flows/bad.yaml:{err.line}: <root>: invalid YAML")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "<root>"),
        ("- a\n- b\n", "<root>"),
        ("name: x\n", "steps"),
        ("name: x\nsteps: []\n", "steps"),
        ("steps: [{name: a, type: transform.set}]\n", "name"),
        ("name: x\ninputs: {a: 1}\nsteps: [{name: a, type: transform.set}]\n", "inputs"),
        ("name: x\nsteps: [{name: a, type: transform.set, with: [1]}]\n", "steps[0].with"),
        ("name: x\nsteps: [{name: a, type: transform.template}]\n", "steps[0].with.template"),
        ("name: x\ntimeout_seconds: -1\nsteps: [{name: a, type: transform.set}]\n",
         "timeout_seconds"),
        ("name: x\nsteps: [{name: a, type: transform.regex-extract, with: {text: t, patterns: "
         "{n: '(unclosed'}}}]\n", "steps[0].with.patterns.n"),
    ],
)  # fmt: skip
def test_more_load_errors(text, field):
    assert _error(text).field == field


def test_legacy_keys_and_boolean_conditions_are_accepted():
    text = (
        "name: x\nkind: workflow\nenabled: true\ntriggerMethods: [api]\nsettings: {}\n"
        "defaultModel: m\noutput_schema: {}\ntitle: X\n"
        "steps: [{name: a, type: transform.set, if: true}]\n"
    )
    wf = load_workflow_text(text)
    assert wf.title == "X" and wf.steps[0].if_ == "true"


def test_duplicate_slugs_across_files_name_both_files(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yml").write_text(GOOD)
    (tmp_path / "notes.txt").write_text("not a workflow")
    (tmp_path / "mod.py").write_text("def fn(x):\n    return x\n")  # GOOD's python step
    with pytest.raises(WorkflowLoadError) as info:
        load_workflow_dir(tmp_path)
    message = str(info.value)
    assert info.value.file == str(tmp_path / "b.yml") and str(tmp_path / "a.yaml") in message
    assert info.value.field == "name" and info.value.line == 1
    (tmp_path / "b.yml").unlink()
    (wf,) = load_workflow_dir(tmp_path)
    assert wf.source_path == str(tmp_path / "a.yaml") and wf.base_dir == str(tmp_path)


def test_file_and_folder_problems(tmp_path: Path):
    with pytest.raises(WorkflowLoadError, match="not a folder"):
        load_workflow_dir(tmp_path / "missing")
    with pytest.raises(WorkflowLoadError, match="cannot read"):
        load_workflow_file(tmp_path / "missing.yaml")
    (tmp_path / "x.yaml").write_bytes(b"name: \xff\n")
    with pytest.raises(WorkflowLoadError, match="cannot read"):
        load_workflow_file(tmp_path / "x.yaml")


_LIMITED = "name: x\ninputs: [{name: c, type: string}]\nconcurrency: {}\nsteps: [{name: a, type: transform.set}]\n"  # noqa: E501


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        ("[1]", "concurrency", "must be a mapping"),
        ("{limit: 0}", "concurrency.limit", "at least 1"),
        ("{limit: true}", "concurrency.limit", "at least 1"),
        ("{strategy: queue}", "concurrency.limit", "required"),
        ("{limit: 1, strategy: drop}", "concurrency.strategy", "queue or reject"),
        ("{limit: 1, max: 2}", "concurrency.max", "unknown key"),
        ("{limit: 1, key: '{{ steps.a.output }}'}", "concurrency.key", "only read the input"),
        ("{limit: 1, key: '{{ input.nope }}'}", "concurrency.key", "unknown input 'nope'"),
        ("{limit: 1, key: '{{ input.c '}", "concurrency.key", "bad template"),
        ("{limit: 1, key: 3}", "concurrency.key", "must be a template"),
    ],
)
def test_concurrency_section_errors(section, field, words):
    err = _error(_LIMITED.replace("{}", section, 1))
    assert err.field == field and words in str(err), str(err)


def test_concurrency_section_loads():
    wf = load_workflow_text(
        _LIMITED.replace("{}", "{limit: 2, key: '{{ input.c }}', strategy: reject}", 1)
    )
    assert wf.concurrency is not None
    assert (wf.concurrency.limit, wf.concurrency.key, wf.concurrency.strategy) == (
        2,
        "{{ input.c }}",
        "reject",
    )
    assert load_workflow_text(_LIMITED.replace("concurrency: {}\n", "")).concurrency is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("output_schema: {type: nope}\n", "output_schema"),
        ("output_schema: [1]\n", "output_schema"),
        ("settings: [1]\n", "settings"),
        ("settings: {strict_output_schema: maybe}\n", "settings.strict_output_schema"),
    ],
)
def test_output_schema_and_settings_errors(extra, field):
    assert _error("name: x\n" + extra + "steps: [{name: a, type: transform.set}]\n").field == field


def test_output_schema_loads_with_strictness():
    wf = load_workflow_text(
        "name: x\noutput_schema: {type: object}\nsettings: {strict_output_schema: true,"
        " other: 1}\nsteps: [{name: a, type: transform.set}]\n"
    )
    assert wf.output_schema == {"type": "object"} and wf.strict_output_schema is True


def _nested_aliases(depth: int) -> str:
    """Each level an alias list of nine of the level below: 9**depth values expanded."""
    text = "      a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, depth + 1):
        text += f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return "name: bomb\nsteps:\n  - name: s\n    type: transform.set\n    with:\n" + text


def test_aliases_that_expand_past_the_bound_are_refused_at_once():
    text = _nested_aliases(30)  # 9**30 values from 2 KB: would never finish
    assert len(text) < 2500
    with pytest.raises(WorkflowLoadError, match="once its aliases are expanded"):
        load_workflow_text(text, source_path="bomb.yaml")
    ok = load_workflow_text(_nested_aliases(3), source_path="ok.yaml")  # 9**4 values: fine
    assert len(ok.steps[0].with_["a3"]) == 9


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nsteps: &s [*s]\n", "refers to itself"),
        ("name: x\nsteps: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ],
)
def test_recursive_or_deep_yaml_is_a_load_error(text, words):
    with pytest.raises(WorkflowLoadError, match=words):
        load_workflow_text(text, source_path="x.yaml")
