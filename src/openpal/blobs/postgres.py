"""Blob store in PostgreSQL, with a local cache: files uploaded to one API process are
readable by workers on any machine that reaches the database.

A file is written to the local cache first (hashed and size-checked while it
streams in, as in `LocalBlobStore`), then copied into `blob_chunks` in 1 MiB
rows, once per content hash. A process reading a file it has not seen fetches
the chunks into its cache, checks the hash, and serves it from disk after that.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from openpal.blobs.base import PutByStored, Stored, read_chunks
from openpal.blobs.local import LocalBlobStore
from openpal.files import FileRef
from openpal.store.pg_engine import PgEngine


class PgBlobStore(PutByStored):
    """`BlobStore` whose source of truth is the database; the folder is a cache."""

    def __init__(self, db: PgEngine, cache: LocalBlobStore) -> None:
        self.db = db
        self.cache = cache

    async def put_stored(
        self, chunks: AsyncIterator[bytes], *, name: str, mime_type: str, max_bytes: int
    ) -> Stored:
        cached = await self.cache.put_stored(
            chunks, name=name, mime_type=mime_type, max_bytes=max_bytes
        )
        ref = cached.ref
        path = ref.path
        if path is None:
            raise RuntimeError("the local blob cache returned no path")
        created, stamp = await self.db.tx(lambda c: _upload(c, ref.file_id, path, ref.size))
        return Stored(ref, created, (stamp, *cached.stamp))

    async def take_back(self, file_id: str, stamp: tuple[int, ...]) -> bool:
        # the row goes only while it still bears this call's stamp (a store of the same
        # content since restamped it) and nothing refers to it
        deleted = await self.db.fetchval(
            "DELETE FROM blobs b WHERE b.id = $1 AND b.created_at = $2"
            + _UNREFERENCED
            + " RETURNING true",
            file_id,
            stamp[0],
        )
        if deleted:  # and this process's copy, unless stored again here since
            await self.cache.take_back(file_id, stamp[1:])
        return bool(deleted)

    async def candidates(self, older_than: int) -> list[str]:
        rows = await self.db.fetch("SELECT id FROM blobs WHERE created_at < $1", older_than)
        stored = {r[0] for r in rows}
        # cached copies of files the database no longer has (another process deleted them)
        cached = await self.cache.candidates(older_than)
        known = await self.db.fetch("SELECT id FROM blobs WHERE id = ANY($1::text[])", cached)
        gone = set(cached) - {r[0] for r in known}
        return sorted(stored | gone)

    async def delete(self, file_ids: list[str], older_than: int) -> int:
        # One statement re-checks age and references as it deletes, so a file stored
        # again or referenced by a new run, upload or upload chunk since it was listed
        # is kept.
        rows = await self.db.fetch(
            "DELETE FROM blobs b WHERE b.id = ANY($1::text[]) AND b.created_at < $2"
            + _UNREFERENCED
            + " RETURNING b.id",
            file_ids,
            older_than,
        )
        deleted = {r[0] for r in rows}
        still = await self.db.fetch("SELECT id FROM blobs WHERE id = ANY($1::text[])", file_ids)
        uncache = [f for f in file_ids if f not in {r[0] for r in still}]
        await self.cache.delete(uncache, older_than)
        return len(deleted)

    async def resolve(self, ref: dict[str, object]) -> FileRef:
        file_id = str(ref["fileId"])
        if self.cache.local_path(file_id) is None:
            await self._download(file_id)
        return await self.cache.resolve(ref)

    async def _download(self, file_id: str) -> None:
        hexd = file_id.partition(":")[2]
        fd, tmp_name = tempfile.mkstemp(dir=self.cache.root / "tmp")
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                async with self.db.pool.acquire() as conn, conn.transaction():
                    found = await conn.fetchval("SELECT 1 FROM blobs WHERE id = $1", file_id)
                    if not found:
                        return  # unknown file: it resolves without a local copy
                    cursor = conn.cursor(
                        "SELECT data FROM blob_chunks WHERE blob_id = $1 ORDER BY seq",
                        file_id,
                        prefetch=4,
                    )
                    async for row in cursor:
                        digest.update(row[0])
                        await asyncio.to_thread(out.write, row[0])
            if digest.hexdigest() != hexd:
                raise OSError(f"file {file_id}: stored content does not match its hash")
            self.cache.adopt(tmp, hexd)
        finally:
            tmp.unlink(missing_ok=True)


_UNREFERENCED = (
    " AND NOT EXISTS (SELECT 1 FROM run_files f WHERE f.blob_id = b.id)"
    " AND NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)"
    " AND NOT EXISTS (SELECT 1 FROM file_upload_chunks f WHERE f.blob_id = b.id)"
)


async def _upload(
    conn: asyncpg.Connection, file_id: str, path: Path, size: int
) -> tuple[bool, int]:
    """Store a file's row and chunks unless its content is there: (whether this created
    it, the stamp it left). `xmax = 0` tells a fresh insert from a conflict; a conflict
    restamps the row later than before, so a garbage collection running now, and a
    refused request taking back the same content, leave the file alone."""
    row = await conn.fetchrow(
        "INSERT INTO blobs (id, size, created_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE"
        " SET created_at = GREATEST(EXCLUDED.created_at, blobs.created_at + 1)"
        " RETURNING (xmax = 0), created_at",
        file_id,
        size,
        time.time_ns() // 1000,
    )
    created, stamp = bool(row[0]), int(row[1])
    if not created:
        return False, stamp  # same content already stored (by this or another process)
    with path.open("rb") as f:
        seq = 0
        async for chunk in read_chunks(f):
            await conn.execute(
                "INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)",
                file_id,
                seq,
                chunk,
            )
            seq += 1
    return True, stamp
