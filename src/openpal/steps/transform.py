"""The `transform.*` step types: `set`, `template` and `regex-extract`.

They only reshape data, so they run inline on the event loop: each is a few
microseconds of work and a thread hop would cost more than the step. The one
exception is `regex-extract` on a long text: its patterns run in linear time (RE2,
`steps/safe_regex.py`), on a thread that releases the GIL while it searches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from openpal.settings import Settings
from openpal.steps.base import Problem, StepContext
from openpal.steps.safe_regex import RegexError, compile_safe, parse_flags
from openpal.workflows.model import StepSpec
from openpal.workflows.templates import to_text

__all__ = ["RegexExtractStep", "SetStep", "TemplateStep"]

_INLINE_TEXT = 4096  # longer texts are searched on a thread


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


def _limits() -> Settings:
    return Settings.from_env()


def _match_value(match: Any) -> Any:
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
        flags = ""
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
        limit = _limits().regex_max_pattern_chars
        for field, pattern in patterns.items():
            if not isinstance(pattern, str):
                problems.append((f"patterns.{field}", "must be a regular expression (text)"))
            elif not _is_template(pattern):  # templated patterns are only known at run time
                try:
                    compile_safe(pattern, flags, limit)
                except RegexError as exc:
                    problems.append((f"patterns.{field}", str(exc)))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        text = to_text(config.get("text"))
        flags = parse_flags(config.get("flags"))
        every = config.get("all") is True
        patterns = config.get("patterns")
        if not isinstance(patterns, Mapping):
            raise ValueError("patterns must be a mapping of field name → regular expression")
        limits = _limits()
        if len(text) > limits.regex_max_text_chars:
            raise ValueError(
                f"{self.name}: text is {len(text)} characters; the limit is"
                f" {limits.regex_max_text_chars} (OPENPAL_REGEX_MAX_TEXT_CHARS)"
            )
        compiled = {}
        for field, pattern in patterns.items():
            try:
                compiled[str(field)] = compile_safe(
                    str(pattern), flags, limits.regex_max_pattern_chars
                )
            except RegexError as exc:
                raise ValueError(f"{self.name}: patterns.{field}: {exc}") from None
        if len(text) <= _INLINE_TEXT:
            return _search(compiled, text, every, limits.regex_max_matches)
        return await asyncio.to_thread(_search, compiled, text, every, limits.regex_max_matches)


def _search(compiled: dict[str, Any], text: str, every: bool, max_matches: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, regex in compiled.items():
        if not every:
            match = regex.search(text)
            out[field] = _match_value(match) if match else None
            continue
        values: list[Any] = []
        for match in regex.finditer(text):
            if len(values) == max_matches:
                raise ValueError(
                    f"transform.regex-extract: patterns.{field} matched more than"
                    f" {max_matches} times (OPENPAL_REGEX_MAX_MATCHES)"
                )
            values.append(_match_value(match))
        out[field] = values
    return out
