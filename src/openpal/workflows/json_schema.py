"""A workflow's typed `inputs` as a JSON Schema (draft 2020-12), as `/v1/automations`
serves it under `inputSchema`.

The schema says what a JSON run start may send: one property per input, `required`
for inputs without a default, no other keys (a run with an unknown input is refused).
A `file` input is an object: over JSON it is `{"$fileId": "file_…"}` naming a file
uploaded with `POST /v1/files`; multipart starts send the file as a `files.<input>`
part instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpal.workflows.model import INPUT_TYPES, InputSpec, WorkflowDef

__all__ = ["FILE_SCHEMA", "input_schema", "output_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "format": "file",
    "description": 'A file: {"$fileId": "file_…"} of a file uploaded with POST /v1/files,'
    " or a `files.<input>` part of a multipart run start",
    "properties": {"$fileId": {"type": "string", "pattern": "^file_"}},
    "required": ["$fileId"],
}


def _value_schema(type_: str, items: Mapping[str, Any] | None) -> dict[str, Any]:
    """The schema of one value of an input type (`items`: an array's element spec)."""
    if type_ == "file":
        return dict(FILE_SCHEMA)
    schema: dict[str, Any] = {"type": type_}
    if type_ == "array" and items:
        schema["items"] = _items_schema(items)
    return schema


def _items_schema(items: Mapping[str, Any]) -> dict[str, Any]:
    """`items:` as written in the workflow: its `type` may be any input type (`file`
    included); the other keys are the author's JSON Schema and are kept as written."""
    element_type = items.get("type")
    if element_type not in INPUT_TYPES:
        return dict(items)
    nested = items.get("items")
    schema = _value_schema(str(element_type), nested if isinstance(nested, Mapping) else None)
    return {**schema, **{k: v for k, v in items.items() if k not in ("type", "items")}}


def _property(spec: InputSpec) -> dict[str, Any]:
    schema = _value_schema(spec.type, spec.items)
    if spec.description:
        schema["description"] = spec.description
    if spec.has_default:
        schema["default"] = spec.default
    return schema


def input_schema(wf: WorkflowDef) -> dict[str, Any]:
    """The JSON Schema of a run's `input` for this workflow version."""
    return {
        "$schema": DIALECT,
        "type": "object",
        "properties": {spec.name: _property(spec) for spec in wf.inputs},
        "required": [spec.name for spec in wf.inputs if spec.required],
        "additionalProperties": False,
    }


def output_schema(wf: WorkflowDef) -> dict[str, Any] | None:
    """The workflow's declared `output_schema`, or None when it declares none."""
    return None if wf.output_schema is None else dict(wf.output_schema)
