"""Print the JSON Schemas of the /v1 generation, read off the official SDK's generated
models (`eigenpal._generated.models`, attrs classes written from EigenPal's published
OpenAPI document): one schema per model or enum reachable from ROOTS, by model name.

Run with an interpreter that has `eigenpal` 0.20.x installed (`./scripts/v1-schemas`).
Wire names come from each model's `to_dict` (`"folderId": folder_id`), types from the
attrs annotations, descriptions from the docstrings, required keys from the fields
that have no `Unset` default.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import sys
from importlib.metadata import version
from typing import Any

import attrs
from eigenpal._generated import models

# The models of the endpoints openpal serves on /v1 (items 1-6 of issue 13).
ROOTS = [
    # runs
    "RunStartBody", "RunStartMultipartRequest", "RunAccepted", "Run", "RunsListResponse",
    "RunCancelResponse", "RunStepsResponse", "RunEventsResponse", "RunArtifactsResponse",
    "RunUsageResponse", "RunTraceResponse", "RunScoresResponse",
    # automations
    "ListAutomationsResponse", "AutomationDetail", "ListAutomationVersionsResponse",
    "AutomationVersion", "AutomationTriggersResponse", "CreateAutomationVersionRequestType0",
    "CreateAutomationVersionRequestType1", "RestoreAutomationVersionRequest",
    "DeleteAutomationResponse", "UpdateAutomationRequest",
    # files
    "CreateFileUploadSessionRequest", "MultipartFileUploadFallback",
    "HttpChunkedFileUploadSession", "PresignedFileUploadSession",
    "PresignedMultipartFileUploadSession", "FileUploadSession", "CreateFileMultipartRequest",
    "File", "DeleteFileResponse", "AbortFileUploadResponse",
    "AcceptHttpChunkedUploadChunkResponse", "ListFileUploadPartsResponse",
    # human reviews
    "HumanReviewListResponse", "HumanReviewTaskResponse", "HumanReviewApproveResponse",
    "HumanReviewRejectResponse", "HumanReviewsApproveBody", "HumanReviewsRejectBody",
    # auth
    "AuthCheckResponse",
]

SIMPLE: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "None": {"type": "null"},
    "Any": {},
    "datetime.datetime": {"type": "string", "format": "date-time"},
    "datetime.date": {"type": "string", "format": "date"},
    "File": {"type": "string", "contentMediaType": "application/octet-stream"},
}


def split_top(text: str, sep: str) -> list[str]:
    """`a | list[b | c]` → [`a`, `list[b | c]`]."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


class Schemas:
    def __init__(self) -> None:
        self.out: dict[str, dict[str, Any]] = {}
        self.todo: list[str] = []

    def ref(self, name: str) -> dict[str, Any]:
        if name not in self.out and name not in self.todo:
            self.todo.append(name)
        return {"$ref": f"#/components/schemas/{name}"}

    def of_type(self, text: str) -> dict[str, Any]:
        """An annotation (without `Unset`) → a JSON Schema."""
        alternatives = [a for a in split_top(text, "|") if a != "Unset"]
        schemas = [self.one(a) for a in alternatives]
        if len(schemas) == 1:
            return schemas[0]
        if all(set(s) == {"type"} and isinstance(s["type"], str) for s in schemas):
            return {"type": [s["type"] for s in schemas]}
        return {"anyOf": schemas}

    def one(self, text: str) -> dict[str, Any]:
        if text in SIMPLE:
            return dict(SIMPLE[text])
        m = re.fullmatch(r"list\[(.*)\]", text)
        if m:
            return {"type": "array", "items": self.of_type(m.group(1))}
        m = re.fullmatch(r"dict\[str, (.*)\]", text)
        if m:
            inner = self.of_type(m.group(1))
            return {"type": "object", "additionalProperties": inner or True}
        m = re.fullmatch(r"Literal\[(.*)\]", text)
        if m:
            values = [json.loads(v.replace("'", '"')) for v in split_top(m.group(1), ",")]
            return {"const": values[0]} if len(values) == 1 else {"enum": values}
        if hasattr(models, text):
            return self.ref(text)
        raise SystemExit(f"cannot read the annotation {text!r}")

    def build(self, roots: list[str]) -> dict[str, dict[str, Any]]:
        self.todo = list(roots)
        while self.todo:
            name = self.todo.pop(0)
            if name not in self.out:
                self.out[name] = self.model(getattr(models, name))
        return dict(sorted(self.out.items()))

    def model(self, cls: type) -> dict[str, Any]:
        if issubclass(cls, enum.Enum):
            return {"type": "string", "enum": [m.value for m in cls]}
        docs = descriptions(cls.__doc__ or "")
        wire = wire_names(cls)
        props: dict[str, Any] = {}
        required: list[str] = []
        extra: dict[str, Any] | bool = False
        for f in attrs.fields(cls):
            annotation = str(f.type)
            if f.name == "additional_properties":
                m = re.fullmatch(r"dict\[str, (.*)\]", annotation)
                extra = (self.of_type(m.group(1)) or True) if m else True
                continue
            key = wire.get(f.name, f.name)
            schema = self.of_type(annotation)
            if docs.get(f.name):
                schema = {**schema, "description": docs[f.name]}
            props[key] = schema
            if "Unset" not in split_top(annotation, "|"):
                required.append(key)
        out: dict[str, Any] = {"type": "object"}
        summary = (cls.__doc__ or "").split("Attributes:")[0].strip()
        if summary and not summary.startswith("Example:"):  # examples are Python reprs
            out["description"] = " ".join(summary.split())
        if required:
            out["required"] = required
        out["properties"] = props
        if extra:  # (a model without extras still tolerates them: from_dict ignores them)
            out["additionalProperties"] = extra
        return out


def descriptions(doc: str) -> dict[str, str]:
    """`name (type): text` entries of a Google-style `Attributes:` section."""
    out: dict[str, str] = {}
    current = None
    for line in doc.split("Attributes:", 1)[-1].splitlines():
        m = re.match(r"\s*(\w+) \(.*?\):\s*(.*)$", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current and line.strip():
            out[current] = (out[current] + " " + line.strip()).strip()
    return {k: v for k, v in out.items() if v}


def wire_names(cls: type) -> dict[str, str]:
    """Python attribute → JSON key, read off `to_dict`."""
    source = inspect.getsource(cls.to_dict)  # type: ignore[attr-defined]
    pairs = re.findall(r'"([^"]+)":\s*(\w+),', source)
    pairs += re.findall(r'field_dict\["([^"]+)"\]\s*=\s*(\w+)', source)
    return {var: key for key, var in pairs}


def main() -> None:
    for name in ROOTS:
        if not hasattr(models, name):
            raise SystemExit(f"no model {name} in eigenpal {version('eigenpal')}")
    doc = {
        "source": f"eigenpal {version('eigenpal')} (eigenpal._generated.models)",
        "schemas": Schemas().build(ROOTS),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
