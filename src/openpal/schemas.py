"""JSON Schema checks (Draft 2020-12) with messages that name where a value is wrong."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

__all__ = ["check_schema", "schema_errors"]

MAX_ERRORS = 10


def check_schema(schema: Any) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None."""
    if not isinstance(schema, dict):
        return "must be a JSON Schema object"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message}"
    return None


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Everything wrong with `value` against `schema` (empty when it conforms)."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors[:MAX_ERRORS]:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        out.append(f"{where}: {error.message}")
    return out
