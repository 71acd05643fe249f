"""A zip of a run's artifacts, built off the event loop into a spooled temporary file.

The archive is written by a worker thread into a `SpooledTemporaryFile`: small
archives stay in memory, larger ones spill to disk past `SPOOL_BYTES`, so memory
stays bounded whatever the artifacts weigh, and the event loop keeps serving
others while the archive is built and while it is read back in chunks.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from openpal.blobs.base import BlobStore, read_chunks
from openpal.errors import NotFound
from openpal.service.runs import RunService
from openpal.store.history_records import ArtifactRecord

SPOOL_BYTES = 8 * 1024 * 1024  # archives up to this size never touch the disk
# already-compressed formats are stored as they are (deflating them costs CPU for nothing)
_STORED = ("image/", "video/", "audio/", "application/zip", "application/gzip", "application/pdf")


async def artifact_zip(
    runs: RunService,
    blobs: BlobStore,
    tenant_id: str,
    run_id: str,
    paths: list[str] | None = None,
) -> IO[bytes]:
    """A zip of the run's artifacts (only `paths`, when given; each must exist), with
    each file under its artifact path, positioned at its start. The caller closes it."""
    found = await runs.artifacts(tenant_id, run_id)
    if paths is not None:
        by_path = {a.path: a for a in found}
        missing = [p for p in paths if p not in by_path]
        if missing:
            raise NotFound(f"run {run_id} has no artifact {missing[0]!r}")
        found = [by_path[p] for p in dict.fromkeys(paths)]
    files: list[tuple[ArtifactRecord, Path]] = []
    for item in found:
        ref = await blobs.resolve(
            {"fileId": item.blob_id, "name": item.name, "mimeType": item.mime_type}
        )
        if ref.path is None:
            raise NotFound(f"artifact {item.path!r} of run {run_id}: its content is gone")
        files.append((item, ref.path))
    return await asyncio.to_thread(_write_zip, files)


def _write_zip(files: list[tuple[ArtifactRecord, Path]]) -> IO[bytes]:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for item, path in files:
                stored = item.mime_type.startswith(_STORED)
                archive.write(
                    path,
                    arcname=item.path,
                    compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                )
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


async def read_and_close(file: IO[bytes]) -> AsyncIterator[bytes]:
    """The file's content in chunks, each read in a thread; closes the file at the end."""
    try:
        async for chunk in read_chunks(file):
            yield chunk
    finally:
        file.close()
