"""The files part of the `Store` protocol: uploaded files, http-chunked upload sessions,
and which stored blobs something still refers to (written in `files_sql`).
"""

from __future__ import annotations

from typing import Protocol

from openpal.store.file_records import FileRecord, UploadChunk, UploadRecord


class FileStore(Protocol):
    """Tenants' files and uploads; their bytes live in the blob store."""

    # -- files -------------------------------------------------------------
    async def create_file(self, file: FileRecord) -> None:
        """Record an uploaded file (its blob is already stored)."""
        ...

    async def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        """One file of this tenant, or None (another tenant's file is None too)."""
        ...

    async def find_files(self, tenant_id: str, file_ids: list[str]) -> list[FileRecord]:
        """Those of these files that exist and belong to this tenant (any order)."""
        ...

    async def delete_file(self, tenant_id: str, file_id: str) -> bool:
        """Forget a file; its blob stays while a run refers to it. False if unknown."""
        ...

    async def prune_files(self, before: int, temporary_before: int, limit: int) -> int:
        """Delete up to `limit` files created before `before`, or before
        `temporary_before` when they have a purpose (run-input, builder-attachment: kept
        a shorter time); returns how many (call again until fewer than `limit`)."""
        ...

    # -- upload sessions ---------------------------------------------------
    async def create_upload(self, upload: UploadRecord, now: int) -> UploadRecord:
        """Start an upload session, or, when the tenant has a pending unexpired session
        with the same idempotency key and the same file (name, type, size, purpose),
        return that one. The same key for a different file raises `Conflict`."""
        ...

    async def get_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        """One upload session of this tenant, or None."""
        ...

    async def save_upload_chunk(self, chunk: UploadChunk) -> bool:
        """Record a received chunk (one sent again replaces the earlier one); False when
        the session is no longer pending (completed, aborted or pruned)."""
        ...

    async def list_upload_chunks(self, upload_id: str) -> list[UploadChunk]:
        """The chunks received so far, by index."""
        ...

    async def complete_upload(self, upload_id: str, file: FileRecord) -> FileRecord | None:
        """In one transaction: record `file`, mark the session completed and drop its
        chunks. A session completed before returns the file it became (complete is
        idempotent); an aborted one returns None."""
        ...

    async def abort_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        """Mark a pending session aborted and drop its chunks; a completed or aborted one
        is returned unchanged; None if unknown."""
        ...

    async def prune_uploads(self, before: int, limit: int) -> int:
        """Delete up to `limit` upload sessions (any status) that expired before `before`,
        with their chunks; returns how many."""
        ...

    # -- blobs -------------------------------------------------------------
    async def referenced_files(self, file_ids: list[str]) -> set[str]:
        """Which of these stored blobs something still refers to: a run (runs record the
        files of their input when they are created; pruning a run drops its references),
        an uploaded file, or a chunk of an upload session."""
        ...
