"""`ai.extract`: structured fields out of text, described by a JSON Schema.

    - name: fields
      type: ai.extract
      with:
        text: "{{ steps.parse.output.text }}"
        provider: rules            # rules (offline, deterministic) | openai
        on_refusal: fail           # fail | review (park the run for a person)
        schema:
          type: object
          required: [total]
          properties:
            total: {type: number, x-labels: [grand total, total]}

The output conforms to the schema: values the document lacks are null. A field
listed in `required` that is not found is a refusal (`ExtractionRefused`): the step
fails naming it or, with `on_refusal: review`, parks the run for a person
(`extract_review`). With `provider: openai` and an endpoint that cannot be reached,
the rules answer instead (`fallback: rules`, the default; `fallback: none` fails) and
the output says so: `_provider: "rules"` and `_fallback_reason`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from openpal.schemas import check_schema, schema_errors
from openpal.steps.base import Problem, StepContext
from openpal.steps.extract_openai import (
    FORMATS,
    MAX_TIMEOUT_SECONDS,
    ModelUnreachable,
    extract_openai,
)
from openpal.steps.extract_review import REFUSAL_MODES, review_wait, reviewed_output
from openpal.steps.extract_rules import extract_rules
from openpal.workflows.model import StepSpec

__all__ = ["ExtractStep", "ExtractionError", "ExtractionRefused"]

PROVIDERS = ("rules", "openai")
KEYS = {"text", "schema", "provider", "model", "instructions", "max_attempts", "base_url"}
KEYS |= {"response_format", "timeout_seconds", "fallback", "on_refusal", "review_timeout_minutes"}
KEYS |= {"min_confidence"}
FALLBACKS = ("rules", "none")


class ExtractionError(ValueError):
    """The output does not satisfy the schema; the message names the fields."""


class ExtractionRefused(ExtractionError):
    """The document is not what the schema describes, or what it needs was not found
    with enough confidence: `reason` says which, `fields` names the fields concerned.
    The step fails with it, or (with a setting) parks the run for a person."""

    def __init__(self, reason: str, fields: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = list(fields or [])


class ExtractStep:
    name = "ai.extract"

    def validate(self, step: StepSpec) -> list[Problem]:
        cfg = step.with_
        problems: list[Problem] = [
            (str(k), f"unknown key (ai.extract takes {', '.join(sorted(KEYS))})")
            for k in cfg
            if k not in KEYS
        ]
        if "text" not in cfg:
            problems.append(("text", "required: the text to read, e.g. a parse step's output"))
        schema = cfg.get("schema")
        if schema is None:
            problems.append(("schema", "required: a JSON Schema of the fields to extract"))
        elif not (isinstance(schema, str) and "{{" in schema):
            problem = check_schema(schema)
            if problem:
                problems.append(("schema", problem))
            elif schema.get("type") != "object":
                problems.append(("schema", "must describe an object (type: object)"))
        provider = cfg.get("provider", "rules")
        if provider not in PROVIDERS and not (isinstance(provider, str) and "{{" in provider):
            problems.append(("provider", f"must be one of {', '.join(PROVIDERS)}"))
        attempts = cfg.get("max_attempts", 3)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            problems.append(("max_attempts", "must be an integer of at least 1"))
        return problems + _setting_problems(cfg)

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        resumed = ctx.resumed
        if resumed is not None and resumed.waiting_for == "approval":
            return reviewed_output(config, resumed)  # a person decided on a refusal
        try:
            return await self._extract(config, ctx)
        except ExtractionRefused as refusal:
            if config.get("on_refusal", "fail") != "review":
                raise
            raise review_wait(config, refusal.reason) from None

    async def _extract(self, config: dict[str, Any], ctx: StepContext) -> Any:
        text = config.get("text")
        text = "" if text is None else str(text)
        schema = config["schema"]
        provider = config.get("provider", "rules")
        fallback = None
        if provider == "openai":
            try:
                result = await extract_openai(
                    text,
                    schema,
                    model=config.get("model"),
                    instructions=config.get("instructions"),
                    max_attempts=int(config.get("max_attempts", 3)),
                    on_usage=ctx.report_usage,
                    base_url=config.get("base_url"),
                    response_format=config.get("response_format"),
                    timeout_seconds=config.get("timeout_seconds"),
                    confined=ctx.confined,
                )
            except ModelUnreachable as exc:
                if config.get("fallback", "rules") != "rules":
                    raise
                ctx.logger.warning("ai.extract: %s; answering from the rules", exc)
                provider, fallback = "rules", f"model unreachable: {exc}"
        elif provider != "rules":
            raise ExtractionError(f"unknown provider {provider!r}")
        if provider == "rules":
            if "min_confidence" in config:  # below it, a required x-concept field is refused
                schema = {**schema, "x-min-confidence": float(config["min_confidence"])}
            result = await asyncio.to_thread(extract_rules, text, schema)
        out = _checked(result, schema)
        if fallback is not None:
            out |= {"_provider": "rules", "_fallback_reason": fallback}
        return out


def _setting_problems(cfg: Mapping[str, Any]) -> list[Problem]:
    """The model and refusal settings (a template is checked when the step runs)."""
    problems: list[Problem] = []

    def static(key: str) -> bool:
        value = cfg.get(key)
        return key in cfg and not (isinstance(value, str) and "{{" in value)

    for key, allowed in (
        ("response_format", FORMATS),
        ("fallback", FALLBACKS),
        ("on_refusal", REFUSAL_MODES),
    ):
        if static(key) and cfg[key] not in allowed:
            problems.append((key, f"must be one of {', '.join(allowed)}"))
    url = cfg.get("base_url")
    if static("base_url") and not (
        isinstance(url, str) and url.startswith(("http://", "https://"))
    ):
        problems.append(("base_url", "must be an http(s) URL, e.g. http://localhost:11434/v1"))
    for key, high in (("timeout_seconds", MAX_TIMEOUT_SECONDS), ("review_timeout_minutes", None)):
        value = cfg.get(key)
        if not static(key):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append((key, "must be a number above 0"))
        elif high is not None and value > high:
            problems.append((key, f"must be at most {high:g}"))
    low = cfg.get("min_confidence")
    if static("min_confidence") and not (
        isinstance(low, int | float) and not isinstance(low, bool) and 0 <= low <= 1
    ):
        problems.append(("min_confidence", "must be a number from 0 to 1"))
    return problems


def _checked(result: Any, schema: dict[str, Any]) -> Any:
    """Null for what was not found; a missing required field or a wrong value fails."""
    if not isinstance(result, dict):
        raise ExtractionError(f"the provider returned {type(result).__name__}, not an object")
    missing = [k for k in schema.get("required", []) if result.get(k) is None]
    if missing:
        raise ExtractionRefused(f"required field(s) not found: {', '.join(missing)}", missing)
    present = {k: v for k, v in result.items() if v is not None}
    problems = schema_errors(present, {**schema, "required": []})
    if problems:
        raise ExtractionError("the extracted value does not fit the schema: " + "; ".join(problems))
    return {k: result.get(k) for k in schema.get("properties", {})} | present
