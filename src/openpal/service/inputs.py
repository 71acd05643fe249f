"""Validation of a run's input against the workflow's typed inputs (one issue per field)."""

from __future__ import annotations

from typing import Any

from openpal.errors import InvalidInput, Issue
from openpal.files import FileRef
from openpal.workflows.model import InputSpec, WorkflowDef

_CHECKS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"),
    "number": ((int, float), "a number"),
    "integer": (int, "an integer"),
    "boolean": (bool, "a boolean"),
    "object": (dict, "an object"),
    "array": (list, "an array"),
}


def _type_problem(spec: InputSpec, value: Any) -> str | None:
    if spec.type == "file":
        if isinstance(value, FileRef):
            return None
        return "must be a file (send the run as multipart/form-data with a file part)"
    expected, words = _CHECKS[spec.type]
    if isinstance(value, bool) and spec.type != "boolean":
        return f"must be {words}, not a boolean"
    if spec.type == "integer" and isinstance(value, float) and value.is_integer():
        return None
    if not isinstance(value, expected):
        return f"must be {words}, not {_json_type(value)}"
    wants_files = spec.type == "array" and (spec.items or {}).get("type") == "file"
    if wants_files and isinstance(value, list) and not all(isinstance(v, FileRef) for v in value):
        return "must be a list of files"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def validate_input(wf: WorkflowDef, data: dict[str, Any]) -> dict[str, Any]:
    """The input with defaults filled in, or `InvalidInput` listing every bad field."""
    issues: list[Issue] = []
    result: dict[str, Any] = {}
    known = {spec.name for spec in wf.inputs}
    for key in data:
        if key not in known:
            allowed = ", ".join(sorted(known)) or "none"
            issues.append(
                Issue(
                    f"input.{key}",
                    f"Unknown input (this workflow takes: {allowed})",
                    "unknown_field",
                )
            )
    for spec in wf.inputs:
        if spec.name not in data or data[spec.name] is None:
            if spec.has_default:
                result[spec.name] = spec.default
            elif spec.required:
                issues.append(Issue(f"input.{spec.name}", "Required", "required"))
            continue
        value = data[spec.name]
        problem = _type_problem(spec, value)
        if problem:
            issues.append(Issue(f"input.{spec.name}", problem, "invalid_type"))
            continue
        if spec.type == "integer" and isinstance(value, float):
            value = int(value)
        result[spec.name] = value
    if issues:
        raise InvalidInput(issues)
    return result
