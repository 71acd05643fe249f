"""Liquid templates with the native-value rule, and `if:` conditions.

A string that is exactly one `{{ expression }}` yields the expression's native
value (number, object, list, null, a file object); any other string renders as
text. Compiled templates are cached: every step of every run renders its
`with:` mapping, so parsing must not happen on the hot path.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from liquid import Environment, RenderContext, is_undefined
from liquid.builtin.output import OutputNode
from liquid.exceptions import LiquidError

_ENV = Environment()
_SINGLE = re.compile(r"^\s*\{\{(?:(?!\}\}).)*\}\}\s*$", re.S)


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    return _ENV.from_string(text)


@lru_cache(maxsize=4096)
def _compile_condition(condition: str) -> Any:
    return _ENV.from_string("{% if " + condition + " %}1{% endif %}")


def _native(text: str) -> bool:
    return _SINGLE.match(text) is not None and text.count("{{") == 1


def render_string(text: str, scope: dict[str, Any]) -> Any:
    """Render one template string (native value or text)."""
    if "{{" not in text and "{%" not in text:
        return text
    template = _compile(text)
    if _native(text):
        nodes = [n for n in template.nodes if isinstance(n, OutputNode)]
        if len(nodes) == 1:
            value = nodes[0].expression.evaluate(RenderContext(template, globals=scope))
            return None if is_undefined(value) else value
    return template.render(**scope)


def render_value(tree: Any, scope: dict[str, Any]) -> Any:
    """Render every string inside dicts and lists; other values pass through."""
    if isinstance(tree, str):
        return render_string(tree, scope)
    if isinstance(tree, dict):
        return {k: render_value(v, scope) for k, v in tree.items()}
    if isinstance(tree, list):
        return [render_value(v, scope) for v in tree]
    return tree


def evaluate_condition(condition: str, scope: dict[str, Any]) -> bool:
    """The truth of a Liquid `{% if %}` condition (Liquid truthiness)."""
    return bool(_compile_condition(condition).render(**scope) == "1")


def check_template(text: str) -> str | None:
    """A syntax error message for `text`, or None when it compiles."""
    try:
        _compile(text)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return None


def check_condition(condition: str) -> str | None:
    """A syntax error message for an `if:` condition, or None."""
    if not condition.strip():
        return "empty condition"
    try:
        _compile_condition(condition)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return None
