"""Liquid templates: the native-value rule, text rendering, filters, conditions, checks."""

from __future__ import annotations

import pytest

from openpal.files import FileRef
from openpal.workflows.templates import (
    check_condition,
    check_template,
    condition_references,
    evaluate_condition,
    render_value,
    template_references,
    to_text,
)

DOC = FileRef("sha256:" + "0" * 64, "contract.pdf", "application/pdf", 1234)
SCOPE = {
    "input": {
        "n": 3,
        "price": 2.5,
        "obj": {"a": [1, 2]},
        "items": [1, 2, 3],
        "none": None,
        "name": "Ada",
        "flag": True,
        "off": False,
        "zero": 0,
        "doc": DOC,
        "docs": [DOC],
    },
    "steps": {
        "parse": {"output": {"total": 1500, "text": "hello", "items": ["a", "b"]}},
        "skipped": {"output": None},
    },
    "run": {"id": "exec_1", "workflow": "w", "attempt": 2},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ input.n }}", 3),
        ("  {{ input.price }}\n", 2.5),
        ("{{input.n}}", 3),
        ("{{- input.n -}}", 3),
        ("{{ input.obj }}", {"a": [1, 2]}),
        ("{{ input.items }}", [1, 2, 3]),
        ("{{ input.none }}", None),
        ("{{ input.missing }}", None),
        ("{{ input.missing.deeper }}", None),
        ("{{ steps.skipped.output.x }}", None),
        ("{{ input.flag }}", True),
        ("{{ input.off }}", False),
        ("{{ steps.parse.output.total }}", 1500),
        ("{{ run.attempt }}", 2),
        ("{{ input.items | size }}", 3),
        ("{{ steps.parse.output.items | size }}", 2),
        ("{{ input.missing | default: null }}", None),
        ("{{ input.missing | default: 'x' }}", "x"),
        ("{{ input.n | times: 2 }}", 6),
        ("{{ 'a,b' | split: ',' }}", ["a", "b"]),
        ("{{ (1..3) }}", [1, 2, 3]),
        ("{{ input.doc.name }}", "contract.pdf"),
        ("{{ input.doc.mimeType }}", "application/pdf"),
        ("{{ input.doc.size | plus: 1 }}", 1235),
    ],
)
def test_a_single_expression_keeps_its_native_value(template, expected):
    value = render_value(template, SCOPE)
    assert value == expected
    assert type(value) is type(expected)


def test_objects_in_scope_come_back_as_the_same_object():
    assert render_value("{{ input.doc }}", SCOPE) is DOC
    assert render_value("{{ input.docs }}", SCOPE)[0] is DOC
    assert render_value("{{ input.docs | first }}", SCOPE) is DOC
    assert render_value({"file": "{{ input.doc }}"}, SCOPE)["file"] is DOC


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello, {{ input.name }}!", "Hello, Ada!"),
        ("{{ input.n }} items", "3 items"),
        ("{{ input.n }}{{ input.n }}", "33"),
        ("{{ input.n }} {{ input.n }}", "3 3"),
        ("[{{ input.missing }}]", "[]"),
        ("[{{ input.none }}]", "[]"),
        ("{{ input.flag }}!", "true!"),
        ("{% if input.flag %}yes{% endif %}", "yes"),
        ("{% echo input.n %}", "3"),
        ("{{ input.name | upcase }} and {{ input.items | join: '-' }}", "ADA and 1-2-3"),
        ("file: {{ input.doc.name }}", "file: contract.pdf"),
        ("file: {{ input.doc }}", "file: contract.pdf"),  # the name, not the repr/local path
        ("obj: {{ input.obj }}", 'obj: {"a": [1, 2]}'),
        ("plain text", "plain text"),
        ("regex \\d{2,4} stays", "regex \\d{2,4} stays"),
    ],
)
def test_anything_else_renders_as_text(template, expected):
    assert render_value(template, SCOPE) == expected


def test_trees_are_rendered_recursively_and_other_values_pass_through():
    tree = {
        "a": "{{ input.n }}",
        "b": ["{{ input.name }}", 5, None, True],
        "c": {"d": "x{{ input.n }}"},
    }
    assert render_value(tree, SCOPE) == {"a": 3, "b": ["Ada", 5, None, True], "c": {"d": "x3"}}
    assert render_value(7, SCOPE) == 7
    assert render_value(None, SCOPE) is None


def test_to_text():
    assert to_text(None) == "" and to_text(True) == "true" and to_text(2.5) == "2.5"
    assert to_text(DOC) == "contract.pdf"
    assert to_text({"doc": DOC}) == '{"doc": {"fileId": "sha256:' + "0" * 64 + (
        '", "name": "contract.pdf", "mimeType": "application/pdf", "size": 1234}}'
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("steps.parse.output.total > 1000", True),
        ("steps.parse.output.total > 2000", False),
        ("input.flag == true and input.n > 2", True),
        ("input.flag == true and input.n > 5", False),
        ("input.off or input.n == 3", True),
        ("input.name == 'Ada'", True),
        ("input.items contains 2", True),
        ("steps.parse.output.text contains 'ell'", True),
        ("input.missing", False),
        ("input.none", False),
        ("input.off", False),
        ("input.zero", True),  # Liquid: only false and nil are falsy
        ("input.doc", True),
        ("input.doc.size > 1000", True),
        ("steps.skipped.output == nil", True),
        ("run.attempt >= 2", True),
    ],
)
def test_conditions_use_liquid_truthiness(condition, expected):
    assert evaluate_condition(condition, SCOPE) is expected


@pytest.mark.parametrize(
    "template",
    [
        "{{ input.n ",
        "{% if %}",
        "{% if x %}no end",
        "{{ x | no_such_filter }}",
        "{% nope %}",
    ],
)
def test_template_syntax_errors_are_reported(template):
    problem = check_template(template)
    assert problem and "\n" not in problem


def test_good_templates_pass_the_check():
    for template in [
        "{{ input.n }}",
        "a {{ b | upcase }}",
        "plain",
        "{% for x in a %}{{ x }}{% endfor %}",
    ]:
        assert check_template(template) is None
    assert check_template("{{ x | nope }}") == "unknown filter 'nope'"


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("a >", "expected"),
        ("a > 1 b", "expected end of expression"),
        ("  ", "empty condition"),
        ("{{ a }}", "without {{ }}"),
        ("a %} b", "unexpected '%'"),
    ],
)
def test_condition_syntax_errors_are_reported(condition, problem):
    assert problem in (check_condition(condition) or "")


def test_good_conditions_pass_the_check():
    assert check_condition("steps.fields.output.total > 1000") is None
    assert check_condition("input.flag == true and input.n > 2") is None


def test_references_exclude_locals():
    text = "{% for s in steps.a.output %}{{ s }}{% endfor %}{% assign x = 1 %}{{ x }}{{ run.id }}"
    assert sorted(template_references(text)) == [("run", "id"), ("steps", "a", "output")]
    assert template_references("no template") == []
    refs = condition_references("steps.b.output.n > 1 and input.k")
    assert sorted(refs) == [("input", "k"), ("steps", "b", "output", "n")]
