"""Typed, frozen results of the SDK's `/v1` calls: automations and their versions,
uploaded files, human-review tasks. Parsed from the wire's camelCase JSON; `raw` keeps
the whole body (keys openpal or EigenPal add later stay readable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Automation:
    """A workflow as `/v1/automations` presents it; `get` adds the JSON Schemas of its
    input and output."""

    id: str
    slug: str
    name: str | None
    type: str = "workflow"
    description: str | None = None
    version: str | None = None
    status: str | None = None
    folder_id: str | None = None
    folder_path: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Automation:
        return cls(
            id=str(d["id"]),
            slug=str(d.get("slug") or ""),
            name=d.get("name"),
            type=str(d.get("type") or "workflow"),
            description=d.get("description"),
            version=d.get("version"),
            status=d.get("status"),
            folder_id=d.get("folderId"),
            folder_path=d.get("folderPath"),
            created_at=d.get("createdAt"),
            updated_at=d.get("updatedAt"),
            input_schema=d.get("inputSchema"),
            output_schema=d.get("outputSchema"),
            raw=d,
        )


@dataclass(frozen=True)
class AutomationVersion:
    """One stored version of an automation; `is_current` marks the one runs start on."""

    id: str
    automation_id: str
    version: str | None
    is_current: bool = False
    created_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> AutomationVersion:
        return cls(
            id=str(d["id"]),
            automation_id=str(d.get("automationId") or ""),
            version=d.get("version"),
            is_current=bool(d.get("isCurrent")),
            created_at=d.get("createdAt"),
            raw=d,
        )


@dataclass(frozen=True)
class File:
    """An uploaded file: pass `{"$fileId": file.id}` as a run input to use it."""

    id: str
    filename: str
    content_type: str | None
    size: int | None
    created_at: str | None = None
    purpose: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ref(self) -> dict[str, str]:
        """This file as a run input value: `{"$fileId": id}`."""
        return {"$fileId": self.id}

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> File:
        size = d.get("size")
        return cls(
            id=str(d["id"]),
            filename=str(d.get("filename") or ""),
            content_type=d.get("contentType"),
            size=None if size is None else int(size),
            created_at=d.get("createdAt"),
            purpose=d.get("purpose"),
            raw=d,
        )


@dataclass(frozen=True)
class ReviewTask:
    """A run waiting at an approval step (`status == "pending"`), or the decision taken
    on it. `get`, `approve` and `reject` fill `input`, `files` and the outcome."""

    id: str
    run_id: str
    automation_id: str
    automation_name: str | None
    step_name: str
    status: str  # pending | approved | rejected | cancelled
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    input: dict[str, Any] | None = None
    files: tuple[dict[str, Any], ...] = ()
    instructions: str | None = None
    completed_at: str | None = None
    outcome_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> ReviewTask:
        return cls(
            id=str(d["id"]),
            run_id=str(d.get("executionId") or ""),
            automation_id=str(d.get("automationId") or ""),
            automation_name=d.get("automationName"),
            step_name=str(d.get("sourceLabel") or ""),
            status=str(d.get("status")),
            version=int(d.get("version") or 0),
            created_at=d.get("createdAt"),
            updated_at=d.get("updatedAt"),
            input=d.get("input"),
            files=tuple(d.get("files") or ()),
            instructions=d.get("instructions"),
            completed_at=d.get("completedAt"),
            outcome_reason=d.get("outcomeReason"),
            raw=d,
        )


@dataclass(frozen=True)
class ReviewTaskPage:
    """One page of `client.human_reviews.list(...)`."""

    tasks: tuple[ReviewTask, ...]
    next_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)
