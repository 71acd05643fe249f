"""Uploaded files and http-chunked upload sessions, as they cross the store interface."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileRecord:
    """An uploaded file: a tenant's name for a content-addressed blob (`sha256:…`)."""

    id: str  # file_…
    tenant_id: str
    blob_id: str
    filename: str
    content_type: str
    size: int
    purpose: str | None  # run-input | builder-attachment (kept a shorter time) | None
    created_at: int


@dataclass(frozen=True)
class UploadRecord:
    """An http-chunked upload session: numbered chunks that `complete` joins into the
    file `file_id`. Status: pending → completed | aborted."""

    id: str  # upl_…
    tenant_id: str
    file_id: str
    filename: str
    content_type: str
    size: int
    purpose: str | None
    idempotency_key: str | None
    chunk_size: int
    chunk_count: int
    status: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class UploadChunk:
    """One received chunk of an upload session, stored as a blob."""

    upload_id: str
    index: int
    blob_id: str
    size: int
