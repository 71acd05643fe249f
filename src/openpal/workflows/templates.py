"""Liquid templates with the native-value rule, `if:` conditions, and their load-time checks.

A string that is exactly one `{{ expression }}` (whitespace around it allowed)
yields the expression's native value: a number, object, list, null, or the very
`FileRef` that is in scope. Any other string renders as text. `if:` holds the
inside of a Liquid `{% if %}` tag and uses Liquid truthiness (only `false`,
`nil` and undefined are false; `0` and `""` are true).

Every step of every run renders its `with:` mapping, so strings are parsed once
and the compiled form is kept in an LRU cache keyed by the string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TextIO

from liquid import BoundTemplate, Environment, Expression, RenderContext, is_undefined
from liquid.builtin.content import ContentNode
from liquid.builtin.expressions import BooleanExpression, Path, tokenize
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.exceptions import LiquidError
from liquid.stream import TokenStream
from liquid.stringify import to_liquid_string
from liquid.token import TOKEN_EXPRESSION, Token

from openpal.files import FileRef, to_jsonable

__all__ = [
    "check_condition",
    "check_template",
    "condition_references",
    "evaluate_condition",
    "render_string",
    "render_value",
    "template_references",
    "to_text",
]

_CACHE_SIZE = 4096


def to_text(value: object) -> str:
    """How a value prints inside text: Liquid's rules, except where they are useless.

    Liquid would print a file as the dataclass repr (leaking the blob's local
    path) and a mapping as a Python repr; a file prints as its name and a
    mapping as JSON, which is what a prompt or a message body wants.
    """
    if is_undefined(value):  # checked first: Liquid's Undefined is also a Mapping
        return ""
    if isinstance(value, FileRef):
        return value.name
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return to_liquid_string(value, autoescape=False)


def _json_default(value: object) -> Any:
    try:
        return to_jsonable(value)
    except TypeError:
        return str(value)


class _TextOutputNode(OutputNode):
    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(to_text(self.expression.evaluate(context)))

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(to_text(await self.expression.evaluate_async(context)))


class _TextOutput(Output):
    node_class = _TextOutputNode


class _TextEchoNode(EchoNode):
    render_to_output = _TextOutputNode.render_to_output
    render_to_output_async = _TextOutputNode.render_to_output_async


class _TextEcho(EchoTag):
    node_class = _TextEchoNode


# Standard Liquid (no `not`, no parentheses), so workflows stay portable to
# other Liquid engines. Strict parsing; undefined variables are lax (they
# render as "" / evaluate to None) because optional inputs are routine.
_ENV = Environment()
_ENV.add_tag(_TextOutput)
_ENV.add_tag(_TextEcho)
# Expressions are evaluated in a RenderContext, which needs some template; any will do.
_BLANK = _ENV.from_string("")


@dataclass(frozen=True)
class _Compiled:
    template: BoundTemplate
    native: Expression | None  # set when the string is a single `{{ expression }}`


@lru_cache(maxsize=_CACHE_SIZE)
def _compile(text: str) -> _Compiled:
    template = _ENV.from_string(text)
    # `type() is`, not isinstance: `{% echo %}` nodes subclass output nodes but
    # are tags, and only a `{{ }}` statement gets the native-value rule.
    outputs = [n for n in template.nodes if type(n) is _TextOutputNode]
    only_space = all(
        type(n) is _TextOutputNode or (isinstance(n, ContentNode) and not n.text.strip())
        for n in template.nodes
    )
    native = outputs[0].expression if len(outputs) == 1 and only_space else None
    return _Compiled(template, native)


@lru_cache(maxsize=_CACHE_SIZE)
def _compile_condition(condition: str) -> BooleanExpression:
    # Parsed as a bare expression rather than by wrapping it in `{% if … %}`, so
    # a condition containing `%}` cannot smuggle extra markup in.
    token = Token(TOKEN_EXPRESSION, condition, 0, condition)
    return BooleanExpression.parse(_ENV, TokenStream(tokenize(condition, token)))


def _native(value: object) -> Any:
    if is_undefined(value):
        return None
    if isinstance(value, range):  # `(1..3)`: ranges are not JSON
        return list(value)
    return value


def render_string(text: str, scope: Mapping[str, Any]) -> Any:
    """Render one template string: the native value of a lone `{{ expr }}`, else text."""
    if "{" not in text:  # most config strings are plain; skip the cache lookup
        return text
    compiled = _compile(text)
    if compiled.native is not None:
        context = RenderContext(_BLANK, globals=scope)
        return _native(compiled.native.evaluate(context))
    return compiled.template.render(**scope)


def render_value(tree: Any, scope: Mapping[str, Any]) -> Any:
    """Render every string inside dicts and lists; other values pass through unchanged.

    `scope` is `{"input": {...}, "steps": {name: {"output": ...}}, "run": {...}}`.
    Objects in scope (files especially) come back as the same objects.
    """
    if isinstance(tree, str):
        return render_string(tree, scope)
    if isinstance(tree, Mapping):
        return {key: render_value(value, scope) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return [render_value(value, scope) for value in tree]
    return tree


def evaluate_condition(condition: str, scope: Mapping[str, Any]) -> bool:
    """The truth of a Liquid `{% if %}` condition such as `steps.a.output.total > 1000`."""
    return _compile_condition(condition).evaluate(RenderContext(_BLANK, globals=scope))


def _first_line(exc: LiquidError) -> str:
    # Liquid appends a source excerpt with a caret; the loader adds its own location.
    return str(exc).splitlines()[0].strip()


def check_template(text: str) -> str | None:
    """A syntax error message for template `text` (unknown filters included), or None."""
    if "{" not in text:
        return None
    try:
        compiled = _compile(text)
    except LiquidError as exc:
        return _first_line(exc)
    # Unknown filters only fail when rendered; look for them now instead.
    filters = compiled.template.analyze(include_partials=False).filters
    unknown = sorted(name for name in filters if name not in _ENV.filters)
    if unknown:
        return f"unknown filter {unknown[0]!r}"
    return None


def check_condition(condition: str) -> str | None:
    """A syntax error message for an `if:` condition, or None when it parses."""
    if not condition.strip():
        return "empty condition"
    if "{{" in condition or "{%" in condition:
        return "write the condition without {{ }} or {% %}, e.g. `steps.a.output.n > 1`"
    try:
        _compile_condition(condition)  # Liquid conditions take no filters: nothing more to check
    except LiquidError as exc:
        return _first_line(exc)
    return None


def _walk(expression: Expression) -> Iterator[Expression]:
    yield expression
    for child in expression.children():
        yield from _walk(child)


def _leading_names(segments: list[Any]) -> tuple[str, ...]:
    # `steps[input.which].output` has a computed segment: stop before it, since
    # only the literal prefix can be checked statically.
    names: list[str] = []
    for segment in segments:
        if not isinstance(segment, str):
            break
        names.append(segment)
    return tuple(names)


def template_references(text: str) -> list[tuple[str, ...]]:
    """Variable paths the template reads from its scope (loop and assign locals excluded).

    `"{{ steps.a.output.x }}"` gives `[("steps", "a", "output", "x")]`. The
    template must be valid (see `check_template`).
    """
    if "{" not in text:
        return []
    analysis = _compile(text).template.analyze(include_partials=False)
    return [
        _leading_names(list(variable.segments))
        for variables in analysis.globals.values()
        for variable in variables
    ]


def condition_references(condition: str) -> list[tuple[str, ...]]:
    """Variable paths an `if:` condition reads (the condition must be valid)."""
    paths = (node for node in _walk(_compile_condition(condition)) if isinstance(node, Path))
    return [_leading_names(list(path.path)) for path in paths]
