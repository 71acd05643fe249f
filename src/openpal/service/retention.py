"""Retention: delete finished runs and uploaded files older than a configured age, and
expired upload sessions, in bounded batches; then the stored blobs nothing refers to."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from openpal.blobs.base import BlobStore
from openpal.store.base import Store

log = logging.getLogger("openpal.retention")

BATCH = 500
SWEEP_EVERY_SECONDS = 3600.0
# A file is uploaded moments before the run that refers to it is created: only files
# older than this are ever considered garbage.
FILE_GRACE_SECONDS = 3600.0
# Uploads with a purpose (run-input pre-uploads, builder attachments) are temporary: kept
# a day at most, as EigenPal does. A run that used one keeps its own reference.
TEMPORARY_FILE_SECONDS = 86_400.0


def _micros_ago(seconds: float) -> int:
    return time.time_ns() // 1000 - int(seconds * 1_000_000)


async def prune(store: Store, older_than_days: float, *, batch: int = BATCH) -> int:
    """Delete terminal runs completed more than `older_than_days` ago; returns the count.

    Each batch is its own short transaction, so API writes interleave with the sweep.
    """
    before = _micros_ago(older_than_days * 86_400)
    return await _in_batches(lambda: store.prune_runs(before, batch), batch)


async def prune_files(store: Store, older_than_days: float, *, batch: int = BATCH) -> int:
    """Delete uploaded files older than `older_than_days` (those with a purpose after a
    day at most) and upload sessions that expired; returns how many files."""
    age = older_than_days * 86_400
    before, temporary_before = _micros_ago(age), _micros_ago(min(age, TEMPORARY_FILE_SECONDS))
    total = await _in_batches(lambda: store.prune_files(before, temporary_before, batch), batch)
    await _in_batches(lambda: store.prune_uploads(_micros_ago(0), batch), batch)
    return total


async def _in_batches(delete_batch: Callable[[], Awaitable[int]], batch: int) -> int:
    """Call `delete_batch` until it deletes fewer than `batch` rows; the total deleted."""
    total = 0
    while True:
        deleted = await delete_batch()
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let other work in between batches


async def collect_files(
    store: Store, blobs: BlobStore, *, grace_seconds: float = FILE_GRACE_SECONDS
) -> int:
    """Delete stored files older than `grace_seconds` that no run, uploaded file or
    upload chunk refers to; returns how many. The blob store re-checks age (and, on
    PostgreSQL, references) as it deletes."""
    older_than = _micros_ago(grace_seconds)
    candidates = await blobs.candidates(older_than)
    total = 0
    for i in range(0, len(candidates), BATCH):
        batch = candidates[i : i + BATCH]
        live = await store.referenced_files(batch)
        total += await blobs.delete([f for f in batch if f not in live], older_than)
        await asyncio.sleep(0)
    return total


async def sweep_forever(store: Store, blobs: BlobStore, older_than_days: float) -> None:
    """The background task of every openpal process: prune now, then every hour."""
    while True:
        try:
            deleted = await prune(store, older_than_days)
            uploads = await prune_files(store, older_than_days)
            files = await collect_files(store, blobs)
            if deleted or uploads or files:
                log.info(
                    "retention: deleted %d runs and %d uploaded files older than %g days"
                    " and %d unused blobs",
                    deleted,
                    uploads,
                    older_than_days,
                    files,
                )
        except Exception:
            log.exception("retention sweep failed; trying again later")
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
