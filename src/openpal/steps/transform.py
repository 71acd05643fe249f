"""The `transform.*` step types: `set`, `template` and `regex-extract`.

They only reshape data, so they run inline on the event loop: each is a few
microseconds of work and a thread hop would cost more than the step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec
from openpal.workflows.templates import to_text

__all__ = ["RegexExtractStep", "SetStep", "TemplateStep"]

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_FLAG_SEPARATORS = set("|, ")


def _is_template(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _unknown_keys(step: StepSpec, allowed: set[str]) -> list[Problem]:
    extra = sorted(str(key) for key in step.with_ if key not in allowed)
    return [(key, f"unknown key (allowed: {', '.join(sorted(allowed))})") for key in extra]


class SetStep:
    """`transform.set`: the output is the rendered `with:` mapping itself."""

    name = "transform.set"

    def validate(self, step: StepSpec) -> list[Problem]:
        return []  # any mapping is a valid output

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        return dict(config)


class TemplateStep:
    """`transform.template`: `with.template` → `{"text": ...}`.

    The engine has already rendered `with:`, so `config["template"]` holds the
    result; a lone `{{ expr }}` arrives as a native value and is printed here.
    """

    name = "transform.template"

    def validate(self, step: StepSpec) -> list[Problem]:
        problems = _unknown_keys(step, {"template"})
        if not isinstance(step.with_.get("template"), str):
            problems.insert(0, ("template", "required: the text to render (a Liquid template)"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        return {"text": to_text(config.get("template"))}


def parse_flags(spec: object) -> int:
    """`"i|m"`, `"im"` or `"i, s"` → `re` flags (unknown letters raise ValueError)."""
    flags = 0
    for letter in str(spec or ""):
        if letter in _FLAG_SEPARATORS:
            continue
        if letter not in _FLAGS:
            raise ValueError(f"unknown regex flag {letter!r} (use i, m, s, x)")
        flags |= _FLAGS[letter]
    return flags


@lru_cache(maxsize=1024)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _match_value(match: re.Match[str]) -> Any:
    if match.re.groupindex:
        return match.groupdict()
    return match.group(1) if match.re.groups else match.group(0)


class RegexExtractStep:
    """`transform.regex-extract`: named regular expressions applied to one text.

    `with: {text, patterns: {field: regex}, flags?: "i|m|s", all?: bool}`. Each
    field is the first capture group, or the whole match when the pattern has no
    group, or a dict when it has named groups; None when nothing matched. With
    `all: true` every field is the list of all matches. Values are not trimmed.
    """

    name = "transform.regex-extract"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        problems = _unknown_keys(step, {"text", "patterns", "flags", "all"})
        if "text" not in cfg:
            problems.append(("text", "required: the text to search"))
        flags = 0
        if not _is_template(cfg.get("flags")):
            try:
                flags = parse_flags(cfg.get("flags"))
            except ValueError as exc:
                problems.append(("flags", str(exc)))
        if "all" in cfg and not isinstance(cfg["all"], bool) and not _is_template(cfg["all"]):
            problems.append(("all", "must be true or false"))
        patterns = cfg.get("patterns")
        if _is_template(patterns):
            return problems  # a whole mapping computed at run time
        if not isinstance(patterns, Mapping) or not patterns:
            problems.append(("patterns", "required: a mapping of field name → regular expression"))
            return problems
        for field, pattern in patterns.items():
            if not isinstance(pattern, str):
                problems.append((f"patterns.{field}", "must be a regular expression (text)"))
            elif not _is_template(pattern):  # templated patterns are only known at run time
                try:
                    _compile(pattern, flags)
                except re.error as exc:
                    problems.append((f"patterns.{field}", f"invalid regular expression: {exc}"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        text = to_text(config.get("text"))
        flags = parse_flags(config.get("flags"))
        every = config.get("all") is True
        patterns = config.get("patterns")
        if not isinstance(patterns, Mapping):
            raise ValueError("patterns must be a mapping of field name → regular expression")
        out: dict[str, Any] = {}
        for field, pattern in patterns.items():
            regex = _compile(str(pattern), flags)
            if every:
                out[str(field)] = [_match_value(m) for m in regex.finditer(text)]
            else:
                match = regex.search(text)
                out[str(field)] = _match_value(match) if match else None
        return out
