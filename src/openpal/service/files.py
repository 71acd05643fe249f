"""Uploaded files, per tenant: stored as content-addressed blobs, uploaded in one request
or in http-chunked sessions, and `{"$fileId": "file_…"}` values in run inputs resolved
to them."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from openpal.blobs.base import BlobStore, read_chunks
from openpal.engine.ids import new_id
from openpal.errors import Conflict, InvalidInput, Issue, NotFound, PayloadTooLarge
from openpal.files import FileRef
from openpal.service.runs import now_micros
from openpal.store.base import Store
from openpal.store.file_records import FileRecord, UploadChunk, UploadRecord

PURPOSES = ("run-input", "builder-attachment")
UPLOAD_TTL_SECONDS = 24 * 3600  # an unfinished http-chunked upload is kept this long
MAX_CHUNK_BYTES = 8 * 1024 * 1024  # the SDK holds one chunk in memory while it sends it
MAX_NAME = 255
FILE_ID_KEY = "$fileId"


def check_name(value: Any, field: str, what: str = "a file name") -> str:
    """`value` as a file name or content type: 1-255 characters, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput([Issue(field, f"must be {what} (a non-empty string)", "required")])
    if len(value) > MAX_NAME:
        raise InvalidInput([Issue(field, f"must be at most {MAX_NAME} characters")])
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput([Issue(field, "must not contain control characters")])
    return value


def check_purpose(value: Any, field: str = "purpose") -> str | None:
    """None, or one of `PURPOSES`."""
    if value is None:
        return None
    if value not in PURPOSES:
        raise InvalidInput(
            [Issue(field, f"must be one of {', '.join(PURPOSES)} (or omitted)", "invalid_enum")]
        )
    return str(value)


def chunk_length(upload: UploadRecord, index: int) -> int:
    """How many bytes chunk `index` of `upload` holds (the last one holds the rest)."""
    if index < upload.chunk_count - 1:
        return upload.chunk_size
    return upload.size - upload.chunk_size * (upload.chunk_count - 1)


