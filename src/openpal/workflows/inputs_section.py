"""The `inputs:` section of a workflow file → `InputSpec`s, checked field by field."""

from __future__ import annotations

import re
from typing import Any

from openpal.workflows.model import INPUT_TYPES, InputSpec
from openpal.workflows.yaml_source import Source

__all__ = ["parse_inputs"]

INPUT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
INPUT_KEYS = {"name", "type", "required", "default", "description", "items", "file", "secret"}

# Python types a literal `default:` may have, per input type (bool is excluded
# from the numeric ones by hand, since bool is an int in Python).
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "file": (),  # a file cannot be written into YAML
}


def parse_inputs(raw: Any, src: Source) -> list[InputSpec]:
    """Every declared input, in order; names are unique."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise src.error("inputs", "must be a list of {name, type} mappings")
    out: list[InputSpec] = []
    for index, item in enumerate(raw):
        spec = _input(item, f"inputs[{index}]", src)
        if any(seen.name == spec.name for seen in out):
            raise src.error(f"inputs[{index}].name", f"duplicate input {spec.name!r}")
        out.append(spec)
    return out


def _input(item: Any, where: str, src: Source) -> InputSpec:
    if not isinstance(item, dict):
        raise src.error(where, "must be a mapping with at least a name")
    for key in item:
        if key not in INPUT_KEYS:
            allowed = ", ".join(sorted(INPUT_KEYS - {"file"}))
            raise src.error(f"{where}.{key}", f"unknown key (allowed: {allowed})")
    name = item.get("name")
    if not isinstance(name, str) or not INPUT_NAME.match(name):
        raise src.error(
            f"{where}.name",
            "required: lower-case letters, digits, - and _, starting with a letter or digit",
        )
    type_ = _type(item, where, src)
    required = item.get("required", True)
    if not isinstance(required, bool):
        raise src.error(f"{where}.required", "must be true or false")
    has_default = "default" in item
    default = item.get("default")
    if default is not None and not _fits(default, type_):
        raise src.error(f"{where}.default", f"does not match the input's type {type_!r}")
    if type_ == "integer" and isinstance(default, float):
        default = int(default)  # `default: 3.0` for an integer input
    secret = item.get("secret", False)
    if not isinstance(secret, bool):
        raise src.error(f"{where}.secret", "must be true or false")
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise src.error(f"{where}.description", "must be text")
    items = item.get("items")
    if items is not None:
        if not isinstance(items, dict):
            raise src.error(f"{where}.items", "must be a mapping such as {type: file}")
        if "type" in items and items["type"] not in INPUT_TYPES:
            raise src.error(
                f"{where}.items.type",
                f"{items['type']!r} is not one of {', '.join(INPUT_TYPES)}",
            )
    return InputSpec(
        name=name,
        type=type_,
        # A default makes an input optional whatever `required` says: the
        # default is what a missing value becomes.
        required=required and not has_default,
        default=default,
        has_default=has_default,
        description=description,
        items=items,
        secret=secret,
    )


def _type(item: dict[str, Any], where: str, src: Source) -> str:
    legacy_file = item.get("file")  # older files write `file: true` instead of `type: file`
    if legacy_file is not None and not isinstance(legacy_file, bool):
        raise src.error(f"{where}.file", "must be true or false")
    if legacy_file:
        if item.get("type", "file") != "file":
            raise src.error(f"{where}.type", "contradicts `file: true`")
        return "file"
    type_ = item.get("type", "string")
    if type_ not in INPUT_TYPES:
        raise src.error(f"{where}.type", f"{type_!r} is not one of {', '.join(INPUT_TYPES)}")
    return str(type_)


def _fits(value: Any, type_: str) -> bool:
    if isinstance(value, bool) and type_ != "boolean":
        return False
    if type_ == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _DEFAULT_TYPES[type_])
