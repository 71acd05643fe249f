"""The `transform.*` step types: set, template, regex-extract."""

from __future__ import annotations

import re
from typing import Any

from openpal.steps.base import Problem, StepContext
from openpal.workflows.model import StepSpec

_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


class SetStep:
    """Output = the rendered `with:` mapping."""

    name = "transform.set"

    def validate(self, step: StepSpec) -> list[Problem]:
        return []

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        return dict(config)


class TemplateStep:
    """`with.template` (already rendered by the engine) → `{"text": ...}`."""

    name = "transform.template"

    def validate(self, step: StepSpec) -> list[Problem]:
        if not isinstance(step.with_.get("template"), str):
            return [("template", "required, a string")]
        return []

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        value = config.get("template")
        return {"text": "" if value is None else str(value)}


def _flags(spec: Any) -> int:
    flags = 0
    for ch in str(spec or ""):
        if ch in _FLAGS:
            flags |= _FLAGS[ch]
    return flags


class RegexExtractStep:
    """`with: {text, patterns: {field: regex}, flags?, all?}` → `{field: match}`.

    A match is the first group, or the whole match when the pattern has no group,
    or a dict when it has named groups; None when nothing matched. With `all:
    true` each field is the list of every match.
    """

    name = "transform.regex-extract"

    def validate(self, step: StepSpec) -> list[Problem]:
        problems: list[Problem] = []
        patterns = step.with_.get("patterns")
        if not isinstance(patterns, dict) or not patterns:
            return [("patterns", "required, a mapping of field name → regular expression")]
        if "text" not in step.with_:
            problems.append(("text", "required"))
        bad_flags = set(str(step.with_.get("flags") or "")) - set(_FLAGS) - {"|", ","}
        if bad_flags:
            problems.append(("flags", f"unknown flags {''.join(sorted(bad_flags))}; use i, m, s"))
        for field, pattern in patterns.items():
            if not isinstance(pattern, str):
                problems.append((f"patterns.{field}", "must be a string"))
            elif "{{" not in pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problems.append((f"patterns.{field}", f"invalid regular expression: {exc}"))
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        text = "" if config.get("text") is None else str(config["text"])
        flags = _flags(config.get("flags"))
        every = bool(config.get("all"))
        out: dict[str, Any] = {}
        for field, pattern in (config.get("patterns") or {}).items():
            rx = re.compile(str(pattern), flags)
            if every:
                out[field] = [_value(m) for m in rx.finditer(text)]
            else:
                m = rx.search(text)
                out[field] = _value(m) if m else None
        return out


def _value(m: re.Match[str]) -> Any:
    if m.re.groupindex:
        return {k: v.strip() if v else v for k, v in m.groupdict().items()}
    value = m.group(1) if m.re.groups else m.group(0)
    return value.strip() if value else value