class FileService:
    """The files of every tenant; each call is scoped to one tenant."""

    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        *,
        max_upload_bytes: int,
        max_file_bytes: int,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.max_upload_bytes = max_upload_bytes  # one request's file
        self.max_file_bytes = max(max_file_bytes, max_upload_bytes)  # a file in all
        self.chunk_bytes = min(max_upload_bytes, MAX_CHUNK_BYTES)
        self.clock = clock

    # -- files ------------------------------------------------------------
    async def store_content(
        self, chunks: AsyncIterator[bytes], *, filename: str, content_type: str
    ) -> FileRef:
        """Stream one request's file into the blob store (413 past `max_upload_bytes`)."""
        return await self.blobs.put_stream(
            chunks, name=filename, mime_type=content_type, max_bytes=self.max_upload_bytes
        )

    async def add(
        self, tenant_id: str, content: FileRef, *, filename: str, content_type: str,
        purpose: str | None,
    ) -> FileRecord:  # fmt: skip
        """Name stored content as a new file of this tenant."""
        now = self.clock()
        record = FileRecord(
            id=new_id("file", now),
            tenant_id=tenant_id,
            blob_id=content.file_id,
            filename=filename,
            content_type=content_type,
            size=content.size,
            purpose=purpose,
            created_at=now,
        )
        await self.store.create_file(record)
        return record

    async def create(
        self, tenant_id: str, chunks: AsyncIterator[bytes], *, filename: str,
        content_type: str, purpose: str | None = None,
    ) -> FileRecord:  # fmt: skip
        """Store a stream as a new file of this tenant."""
        content = await self.store_content(chunks, filename=filename, content_type=content_type)
        return await self.add(
            tenant_id, content, filename=filename, content_type=content_type, purpose=purpose
        )

    async def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """A file of this tenant; NotFound otherwise (another tenant's file included)."""
        found = await self.store.get_file(tenant_id, file_id)
        if found is None:
            raise NotFound(f"file {file_id!r} not found", issues=_missing("id", file_id))
        return found

    async def open_content(self, tenant_id: str, file_id: str) -> tuple[FileRecord, Path]:
        """A file and where its content lies on disk (fetched into the local cache when
        it lives in the database or a bucket)."""
        found = await self.get(tenant_id, file_id)
        ref = await self.blobs.resolve(_blob_ref(found))
        if ref.path is None:
            raise NotFound(f"file {file_id!r}: its content is gone", issues=_missing("id", file_id))
        return found, ref.path

    async def delete(self, tenant_id: str, file_id: str) -> None:
        """Forget a file; runs that used it keep their copy."""
        if not await self.store.delete_file(tenant_id, file_id):
            raise NotFound(f"file {file_id!r} not found", issues=_missing("id", file_id))

    # -- upload sessions --------------------------------------------------
    async def negotiate(
        self, tenant_id: str, *, filename: str, content_type: str, size: int,
        purpose: str | None, idempotency_key: str | None,
    ) -> UploadRecord | None:  # fmt: skip
        """None when the file fits one request (send it to `POST /v1/files`); else an
        http-chunked session. 413 past `max_file_bytes`."""
        if size <= self.max_upload_bytes:
            return None
        if size > self.max_file_bytes:
            message = f"a file may be at most {self.max_file_bytes} bytes; this one is {size}"
            raise PayloadTooLarge(message, issues=[Issue("size", message, "payload_too_large")])
        now = self.clock()
        upload = UploadRecord(
            id=new_id("upl", now),
            tenant_id=tenant_id,
            file_id=new_id("file", now),
            filename=filename,
            content_type=content_type,
            size=size,
            purpose=purpose,
            idempotency_key=idempotency_key,
            chunk_size=self.chunk_bytes,
            chunk_count=math.ceil(size / self.chunk_bytes),
            status="pending",
            created_at=now,
            expires_at=now + UPLOAD_TTL_SECONDS * 1_000_000,
        )
        return await self.store.create_upload(upload, now)

    async def get_upload(self, tenant_id: str, upload_id: str) -> UploadRecord:
        """An upload session of this tenant; NotFound otherwise."""
        found = await self.store.get_upload(tenant_id, upload_id)
        if found is None:
            raise NotFound(
                f"upload {upload_id!r} not found", issues=_missing("uploadId", upload_id)
            )
        return found

    def is_expired(self, upload: UploadRecord) -> bool:
        return upload.status == "pending" and upload.expires_at <= self.clock()

    def _pending(self, upload: UploadRecord) -> UploadRecord:
        """`upload`, if it still takes chunks; 409 otherwise."""
        if self.is_expired(upload):
            raise _conflict("uploadId", f"upload {upload.id} expired; start a new one")
        if upload.status != "pending":
            raise _conflict("uploadId", f"upload {upload.id} is {upload.status}")
        return upload

    async def put_chunk(
        self, tenant_id: str, upload_id: str, index: int, chunks: AsyncIterator[bytes]
    ) -> UploadChunk:
        """Store chunk `index` (exactly its expected length; one sent again replaces it)."""
        upload = self._pending(await self.get_upload(tenant_id, upload_id))
        if not 0 <= index < upload.chunk_count:
            raise InvalidInput(
                [Issue("chunkIndex", f"must be an integer in [0, {upload.chunk_count})")]
            )
        expected = chunk_length(upload, index)
        try:
            ref = await self.blobs.put_stream(
                chunks,
                name=f"{upload.filename} (chunk {index})",
                mime_type="application/octet-stream",
                max_bytes=expected,
            )
        except PayloadTooLarge:
            message = f"chunk {index} must be {expected} bytes; more arrived"
            raise PayloadTooLarge(
                message, issues=[Issue("<body>", message, "payload_too_large")]
            ) from None
        if ref.size != expected:
            raise InvalidInput(
                [Issue("<body>", f"chunk {index} must be {expected} bytes, got {ref.size}")]
            )
        chunk = UploadChunk(upload_id, index, ref.file_id, ref.size)
        if not await self.store.save_upload_chunk(chunk):
            raise _conflict("uploadId", f"upload {upload_id} is no longer pending")
        return chunk

    async def complete_upload(self, tenant_id: str, upload_id: str) -> FileRecord:
        """Join the chunks into the session's file (again: the same file)."""
        upload = await self.get_upload(tenant_id, upload_id)
        if upload.status == "completed":
            return await self._completed(upload)
        self._pending(upload)
        chunks = await self.store.list_upload_chunks(upload_id)
        missing = sorted(set(range(upload.chunk_count)) - {c.index for c in chunks})
        if missing:
            shown = ", ".join(str(i) for i in missing[:20]) + (" …" if len(missing) > 20 else "")
            raise _conflict("chunks", f"chunks not received yet: {shown}")
        ref = await self.blobs.put_stream(
            self._joined(chunks),
            name=upload.filename,
            mime_type=upload.content_type,
            max_bytes=upload.size,
        )
        record = FileRecord(
            id=upload.file_id,
            tenant_id=tenant_id,
            blob_id=ref.file_id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=ref.size,
            purpose=upload.purpose,
            created_at=self.clock(),
        )
        done = await self.store.complete_upload(upload_id, record)
        if done is None:
            raise _conflict("uploadId", f"upload {upload_id} was aborted")
        return done

    async def _completed(self, upload: UploadRecord) -> FileRecord:
        found = await self.store.get_file(upload.tenant_id, upload.file_id)
        if found is None:
            raise _conflict("uploadId", f"upload {upload.id} completed; its file was deleted")
        return found

    async def _joined(self, chunks: list[UploadChunk]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            ref = await self.blobs.resolve({"fileId": chunk.blob_id, "size": chunk.size})
            if ref.path is None:
                raise _conflict("chunks", f"chunk {chunk.index} is gone; send it again")
            with ref.path.open("rb") as f:
                async for piece in read_chunks(f):
                    yield piece

    async def abort_upload(self, tenant_id: str, upload_id: str) -> bool:
        """Abort a pending session (its chunks are dropped); False if it was not pending."""
        found = await self.store.abort_upload(tenant_id, upload_id)
        if found is None:
            raise NotFound(
                f"upload {upload_id!r} not found", issues=_missing("uploadId", upload_id)
            )
        return found.status == "aborted"

    # -- run inputs -------------------------------------------------------
    async def resolve_file_ids(self, tenant_id: str, value: Any) -> Any:
        """`value` (a run's input) with every `{"$fileId": "file_…"}` (that one key, at
        any depth) replaced by the file's `FileRef`. An id that is not a file of this
        tenant is a NotFound naming the field (`input.contract_document`), never its
        content; a `$fileId` that is not a string is a 400."""
        found: list[tuple[str, str]] = []
        try:
            _collect(value, "input", found)
        except RecursionError:
            raise InvalidInput([Issue("input", "nested too deeply")]) from None
        if not found:
            return value
        ids = sorted({file_id for _, file_id in found})
        files = {f.id: f for f in await self.store.find_files(tenant_id, ids)}
        unknown = [(path, file_id) for path, file_id in found if file_id not in files]
        if unknown:
            issues = [
                Issue(path, f"file {file_id!r} not found", "not_found") for path, file_id in unknown
            ]
            raise NotFound(issues[0].message, issues=issues)
        return _replace(value, files)


def _missing(field: str, what: str) -> list[Issue]:
    return [Issue(field, f"{what!r} not found", "not_found")]


def _conflict(field: str, message: str) -> Conflict:
    return Conflict(message, issues=[Issue(field, message, "conflict")])


def _blob_ref(f: FileRecord) -> dict[str, object]:
    return {"fileId": f.blob_id, "name": f.filename, "mimeType": f.content_type, "size": f.size}


def _is_file_id(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and FILE_ID_KEY in value


def _collect(value: Any, path: str, found: list[tuple[str, str]]) -> None:
    if _is_file_id(value):
        file_id = value[FILE_ID_KEY]
        if not isinstance(file_id, str) or not file_id:
            raise InvalidInput([Issue(path, "$fileId must be a file id such as file_…")])
        found.append((path, file_id))
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{path}.{key}", found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect(item, f"{path}[{i}]", found)


def _replace(value: Any, files: dict[str, FileRecord]) -> Any:
    if _is_file_id(value):
        f = files[value[FILE_ID_KEY]]
        return FileRef(file_id=f.blob_id, name=f.filename, mime_type=f.content_type, size=f.size)
    if isinstance(value, dict):
        return {key: _replace(item, files) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, files) for item in value]
    return value
