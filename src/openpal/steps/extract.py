"""`ai.extract`: structured fields out of text, described by a JSON Schema.

    - name: fields
      type: ai.extract
      with:
        text: "{{ steps.parse.output.text }}"
        provider: rules            # rules (offline, deterministic) | openai
        schema:
          type: object
          required: [total]
          properties:
            total: {type: number, x-labels: [grand total, total]}

The output conforms to the schema: values the document lacks are null (a field
listed in `required` that is not found fails the step, naming it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from openpal.schemas import check_schema, schema_errors
from openpal.steps.base import Problem, StepContext
from openpal.steps.extract_openai import extract_openai
from openpal.steps.extract_rules import extract_rules
from openpal.workflows.model import StepSpec

__all__ = ["ExtractStep", "ExtractionError", "ExtractionRefused"]

PROVIDERS = ("rules", "openai")
KEYS = {"text", "schema", "provider", "model", "instructions", "max_attempts"}


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
        return problems

    async def run(self, config: dict[str, Any], ctx: StepContext) -> Any:
        text = config.get("text")
        text = "" if text is None else str(text)
        schema = config["schema"]
        provider = config.get("provider", "rules")
        if provider == "openai":
            result = await extract_openai(
                text,
                schema,
                model=config.get("model"),
                instructions=config.get("instructions"),
                max_attempts=int(config.get("max_attempts", 3)),
                on_usage=ctx.report_usage,
            )
        elif provider == "rules":
            result = await asyncio.to_thread(extract_rules, text, schema)
        else:
            raise ExtractionError(f"unknown provider {provider!r}")
        return _checked(result, schema)


def _checked(result: Any, schema: dict[str, Any]) -> Any:
    """Null for what was not found; a missing required field or a wrong value fails."""
    if not isinstance(result, dict):
        raise ExtractionError(f"the provider returned {type(result).__name__}, not an object")
    missing = [k for k in schema.get("required", []) if result.get(k) is None]
    if missing:
        raise ExtractionError(f"required field(s) not found: {', '.join(missing)}")
    present = {k: v for k, v in result.items() if v is not None}
    problems = schema_errors(present, {**schema, "required": []})
    if problems:
        raise ExtractionError("the extracted value does not fit the schema: " + "; ".join(problems))
    return {k: result.get(k) for k in schema.get("properties", {})} | present
