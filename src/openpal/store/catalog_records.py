"""The catalog's value objects at the store interface: API keys, workflows, their
versions, and the cron schedules of their triggers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key: only its hash is stored; `prefix` helps people tell keys apart."""

    id: str
    tenant_id: str
    name: str
    key_hash: str
    prefix: str
    created_at: int
    revoked_at: int | None = None  # a revoked key authenticates nothing


@dataclass(frozen=True)
class WorkflowRecord:
    """A workflow: stable id per slug, pointing at its current version."""

    id: str
    slug: str
    name: str | None
    description: str | None
    kind: str
    created_at: int
    updated_at: int
    current_version_id: str | None
    current_version_label: str | None = None
    deleted_at: int | None = None  # soft-deleted over the API (its runs stay readable)


@dataclass(frozen=True)
class VersionRecord:
    """One immutable version of a workflow, with the YAML it was loaded from."""

    id: str
    workflow_id: str
    seq: int
    version_label: str | None
    content_hash: str
    yaml_content: str
    source_path: str | None
    created_at: int


@dataclass(frozen=True)
class ScheduleRecord:
    """One cron schedule of a workflow (a trigger of its current version)."""

    id: str
    workflow_id: str
    idx: int
    version_id: str
    cron: str
    timezone: str
    input: dict[str, Any]
    paused: bool
    next_fire_at: int  # µs
    last_fired_at: int | None
    last_run_id: str | None
    updated_at: int


@dataclass(frozen=True)
class ScheduleSpec:
    """A trigger to store (`Store.sync_schedules`), with its first fire time."""

    cron: str
    timezone: str
    input: dict[str, Any]
    next_fire_at: int  # µs
