"""Liquid templates: the native-value rule, text rendering, filters, conditions."""

from __future__ import annotations

import pytest

from openpal.files import FileRef
from openpal.workflows.templates import (
    check_condition,
    check_template,
    evaluate_condition,
    render_value,
)

DOC = FileRef("sha256:" + "0" * 64, "contract.pdf", "application/pdf", 1234)
SCOPE = {
    "input": {"n": 3, "price": 2.5, "obj": {"a": [1, 2]}, "items": [1, 2, 3], "none": None,
              "name": "Ada", "flag": True, "doc": DOC},
    "steps": {"parse": {"output": {"total": 1500, "text": "hello"}}},
    "run": {"id": "exec_1", "workflow": "w", "attempt": 1},
}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ input.n }}", 3),
        ("  {{ input.price }}  ", 2.5),
        ("{{ input.obj }}", {"a": [1, 2]}),
        ("{{ input.items }}", [1, 2, 3]),
        ("{{ input.none }}", None),
        ("{{ input.missing }}", None),
        ("{{ input.flag }}", True),
        ("{{ steps.parse.output.total }}", 1500),
        ("{{ input.items | size }}", 3),
        ("{{ input.missing | default: 'x' }}", "x"),
        ("{{ run.id }}", "exec_1"),
    ],
)
def test_single_expression_keeps_its_native_value(template, expected):
    assert render_value(template, SCOPE) == expected


def test_file_objects_come_back_as_the_same_object():
    assert render_value("{{ input.doc }}", SCOPE) is DOC
    assert render_value("{{ input.doc.name }}", SCOPE) == "contract.pdf"
    assert render_value("file: {{ input.doc.name }}", SCOPE) == "file: contract.pdf"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello, {{ input.name }}!", "Hello, Ada!"),
        ("{{ input.n }} items", "3 items"),
        ("{{ input.n }}{{ input.n }}", "33"),
        ("{{ input.missing }}-", "-"),
        ("{% if input.flag %}yes{% endif %}", "yes"),
        ("{{ input.name | upcase }}", "ADA"),
        ("plain text", "plain text"),
    ],
)
def test_anything_else_renders_as_text(template, expected):
    assert render_value(template, SCOPE) == expected


def test_trees_are_rendered_recursively():
    tree = {"a": "{{ input.n }}", "b": ["{{ input.name }}", 5, None], "c": {"d": "x{{ input.n }}"}}
    assert render_value(tree, SCOPE) == {"a": 3, "b": ["Ada", 5, None], "c": {"d": "x3"}}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("steps.parse.output.total > 1000", True),
        ("steps.parse.output.total > 2000", False),
        ("input.flag and input.n == 3", True),
        ("input.missing", False),
        ("input.none", False),
        ("input.name == 'Ada' or input.n > 10", True),
    ],
)
def test_conditions(condition, expected):
    assert evaluate_condition(condition, SCOPE) is expected


def test_syntax_errors_are_reported():
    assert check_template("{{ input.n }}") is None
    assert check_template("{{ input.n ") is not None
    assert check_template("{% if %}") is not None
    assert check_condition("a > 1") is None
    assert check_condition("a >") is not None
    assert check_condition("  ") == "empty condition"
