"""The files section of the `Store` (uploaded files and http-chunked upload sessions), for
both backends: each statement is written once with `?` marks, and the PostgreSQL mixin
numbers them. `SqliteStore` and `PostgresStore` inherit these mixins."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from openpal.errors import Conflict, Issue
from openpal.store.file_records import FileRecord, UploadChunk, UploadRecord
from openpal.store.rows import numbered
from openpal.store.sqlite_engine import SqliteEngine

if TYPE_CHECKING:  # the embedded default runs without asyncpg installed
    import asyncpg

    from openpal.store.pg_engine import PgEngine

FILE_COLS = "id, tenant_id, blob_id, filename, content_type, size, purpose, created_at"
UPLOAD_COLS = (
    "id, tenant_id, file_id, filename, content_type, size, purpose, idempotency_key,"
    " chunk_size, chunk_count, status, created_at, expires_at"
)
CHUNK_COLS = "upload_id, chunk_index, blob_id, size"

INSERT_FILE = f"INSERT INTO files ({FILE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
GET_FILE = f"SELECT {FILE_COLS} FROM files WHERE id = ? AND tenant_id = ?"
DELETE_FILE = "DELETE FROM files WHERE id = ? AND tenant_id = ?"
PRUNE_FILES = (
    "DELETE FROM files WHERE id IN (SELECT id FROM files WHERE created_at < ?"
    " OR (purpose IS NOT NULL AND created_at < ?) LIMIT ?)"
)
INSERT_UPLOAD = (
    f"INSERT INTO file_uploads ({UPLOAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
GET_UPLOAD = f"SELECT {UPLOAD_COLS} FROM file_uploads WHERE id = ? AND tenant_id = ?"
PENDING_BY_KEY = (
    f"SELECT {UPLOAD_COLS} FROM file_uploads WHERE tenant_id = ? AND idempotency_key = ?"
    " AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1"
)
# Only a pending session takes chunks; a chunk sent again replaces the earlier one.
SAVE_CHUNK = (
    f"INSERT INTO file_upload_chunks ({CHUNK_COLS}) SELECT ?, ?, ?, ?"
    " WHERE EXISTS (SELECT 1 FROM file_uploads WHERE id = ? AND status = 'pending')"
    " ON CONFLICT (upload_id, chunk_index) DO UPDATE SET blob_id = excluded.blob_id,"
    " size = excluded.size"
)
LIST_CHUNKS = (
    f"SELECT {CHUNK_COLS} FROM file_upload_chunks WHERE upload_id = ? ORDER BY chunk_index"
)
DROP_CHUNKS = "DELETE FROM file_upload_chunks WHERE upload_id = ?"
UPLOAD_STATE = "SELECT status, file_id FROM file_uploads WHERE id = ?"
FILE_BY_ID = f"SELECT {FILE_COLS} FROM files WHERE id = ?"
MARK_COMPLETED = "UPDATE file_uploads SET status = 'completed' WHERE id = ? AND status = 'pending'"
MARK_ABORTED = (
    "UPDATE file_uploads SET status = 'aborted' WHERE id = ? AND tenant_id = ?"
    " AND status = 'pending'"
)
PRUNE_UPLOADS = (
    "DELETE FROM file_uploads WHERE id IN (SELECT id FROM file_uploads WHERE expires_at < ?"
    " LIMIT ?)"
)


def _same_file(a: UploadRecord, b: UploadRecord) -> bool:
    return (a.filename, a.content_type, a.size, a.purpose) == (
        b.filename,
        b.content_type,
        b.size,
        b.purpose,
    )


def _key_reused() -> Conflict:
    message = (
        "this idempotencyKey started an upload of another file (name, type, size or"
        " purpose differ): use a new key for a new file"
    )
    return Conflict(message, issues=[Issue("idempotencyKey", message, "conflict")])


def _file_values(f: FileRecord) -> tuple[Any, ...]:
    return (f.id, f.tenant_id, f.blob_id, f.filename, f.content_type, f.size, f.purpose,
            f.created_at)  # fmt: skip


def _upload_values(u: UploadRecord) -> tuple[Any, ...]:
    return (u.id, u.tenant_id, u.file_id, u.filename, u.content_type, u.size, u.purpose,
            u.idempotency_key, u.chunk_size, u.chunk_count, u.status, u.created_at,
            u.expires_at)  # fmt: skip


class SqliteFiles:
    """The files operations of `SqliteStore`."""

    db: SqliteEngine

    async def create_file(self, file: FileRecord) -> None:
        values = _file_values(file)
        await self.db.write(lambda c: c.execute(INSERT_FILE, values))

    async def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        def op(c: sqlite3.Connection) -> FileRecord | None:
            row = c.execute(GET_FILE, (file_id, tenant_id)).fetchone()
            return FileRecord(*row) if row else None

        return await self.db.read_point(op)

    async def find_files(self, tenant_id: str, file_ids: list[str]) -> list[FileRecord]:
        if not file_ids:
            return []

        def op(c: sqlite3.Connection) -> list[FileRecord]:
            marks = ",".join("?" * len(file_ids))
            rows = c.execute(
                f"SELECT {FILE_COLS} FROM files WHERE tenant_id = ? AND id IN ({marks})",
                (tenant_id, *file_ids),
            ).fetchall()
            return [FileRecord(*r) for r in rows]

        return await self.db.read(op)

    async def delete_file(self, tenant_id: str, file_id: str) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            return c.execute(DELETE_FILE, (file_id, tenant_id)).rowcount == 1

        return await self.db.write(op)

    async def prune_files(self, before: int, temporary_before: int, limit: int) -> int:
        def op(c: sqlite3.Connection) -> int:
            return int(c.execute(PRUNE_FILES, (before, temporary_before, limit)).rowcount)

        return await self.db.write(op)

    async def create_upload(self, upload: UploadRecord, now: int) -> UploadRecord:
        def op(c: sqlite3.Connection) -> UploadRecord:
            if upload.idempotency_key is not None:
                row = c.execute(
                    PENDING_BY_KEY, (upload.tenant_id, upload.idempotency_key, now)
                ).fetchone()
                if row is not None:
                    found = UploadRecord(*row)
                    if not _same_file(found, upload):
                        raise _key_reused()
                    return found
            c.execute(INSERT_UPLOAD, _upload_values(upload))
            return upload

        return await self.db.write(op)

    async def get_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        def op(c: sqlite3.Connection) -> UploadRecord | None:
            row = c.execute(GET_UPLOAD, (upload_id, tenant_id)).fetchone()
            return UploadRecord(*row) if row else None

        return await self.db.read_point(op)

    async def save_upload_chunk(self, chunk: UploadChunk) -> bool:
        values = (chunk.upload_id, chunk.index, chunk.blob_id, chunk.size, chunk.upload_id)

        def op(c: sqlite3.Connection) -> bool:
            return c.execute(SAVE_CHUNK, values).rowcount == 1

        return await self.db.write(op)

    async def list_upload_chunks(self, upload_id: str) -> list[UploadChunk]:
        def op(c: sqlite3.Connection) -> list[UploadChunk]:
            return [UploadChunk(*r) for r in c.execute(LIST_CHUNKS, (upload_id,)).fetchall()]

        return await self.db.read(op)

    async def complete_upload(self, upload_id: str, file: FileRecord) -> FileRecord | None:
        def op(c: sqlite3.Connection) -> FileRecord | None:
            state = c.execute(UPLOAD_STATE, (upload_id,)).fetchone()
            if state is None:
                return None
            status, file_id = state
            if status == "completed":
                row = c.execute(FILE_BY_ID, (file_id,)).fetchone()
                return FileRecord(*row) if row else None
            if status != "pending":
                return None
            c.execute(INSERT_FILE, _file_values(file))
            c.execute(MARK_COMPLETED, (upload_id,))
            c.execute(DROP_CHUNKS, (upload_id,))
            return file

        return await self.db.write(op)

    async def abort_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        def op(c: sqlite3.Connection) -> UploadRecord | None:
            if c.execute(MARK_ABORTED, (upload_id, tenant_id)).rowcount == 1:
                c.execute(DROP_CHUNKS, (upload_id,))
            row = c.execute(GET_UPLOAD, (upload_id, tenant_id)).fetchone()
            return UploadRecord(*row) if row else None

        return await self.db.write(op)

    async def prune_uploads(self, before: int, limit: int) -> int:
        def op(c: sqlite3.Connection) -> int:
            return int(c.execute(PRUNE_UPLOADS, (before, limit)).rowcount)

        return await self.db.write(op)


class PostgresFiles:
    """The files operations of `PostgresStore`."""

    db: PgEngine

    async def create_file(self, file: FileRecord) -> None:
        await self.db.execute(numbered(INSERT_FILE), *_file_values(file))

    async def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        row = await self.db.fetchrow(numbered(GET_FILE), file_id, tenant_id)
        return FileRecord(*row) if row else None

    async def find_files(self, tenant_id: str, file_ids: list[str]) -> list[FileRecord]:
        rows = await self.db.fetch(
            f"SELECT {FILE_COLS} FROM files WHERE tenant_id = $1 AND id = ANY($2::text[])",
            tenant_id,
            file_ids,
        )
        return [FileRecord(*r) for r in rows]

    async def delete_file(self, tenant_id: str, file_id: str) -> bool:
        return await self.db.execute(numbered(DELETE_FILE), file_id, tenant_id) == "DELETE 1"

    async def prune_files(self, before: int, temporary_before: int, limit: int) -> int:
        result = await self.db.execute(numbered(PRUNE_FILES), before, temporary_before, limit)
        return int(result.split()[-1])

    async def create_upload(self, upload: UploadRecord, now: int) -> UploadRecord:
        async def op(c: asyncpg.Connection) -> UploadRecord:
            key = upload.idempotency_key
            if key is not None:
                # two requests with one key at once: the second waits, then finds the first
                await c.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 15))",
                    f"{upload.tenant_id}\x1f{key}",
                )
                row = await c.fetchrow(numbered(PENDING_BY_KEY), upload.tenant_id, key, now)
                if row is not None:
                    found = UploadRecord(*row)
                    if not _same_file(found, upload):
                        raise _key_reused()
                    return found
            await c.execute(numbered(INSERT_UPLOAD), *_upload_values(upload))
            return upload

        return await self.db.tx(op)

    async def get_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        row = await self.db.fetchrow(numbered(GET_UPLOAD), upload_id, tenant_id)
        return UploadRecord(*row) if row else None

    async def save_upload_chunk(self, chunk: UploadChunk) -> bool:
        result = await self.db.execute(
            numbered(SAVE_CHUNK), chunk.upload_id, chunk.index, chunk.blob_id, chunk.size,
            chunk.upload_id,
        )  # fmt: skip
        return result == "INSERT 0 1"

    async def list_upload_chunks(self, upload_id: str) -> list[UploadChunk]:
        return [UploadChunk(*r) for r in await self.db.fetch(numbered(LIST_CHUNKS), upload_id)]

    async def complete_upload(self, upload_id: str, file: FileRecord) -> FileRecord | None:
        async def op(c: asyncpg.Connection) -> FileRecord | None:
            state = await c.fetchrow(numbered(UPLOAD_STATE) + " FOR UPDATE", upload_id)
            if state is None:
                return None
            status, file_id = state
            if status == "completed":
                row = await c.fetchrow(numbered(FILE_BY_ID), file_id)
                return FileRecord(*row) if row else None
            if status != "pending":
                return None
            await c.execute(numbered(INSERT_FILE), *_file_values(file))
            await c.execute(numbered(MARK_COMPLETED), upload_id)
            await c.execute(numbered(DROP_CHUNKS), upload_id)
            return file

        return await self.db.tx(op)

    async def abort_upload(self, tenant_id: str, upload_id: str) -> UploadRecord | None:
        async def op(c: asyncpg.Connection) -> UploadRecord | None:
            if await c.execute(numbered(MARK_ABORTED), upload_id, tenant_id) == "UPDATE 1":
                await c.execute(numbered(DROP_CHUNKS), upload_id)
            row = await c.fetchrow(numbered(GET_UPLOAD), upload_id, tenant_id)
            return UploadRecord(*row) if row else None

        return await self.db.tx(op)

    async def prune_uploads(self, before: int, limit: int) -> int:
        result = await self.db.execute(numbered(PRUNE_UPLOADS), before, limit)
        return int(result.split()[-1])
